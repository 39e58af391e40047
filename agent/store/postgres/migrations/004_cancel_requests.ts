// Migration 4: a cancel asked for a run another agent executes is kept with
// the run, so that agent learns of it even when the notification asking it
// was lost (its listening connection was down).
export default `
ALTER TABLE runs ADD COLUMN cancel_requested_at BIGINT;
`;
