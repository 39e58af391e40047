// Migration 3: what the store interface needs of the schema.
// - No CHECK on trigger or run-trigger kinds: a new kind is code, not a
//   table rebuild (the kinds are declared once, in TypeScript).
// - Runs are owned by an id (agent:… or cli:…, unique per process
//   lifetime) with the owner's pid and host, not by a pid alone.
// - Agents' heartbeats are keyed by that id.
// - A due schedule instant is claimed by a unique (trigger, instant) row,
//   inserted in the same transaction as its run: the same exactly-once path
//   on every engine.
// Runs with foreign keys off (db.ts), as SQLite's table-rebuild procedure
// asks; foreign_key_check runs before the commit.
export default `
CREATE TABLE triggers_new (
  id            INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  kind          TEXT    NOT NULL,
  workflow_file TEXT    NOT NULL,
  workflow_name TEXT    NOT NULL,
  paused        INTEGER NOT NULL DEFAULT 0,
  config        TEXT    NOT NULL DEFAULT '{}',
  secret        TEXT,
  next_fire_at  INTEGER,
  state_error   TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
INSERT INTO triggers_new
  SELECT id, name, kind, workflow_file, workflow_name, paused, config, secret, next_fire_at, state_error, created_at, updated_at
  FROM triggers;
DROP TABLE triggers;
ALTER TABLE triggers_new RENAME TO triggers;
CREATE INDEX triggers_due ON triggers (next_fire_at) WHERE next_fire_at IS NOT NULL;

CREATE TABLE runs_new (
  id              TEXT    PRIMARY KEY,
  workflow_name   TEXT    NOT NULL,
  workflow_file   TEXT    NOT NULL,
  trigger_id      INTEGER REFERENCES triggers (id) ON DELETE SET NULL,
  trigger_name    TEXT,
  trigger_kind    TEXT    NOT NULL,
  trigger_context TEXT    NOT NULL DEFAULT '{}',
  status          TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled', 'skipped')),
  scheduled_for   INTEGER,
  created_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  error           TEXT,
  owner_id        TEXT,
  owner_pid       INTEGER,
  owner_host      TEXT,
  delivery_id     TEXT
);
INSERT INTO runs_new
  SELECT r.id, r.workflow_name, r.workflow_file, r.trigger_id, r.trigger_name, r.trigger_kind, r.trigger_context, r.status,
         r.scheduled_for, r.created_at, r.started_at, r.finished_at, r.error,
         CASE WHEN r.owner_pid IS NULL THEN NULL
              WHEN EXISTS (SELECT 1 FROM heartbeats h WHERE h.pid = r.owner_pid) THEN 'agent:legacy-' || r.owner_pid
              ELSE 'cli:legacy-' || r.owner_pid END,
         r.owner_pid, NULL, r.delivery_id
  FROM runs r;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_by_workflow ON runs (workflow_name, status, created_at);
CREATE INDEX runs_by_time ON runs (created_at);
CREATE INDEX runs_by_trigger ON runs (trigger_id, created_at);
CREATE INDEX runs_active ON runs (status) WHERE status IN ('queued', 'running');
CREATE INDEX runs_by_delivery ON runs (trigger_id, delivery_id) WHERE delivery_id IS NOT NULL;
-- Admission counts a trigger's active runs: one seek, whatever the backlog.
CREATE INDEX runs_active_by_trigger ON runs (trigger_name, status) WHERE status IN ('queued', 'running');

CREATE TABLE agents (
  id         TEXT    PRIMARY KEY,
  pid        INTEGER NOT NULL,
  host       TEXT    NOT NULL,
  version    TEXT    NOT NULL,
  started_at INTEGER NOT NULL,
  beat_at    INTEGER NOT NULL,
  socket     TEXT,
  http       TEXT
);
DROP TABLE heartbeats;

CREATE TABLE schedule_claims (
  trigger_id    INTEGER NOT NULL REFERENCES triggers (id) ON DELETE CASCADE,
  scheduled_for INTEGER NOT NULL,
  run_id        TEXT,
  claimed_at    INTEGER NOT NULL,
  PRIMARY KEY (trigger_id, scheduled_for)
);
CREATE INDEX schedule_claims_by_time ON schedule_claims (claimed_at);
`;
