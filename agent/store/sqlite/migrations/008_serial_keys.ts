// Migration 8: a queued run keeps its serial key (a `queue` trigger's
// runs, a backfill's lanes), so the agent that resumes it after a restart
// keeps such runs one at a time, as the agent that accepted it would have.
// Rows from before have none, and are resumed under their trigger's policy.
export default `
ALTER TABLE runs ADD COLUMN serial_key TEXT;
`;
