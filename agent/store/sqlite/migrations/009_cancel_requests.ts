// Migration 9: a cancel asked for a run another process executes is kept
// with the run, so that process learns of it even when the notification
// asking it was lost (team mode: its listening connection was down).
export default `
ALTER TABLE runs ADD COLUMN cancel_requested_at INTEGER;
`;
