// How rows of `runs`, `run_steps` and `run_logs` look, and how they become
// the protocol's records: epoch milliseconds become ISO strings, JSON
// columns are parsed. Pure; the queries live in runs.ts.
import type { LogChunk, MissedInstants, RunStatus, RunSummary, RunTriggerKind, StepRecord, StepStatus, TriggerContext } from "../../protocol";

export interface RunRow {
  rowid: number;
  id: string;
  workflow_name: string;
  workflow_file: string;
  trigger_id: number | null;
  trigger_name: string | null;
  trigger_kind: RunTriggerKind;
  /** Only in full rows (RUN_COLUMNS), not in summaries. */
  trigger_context?: string;
  status: RunStatus;
  scheduled_for: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  replay_of: string | null;
  backfill: number;
  /** JSON MissedInstants, or null. */
  missed: string | null;
}

export interface StepRow {
  idx: number;
  name: string;
  kind: StepRecord["kind"];
  status: StepStatus;
  output: string | null;
  error: string | null;
  exit_code: number | null;
  attempts: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface LogRow {
  seq: number;
  run_id: string;
  step_idx: number | null;
  stream: LogChunk["stream"];
  at: number;
  text: string;
}

export const RUN_COLUMNS = "rowid, *";
// What a RunSummary is made of: everything but trigger_context (a webhook's
// whole body and headers) and delivery_id. Listings and the queue of active
// runs read many rows; reading each one's context would multiply their cost
// by the size of the bodies.
export const SUMMARY_COLUMNS =
  "rowid, id, workflow_name, workflow_file, trigger_id, trigger_name, trigger_kind, status, scheduled_for, created_at, started_at, finished_at, error, replay_of, backfill, missed";

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function newestFirst(a: RunRow, b: RunRow): number {
  return b.created_at - a.created_at || b.rowid - a.rowid;
}

export function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    workflowName: row.workflow_name,
    workflowFile: row.workflow_file,
    triggerKind: row.trigger_kind,
    triggerName: row.trigger_name,
    status: row.status,
    scheduledFor: iso(row.scheduled_for),
    createdAt: iso(row.created_at)!,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    error: row.error,
    replayOf: row.replay_of,
    backfill: row.backfill === 1,
    missed: parseMissed(row.missed),
  };
}

/** A `missed` column: JSON written by this store; anything else reads as none. */
export function parseMissed(text: string | null): MissedInstants | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as MissedInstants;
    return typeof value?.count === "number" && Array.isArray(value.instants) && typeof value.last === "string" ? value : null;
  } catch {
    return null;
  }
}

export function toStep(row: StepRow): StepRecord {
  return {
    index: row.idx,
    name: row.name,
    kind: row.kind,
    status: row.status,
    output: row.output,
    error: row.error,
    exitCode: row.exit_code,
    attempts: row.attempts,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}

export function parseContext(text: string): TriggerContext {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" ? (value as TriggerContext) : {};
  } catch {
    return {};
  }
}

export function toLogChunk(row: LogRow): LogChunk {
  return {
    seq: row.seq,
    runId: row.run_id,
    step: row.step_idx,
    stream: row.stream,
    at: iso(row.at)!,
    text: row.text,
  };
}
