// Migration 2: what the SQLite store gained in its migrations 4 to 6, for
// the same features on PostgreSQL.
// - run_processes: process groups serving a whole run (an MCP server its
//   mcp steps share), kept until the run ends them, so recovery can end one
//   that was idle between two steps.
// - runs.replay_of, runs.backfill (1 for a backfill's run, an integer as in
//   SQLite so both read rows the same way), runs.missed (JSON {count,
//   instants, last}); "which runs does this instant have" and "this
//   schedule's latest missed report" are one index seek each.
// - triggers_by_kind and triggers_by_file: the watcher list and an editor's
//   CodeLens read only their rows.
// - trigger_counts: the status counts triggers by kind after every change;
//   a COUNT would read every row, so the counts are kept by the database
//   itself, whoever writes (an agent on any host, a CLI command). The insert
//   and delete triggers are per statement over the transition table, so a
//   bulk registration moves each count once; kinds are visited in order, so
//   two transactions touching several kinds lock their rows in one order.
export default `
CREATE TABLE run_processes (
  run_id   TEXT    COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  pgid     INTEGER NOT NULL,
  identity TEXT    NOT NULL,
  PRIMARY KEY (run_id, pgid)
);

ALTER TABLE runs ADD COLUMN replay_of TEXT;
ALTER TABLE runs ADD COLUMN backfill INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN missed TEXT;
CREATE INDEX runs_by_instant ON runs (trigger_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE INDEX runs_with_missed ON runs (trigger_id, created_at) WHERE missed IS NOT NULL;

CREATE INDEX triggers_by_kind ON triggers (kind, name);
CREATE INDEX triggers_by_file ON triggers (workflow_file, name);

CREATE TABLE trigger_counts (
  kind TEXT   PRIMARY KEY,
  n    BIGINT NOT NULL
);
INSERT INTO trigger_counts (kind, n) SELECT kind, COUNT(*) FROM triggers GROUP BY kind;

CREATE FUNCTION clockwork_trigger_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO trigger_counts (kind, n) SELECT kind, COUNT(*) FROM added GROUP BY kind ORDER BY kind
  ON CONFLICT (kind) DO UPDATE SET n = trigger_counts.n + excluded.n;
  RETURN NULL;
END $$;
CREATE TRIGGER trigger_counts_insert AFTER INSERT ON triggers REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION clockwork_trigger_counts_insert();

CREATE FUNCTION clockwork_trigger_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE trigger_counts c SET n = c.n - d.n
  FROM (SELECT kind, COUNT(*) AS n FROM removed GROUP BY kind ORDER BY kind) d WHERE c.kind = d.kind;
  RETURN NULL;
END $$;
CREATE TRIGGER trigger_counts_delete AFTER DELETE ON triggers REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION clockwork_trigger_counts_delete();

CREATE FUNCTION clockwork_trigger_counts_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE trigger_counts SET n = n - 1 WHERE kind = OLD.kind;
  INSERT INTO trigger_counts (kind, n) VALUES (NEW.kind, 1) ON CONFLICT (kind) DO UPDATE SET n = trigger_counts.n + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER trigger_counts_kind AFTER UPDATE OF kind ON triggers
  FOR EACH ROW WHEN (NEW.kind IS DISTINCT FROM OLD.kind) EXECUTE FUNCTION clockwork_trigger_counts_kind();
`;
