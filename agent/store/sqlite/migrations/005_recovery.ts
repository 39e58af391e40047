// Migration 5: what replay, backfill and missed-instant reports record.
// - replay_of: the run a replay repeats (no foreign key: the original may
//   be pruned while its replay is kept).
// - backfill: 1 for a run a backfill started for a past instant.
// - missed: JSON {count, instants, last} on a catch-up run or a missed
//   record: the instants that got no run.
// - "Which runs does this instant have" (backfill) and "this schedule's
//   latest missed report" (listings) are one seek each.
export default `
ALTER TABLE runs ADD COLUMN replay_of TEXT;
ALTER TABLE runs ADD COLUMN backfill INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN missed TEXT;
CREATE INDEX runs_by_instant ON runs (trigger_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE INDEX runs_with_missed ON runs (trigger_id, created_at) WHERE missed IS NOT NULL;
`;
