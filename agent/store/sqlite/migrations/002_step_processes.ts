// Migration 2: the process group a running step's work lives in (a shell
// step's command, a code step's executor), with its leader's identity, so
// that the next start after a crash can end what the dead process left
// running before it marks the run failed. Cleared when the step's record is
// written at its end.
export default `
ALTER TABLE run_steps ADD COLUMN pgid INTEGER;
ALTER TABLE run_steps ADD COLUMN pgid_identity TEXT;
`;
