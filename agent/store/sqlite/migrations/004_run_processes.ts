// Migration 4: process groups that serve a whole run rather than one step
// (an MCP server the run's mcp steps share, started by one step and used by
// later ones). A step's own group is cleared by its next record; these stay
// until the run ends them, so that recovery after a crash can end a server
// that was idle between two steps when its run's process died.
export default `
CREATE TABLE run_processes (
  run_id   TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  pgid     INTEGER NOT NULL,
  identity TEXT    NOT NULL,
  PRIMARY KEY (run_id, pgid)
);
`;
