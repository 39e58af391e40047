// Migration 1: the whole first schema. Times are milliseconds since the epoch
// (UTC); JSON columns hold objects validated where they are read.
export default `
CREATE TABLE triggers (
  id            INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  kind          TEXT    NOT NULL CHECK (kind IN ('schedule', 'webhook', 'watcher')),
  workflow_file TEXT    NOT NULL,
  workflow_name TEXT    NOT NULL,
  paused        INTEGER NOT NULL DEFAULT 0,
  -- kind-specific settings as JSON: schedule {cron, timezone, overlap, catchup},
  -- webhook {headers, maxBodyBytes}, watcher {path, events, recursive, glob}
  config        TEXT    NOT NULL DEFAULT '{}',
  -- webhook HMAC secret; never returned by any listing
  secret        TEXT,
  -- schedules: the next instant to fire (ms); NULL when paused or exhausted
  next_fire_at  INTEGER,
  -- watchers: a problem with the watched path, shown in listings
  state_error   TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
-- "earliest due schedule" is one seek on this index.
CREATE INDEX triggers_due ON triggers (next_fire_at) WHERE next_fire_at IS NOT NULL;

CREATE TABLE runs (
  id              TEXT    PRIMARY KEY,
  workflow_name   TEXT    NOT NULL,
  workflow_file   TEXT    NOT NULL,
  trigger_id      INTEGER REFERENCES triggers (id) ON DELETE SET NULL,
  trigger_name    TEXT,
  trigger_kind    TEXT    NOT NULL CHECK (trigger_kind IN ('manual', 'cron', 'webhook', 'file', 'api')),
  -- JSON: body, headers, path, fileEvent
  trigger_context TEXT    NOT NULL DEFAULT '{}',
  status          TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled', 'skipped')),
  scheduled_for   INTEGER,
  created_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  error           TEXT,
  -- the process executing the run; a run whose owner is gone is an orphan
  owner_pid       INTEGER,
  -- webhook delivery id (X-GitHub-Delivery, Idempotency-Key, Stripe event id)
  delivery_id     TEXT
);
-- "last successful run of workflow W" is one seek on this index.
CREATE INDEX runs_by_workflow ON runs (workflow_name, status, created_at);
CREATE INDEX runs_by_time ON runs (created_at);
CREATE INDEX runs_by_trigger ON runs (trigger_id, created_at);
CREATE INDEX runs_active ON runs (status) WHERE status IN ('queued', 'running');
CREATE INDEX runs_by_delivery ON runs (trigger_id, delivery_id) WHERE delivery_id IS NOT NULL;

CREATE TABLE run_steps (
  run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL,
  name        TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  status      TEXT    NOT NULL CHECK (status IN ('running', 'success', 'failed', 'cancelled', 'skipped')),
  output      TEXT,
  error       TEXT,
  exit_code   INTEGER,
  attempts    INTEGER NOT NULL DEFAULT 0,
  started_at  INTEGER,
  finished_at INTEGER,
  PRIMARY KEY (run_id, idx)
);
CREATE INDEX run_steps_by_name ON run_steps (run_id, name);

CREATE TABLE run_logs (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id   TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_idx INTEGER,
  stream   TEXT    NOT NULL CHECK (stream IN ('stdout', 'stderr', 'info')),
  at       INTEGER NOT NULL,
  text     TEXT    NOT NULL
);
CREATE INDEX run_logs_by_run ON run_logs (run_id, seq);

CREATE TABLE heartbeats (
  pid        INTEGER PRIMARY KEY,
  version    TEXT    NOT NULL,
  started_at INTEGER NOT NULL,
  beat_at    INTEGER NOT NULL,
  socket     TEXT,
  http       TEXT
);
`;
