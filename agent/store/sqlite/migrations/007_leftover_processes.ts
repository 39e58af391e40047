// Migration 7: finding step process groups a finished run left behind. A
// run that another agent failed for its lost owner (team mode) keeps the
// groups its steps recorded, since only a process on their machine can
// end them; an agent starting on that machine looks them up, without
// reading every step.
export default `
CREATE INDEX run_steps_with_process ON run_steps (run_id) WHERE pgid IS NOT NULL;
`;
