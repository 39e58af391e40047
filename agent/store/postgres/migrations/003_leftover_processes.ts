// Migration 3: finding step process groups a finished run left behind (a
// run another agent failed for its lost owner keeps them until an agent on
// their machine ends them), without reading every step.
export default `
CREATE INDEX run_steps_with_process ON run_steps (run_id) WHERE pgid IS NOT NULL;
`;
