// Migration 6: what the agent asks of the trigger table after every
// registration costs the same however many triggers there are. The watcher
// manager lists the watchers (`triggers_by_kind`); an editor's CodeLens asks
// for the triggers of one workflow file (`triggers_by_file`); the status
// counts triggers by kind, which a COUNT would do by reading every row, so
// the counts are kept in `trigger_counts`, moved by the database itself on
// every insert and delete, whoever writes (the agent, a CLI command without
// one). Without these, registering n schedules one by one took time in n².
// A later migration that rebuilds the triggers table must create the three
// SQL triggers again (dropping a table drops its triggers).
export default `
CREATE INDEX triggers_by_kind ON triggers (kind, name);
CREATE INDEX triggers_by_file ON triggers (workflow_file, name);

CREATE TABLE trigger_counts (
  kind TEXT    PRIMARY KEY,
  n    INTEGER NOT NULL
);
INSERT INTO trigger_counts (kind, n) SELECT kind, COUNT(*) FROM triggers GROUP BY kind;
CREATE TRIGGER trigger_counts_insert AFTER INSERT ON triggers BEGIN
  INSERT INTO trigger_counts (kind, n) VALUES (NEW.kind, 1) ON CONFLICT (kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER trigger_counts_delete AFTER DELETE ON triggers BEGIN
  UPDATE trigger_counts SET n = n - 1 WHERE kind = OLD.kind;
END;
CREATE TRIGGER trigger_counts_kind AFTER UPDATE OF kind ON triggers WHEN NEW.kind IS NOT OLD.kind BEGIN
  UPDATE trigger_counts SET n = n - 1 WHERE kind = OLD.kind;
  INSERT INTO trigger_counts (kind, n) VALUES (NEW.kind, 1) ON CONFLICT (kind) DO UPDATE SET n = n + 1;
END;
`;
