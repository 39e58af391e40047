// The runs side of the SQLite store: run rows, their steps and their log
// chunks. Synchronous (better-sqlite3); sqlite/index.ts hands it out behind
// the asynchronous RunRepository of store.ts.
//
// Every run is one row, inserted before its first step starts and finished
// exactly once: finishRun only moves a queued or running row, so a second
// finish (a cancel racing a crash, recovery racing the owner) changes
// nothing. Times are stored as epoch milliseconds and handed out as ISO
// strings, as the protocol types say.
import { conflict, invalid, notFound } from "../../errors";
import type {
  ListRunsParams,
  LogChunk,
  RunRecord,
  RunStatus,
  RunSummary,
  RunTriggerKind,
  StepRecord,
  TriggerContext,
} from "../../protocol";
import type Database from "better-sqlite3";
import type { ActiveRun, Clock, FinishStatus, InstantRun, LeftoverProcess, NewLogChunk, NewRun, Owner, RunProcess, StepProcess } from "../store";
import type { Db } from "./db";
import { newRunId, RUN_ID_CHARS } from "../ids";
import {
  iso,
  newestFirst,
  parseContext,
  RUN_COLUMNS,
  SUMMARY_COLUMNS,
  toLogChunk,
  toStep,
  toSummary,
  type LogRow,
  type RunRow,
  type StepRow,
} from "./runRows";

export const DEFAULT_LIST_LIMIT = 20;
// Built once: the statement cache is keyed by the text, and a text rebuilt
// on every call is hashed again on every call (each run reads its row a
// few times).
const SUMMARY_BY_ID = `SELECT ${SUMMARY_COLUMNS} FROM runs WHERE id = ?`;
const RUN_BY_ID = `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`;
const ALL_STATUSES: readonly RunStatus[] = ["queued", "running", "success", "failed", "cancelled", "skipped"];
type OwnerColumns = { owner_id: string | null; owner_pid: number | null; owner_host: string | null };

// An owner recorded before owners had hosts has none: "" (this machine).
const toOwner = (r: OwnerColumns): Owner | null => (r.owner_id === null ? null : { id: r.owner_id, pid: r.owner_pid ?? 0, host: r.owner_host ?? "" });

export class RunStore {
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();

  constructor(
    readonly db: Db,
    /** The clock; tests and benchmarks pass their own. */
    private readonly now: Clock = Date.now,
  ) {}

  private sql(text: string) {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare<unknown[]>(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  insertRun(run: NewRun): RunSummary {
    const now = this.now();
    const status = run.status ?? "queued";
    const finished = status === "skipped" || status === "failed";
    const id = newRunId();
    const row: RunRow = {
      rowid: 0,
      id,
      workflow_name: run.workflowName,
      workflow_file: run.workflowFile,
      trigger_id: run.triggerId ?? null,
      trigger_name: run.triggerName ?? null,
      trigger_kind: run.triggerKind,
      status,
      scheduled_for: run.scheduledFor ?? null,
      created_at: now,
      started_at: status === "running" ? now : null,
      finished_at: finished ? now : null,
      error: run.error ?? null,
      replay_of: run.replayOf ?? null,
      backfill: run.backfill ? 1 : 0,
      missed: run.missed ? JSON.stringify(run.missed) : null,
    };
    const owner = run.owner ?? null;
    this.sql(
      `INSERT INTO runs (id, workflow_name, workflow_file, trigger_id, trigger_name, trigger_kind, trigger_context,
         status, scheduled_for, created_at, started_at, finished_at, error, owner_id, owner_pid, owner_host, delivery_id,
         replay_of, backfill, missed, serial_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      row.workflow_name,
      row.workflow_file,
      row.trigger_id,
      row.trigger_name,
      row.trigger_kind,
      JSON.stringify(run.context ?? {}),
      status,
      row.scheduled_for,
      now,
      row.started_at,
      row.finished_at,
      row.error,
      owner?.id ?? null,
      owner?.pid ?? null,
      owner?.host ?? null,
      run.deliveryId ?? null,
      row.replay_of,
      row.backfill,
      row.missed,
      run.serialKey ?? null,
    );
    // The summary is what was just written; reading it back would cost a query per run.
    return toSummary(row);
  }

  /** The run with exactly this id. */
  getSummary(id: string): RunSummary | undefined {
    const row = this.sql(SUMMARY_BY_ID).get(id) as RunRow | undefined;
    return row && toSummary(row);
  }

  /** The full id of the run that `idOrPrefix` names; throws notFound, or conflict for an ambiguous prefix. */
  resolveId(idOrPrefix: string): string {
    const wanted = idOrPrefix.trim().toLowerCase();
    if (!RUN_ID_CHARS.test(wanted)) throw invalid(`"${idOrPrefix}" is not a run id: run ids are letters a-z and digits`);
    const exact = this.sql("SELECT id FROM runs WHERE id = ?").get(wanted) as { id: string } | undefined;
    if (exact) return exact.id;
    // A prefix is a range on the primary key: ids starting with "ab" sort between "ab" and "ab~".
    const matches = this.sql("SELECT id FROM runs WHERE id > ? AND id < ? ORDER BY id LIMIT 3").all(
      wanted,
      `${wanted}~`,
    ) as Array<{ id: string }>;
    if (matches.length === 0) throw notFound(`no run with id "${idOrPrefix}" (list runs with: clockwork history)`);
    if (matches.length > 1) {
      const shown = matches.map((m) => m.id).join(", ");
      throw conflict(`run id prefix "${idOrPrefix}" is ambiguous: ${shown}${matches.length > 2 ? ", …" : ""}; type more characters`);
    }
    return matches[0]!.id;
  }

  /** The run, its trigger context and every recorded step. */
  getRun(idOrPrefix: string): RunRecord {
    const id = this.resolveId(idOrPrefix);
    const row = this.sql(RUN_BY_ID).get(id) as RunRow;
    return { ...toSummary(row), trigger: parseContext(row.trigger_context ?? "{}"), steps: this.getSteps(id) };
  }

  getSteps(runId: string): StepRecord[] {
    const rows = this.sql("SELECT * FROM run_steps WHERE run_id = ? ORDER BY idx").all(runId) as StepRow[];
    return rows.map(toStep);
  }

  /** Newest first; every filter is served by an index so the cost does not grow with the number of runs. */
  listRuns(p: ListRunsParams = {}): RunSummary[] {
    const limit = p.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw invalid(`limit must be a positive whole number, not ${p.limit}`);
    if (p.status !== undefined && !ALL_STATUSES.includes(p.status)) {
      throw invalid(`unknown status "${p.status}": use one of ${ALL_STATUSES.join(", ")}`);
    }
    let rows: RunRow[];
    if (p.trigger !== undefined) {
      rows = this.listByTrigger(p.trigger, p, limit);
    } else if (p.workflow !== undefined) {
      // runs_by_workflow is (workflow_name, status, created_at): one seek per
      // status, merged here, keeps "latest runs of W" cheap at any size.
      const statuses = p.status ? [p.status] : ALL_STATUSES;
      const statement = this.sql(
        `SELECT ${SUMMARY_COLUMNS} FROM runs WHERE workflow_name = ? AND status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      );
      rows = statuses.flatMap((status) => statement.all(p.workflow, status, limit) as RunRow[]);
      rows.sort(newestFirst);
      rows = rows.slice(0, limit);
    } else if (p.status !== undefined) {
      rows = this.sql(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`).all(
        p.status,
        limit,
      ) as RunRow[];
    } else {
      rows = this.sql(`SELECT ${SUMMARY_COLUMNS} FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?`).all(limit) as RunRow[];
    }
    return rows.map(toSummary);
  }

  private listByTrigger(name: string, p: ListRunsParams, limit: number): RunRow[] {
    const trigger = this.sql("SELECT id FROM triggers WHERE name = ?").get(name) as { id: number } | undefined;
    const status = p.status ? " AND status = ?" : "";
    const workflow = p.workflow !== undefined ? " AND workflow_name = ?" : "";
    const extra = [...(p.status ? [p.status] : []), ...(p.workflow !== undefined ? [p.workflow] : [])];
    if (trigger) {
      return this.sql(
        `SELECT ${SUMMARY_COLUMNS} FROM runs WHERE trigger_id = ?${status}${workflow} ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      ).all(trigger.id, ...extra, limit) as RunRow[];
    }
    // The trigger was unregistered: its runs keep the name they were started under.
    return this.sql(
      `SELECT ${SUMMARY_COLUMNS} FROM runs WHERE trigger_name = ?${status}${workflow} ORDER BY created_at DESC, rowid DESC LIMIT ?`,
    ).all(name, ...extra, limit) as RunRow[];
  }

  /**
   * A registered trigger's latest runs of one kind with their trigger
   * context, newest first: a webhook's recent deliveries and their bodies.
   */
  recentWithContext(
    triggerName: string,
    kind: RunTriggerKind,
    limit: number,
  ): Array<{ run: RunSummary; context: TriggerContext }> {
    const rows = this.sql(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE trigger_id = (SELECT id FROM triggers WHERE name = ?) AND trigger_kind = ?
       ORDER BY created_at DESC, rowid DESC LIMIT ?`,
    ).all(triggerName, kind, limit) as RunRow[];
    return rows.map((row) => ({ run: toSummary(row), context: parseContext(row.trigger_context ?? "{}") }));
  }

  /** queued → running (or a running row taken over by `owner`). Throws conflict when the run already finished. */
  markRunning(id: string, owner: Owner): RunSummary {
    const result = this.sql(
      `UPDATE runs SET status = 'running', owner_id = ?, owner_pid = ?, owner_host = ?, started_at = COALESCE(started_at, ?)
       WHERE id = ? AND status IN ('queued', 'running')`,
    ).run(owner.id, owner.pid, owner.host, this.now(), id);
    const summary = this.getSummary(id);
    if (!summary) throw notFound(`no run with id "${id}"`);
    if (result.changes === 0) throw conflict(`run ${id} already finished (${summary.status})`);
    return summary;
  }

  /**
   * Finishes a queued or running run, and any of its steps still marked
   * running. Returns undefined, changing nothing, when the run had already
   * finished: a run is finished exactly once.
   */
  finishRun(id: string, status: FinishStatus, error: string | null = null): RunSummary | undefined {
    const now = this.now();
    const finish = this.db.transaction(() => {
      const result = this.sql(
        `UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')`,
      ).run(status, error, now, id);
      if (result.changes === 0) return false;
      this.sql(
        `UPDATE run_steps SET status = ?, finished_at = ?, error = COALESCE(error, ?) WHERE run_id = ? AND status = 'running'`,
      ).run(status === "cancelled" ? "cancelled" : "failed", now, status === "success" ? null : error, id);
      return true;
    });
    return finish.immediate() ? this.getSummary(id) : undefined;
  }

  /** Queued and running runs, oldest first. */
  activeRuns(): RunSummary[] {
    const rows = this.sql(
      `SELECT ${SUMMARY_COLUMNS} FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid`,
    ).all() as RunRow[];
    return rows.map(toSummary);
  }

  /**
   * How many runs are queued and running: counted on the runs_active index
   * alone, without reading rows, because the agent's status asks after every
   * run change and a backlog of queued runs can be long.
   */
  countActive(): { queued: number; running: number } {
    const rows = this.sql(
      `SELECT status, COUNT(*) AS n FROM runs INDEXED BY runs_active WHERE status IN ('queued', 'running') GROUP BY status`,
    ).all() as Array<{ status: "queued" | "running"; n: number }>;
    const counts = { queued: 0, running: 0 };
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  /** Queued and running runs with their owners, oldest first. */
  ownedActiveRuns(): ActiveRun[] {
    const rows = this.sql(
      `SELECT id, status, owner_id, owner_pid, owner_host, serial_key FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid`,
    ).all() as Array<OwnerColumns & { id: string; status: "queued" | "running"; serial_key: string | null }>;
    return rows.map((r) => ({ id: r.id, status: r.status, owner: toOwner(r), serialKey: r.serial_key }));
  }

  /** Who executes (or last executed) a run. */
  ownerOf(id: string): Owner | null {
    const row = this.sql("SELECT owner_id, owner_pid, owner_host FROM runs WHERE id = ?").get(id) as OwnerColumns | undefined;
    return row ? toOwner(row) : null;
  }

  /** Marks failed every queued or running run owned by `ownerId`. */
  failRunsOwnedBy(ownerId: string, reason: string): RunSummary[] {
    const rows = this.sql(`SELECT id FROM runs WHERE status IN ('queued', 'running') AND owner_id = ?`).all(ownerId) as Array<{
      id: string;
    }>;
    return rows.flatMap((row) => this.finishRun(row.id, "failed", reason) ?? []);
  }

  /**
   * The output of `step` in the last successful run of `workflowName`: one
   * seek on runs_by_workflow, one on the step's primary key.
   */
  previousOutput(workflowName: string, step: string): { runId: string; output: string } | undefined {
    const row = this.sql(
      `SELECT r.id AS runId, s.output AS output
       FROM (SELECT id FROM runs WHERE workflow_name = ? AND status = 'success' ORDER BY created_at DESC, rowid DESC LIMIT 1) r
       JOIN run_steps s ON s.run_id = r.id AND s.name = ? AND s.status = 'success'`,
    ).get(workflowName, step) as { runId: string; output: string | null } | undefined;
    return row ? { runId: row.runId, output: row.output ?? "" } : undefined;
  }

  /** The last successful run of `workflowName` and its successful steps' outputs: one seek, one range read. */
  previousOutputs(workflowName: string): { runId: string; outputs: Record<string, string> } | undefined {
    const run = this.sql(
      `SELECT id FROM runs WHERE workflow_name = ? AND status = 'success' ORDER BY created_at DESC, rowid DESC LIMIT 1`,
    ).get(workflowName) as { id: string } | undefined;
    if (!run) return undefined;
    const steps = this.sql(`SELECT name, output FROM run_steps WHERE run_id = ? AND status = 'success'`).all(run.id) as Array<{
      name: string;
      output: string | null;
    }>;
    return { runId: run.id, outputs: Object.fromEntries(steps.map((s) => [s.name, s.output ?? ""])) };
  }

  /**
   * Records the process group a running step's work lives in. The step's
   * next record (INSERT OR REPLACE) clears it, so only steps still running
   * carry one.
   */
  recordStepProcess(runId: string, index: number, pgid: number, identity: string): void {
    this.sql(`UPDATE run_steps SET pgid = ?, pgid_identity = ? WHERE run_id = ? AND idx = ? AND status = 'running'`).run(
      pgid,
      identity,
      runId,
      index,
    );
  }

  /** The process groups recorded for a run's steps that are still marked running. */
  stepProcesses(runId: string): StepProcess[] {
    return this.sql(
      `SELECT idx AS "index", pgid, pgid_identity AS identity FROM run_steps
       WHERE run_id = ? AND status = 'running' AND pgid IS NOT NULL AND pgid_identity IS NOT NULL`,
    ).all(runId) as StepProcess[];
  }

  recordRunProcess(runId: string, pgid: number, identity: string): void {
    this.sql(`INSERT OR REPLACE INTO run_processes (run_id, pgid, identity) VALUES (?, ?, ?)`).run(runId, pgid, identity);
  }

  forgetRunProcess(runId: string, pgid: number): void {
    this.sql(`DELETE FROM run_processes WHERE run_id = ? AND pgid = ?`).run(runId, pgid);
  }

  leftoverProcesses(host: string): LeftoverProcess[] {
    return this.sql(
      `SELECT s.run_id AS runId, s.pgid, s.pgid_identity AS identity
         FROM run_steps s INDEXED BY run_steps_with_process JOIN runs r ON r.id = s.run_id
        WHERE s.pgid IS NOT NULL AND s.pgid_identity IS NOT NULL AND r.owner_host = ? AND r.status NOT IN ('queued', 'running')
       UNION ALL
       SELECT p.run_id, p.pgid, p.identity FROM run_processes p JOIN runs r ON r.id = p.run_id
        WHERE r.owner_host = ? AND r.status NOT IN ('queued', 'running')`,
    ).all(host, host) as LeftoverProcess[];
  }

  forgetProcesses(runId: string): void {
    this.db.transaction(() => {
      this.sql(`UPDATE run_steps SET pgid = NULL, pgid_identity = NULL WHERE run_id = ? AND pgid IS NOT NULL`).run(runId);
      this.sql(`DELETE FROM run_processes WHERE run_id = ?`).run(runId);
    })();
  }

  requestCancel(id: string): void {
    this.sql(`UPDATE runs SET cancel_requested_at = ? WHERE id = ? AND status IN ('queued', 'running')`).run(this.now(), id);
  }

  cancelsRequested(ids: readonly string[]): string[] {
    const found: string[] = [];
    // A few hundred at a time: SQLite caps the parameters of one statement.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT id FROM runs WHERE id IN (${chunk.map(() => "?").join(", ")}) AND cancel_requested_at IS NOT NULL AND status IN ('queued', 'running')`)
        .all(...chunk) as Array<{ id: string }>;
      found.push(...rows.map((row) => row.id));
    }
    return found;
  }

  runProcesses(runId: string): RunProcess[] {
    return this.sql(`SELECT pgid, identity FROM run_processes WHERE run_id = ? ORDER BY pgid`).all(runId) as RunProcess[];
  }

  /** Gives queued runs to a new owner (an agent resuming a dead one's accepted work). */
  adoptQueued(ids: readonly string[], owner: Owner): void {
    const adopt = this.sql(`UPDATE runs SET owner_id = ?, owner_pid = ?, owner_host = ? WHERE id = ? AND status = 'queued'`);
    this.db.transaction(() => {
      for (const id of ids) adopt.run(owner.id, owner.pid, owner.host, id);
    })();
  }

  /** Inserts or replaces the record of one step (written when it starts and again when it ends). */
  recordStep(runId: string, step: StepRecord): void {
    this.sql(
      `INSERT OR REPLACE INTO run_steps (run_id, idx, name, kind, status, output, error, exit_code, attempts, started_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      runId,
      step.index,
      step.name,
      step.kind,
      step.status,
      step.output,
      step.error,
      step.exitCode,
      step.attempts,
      step.startedAt === null ? null : Date.parse(step.startedAt),
      step.finishedAt === null ? null : Date.parse(step.finishedAt),
    );
  }

  /** Appends log chunks in one transaction and returns them with their sequence numbers. */
  appendLogs(runId: string, chunks: readonly NewLogChunk[]): LogChunk[] {
    if (chunks.length === 0) return [];
    const insert = this.sql("INSERT INTO run_logs (run_id, step_idx, stream, at, text) VALUES (?, ?, ?, ?, ?)");
    const write = this.db.transaction(() =>
      chunks.map((chunk) => {
        const result = insert.run(runId, chunk.step, chunk.stream, chunk.at, chunk.text);
        return {
          seq: Number(result.lastInsertRowid),
          runId,
          step: chunk.step,
          stream: chunk.stream,
          at: iso(chunk.at)!,
          text: chunk.text,
        } satisfies LogChunk;
      }),
    );
    return write.immediate();
  }

  /** Log chunks of a run with a sequence number above `afterSeq`, oldest first. */
  logsAfter(runId: string, afterSeq: number, limit = 1000): LogChunk[] {
    const rows = this.sql("SELECT * FROM run_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?").all(
      runId,
      afterSeq,
      limit,
    ) as LogRow[];
    return rows.map(toLogChunk);
  }

  /** Every run of a trigger for an instant in [fromMs, toMs), by instant, then oldest first. */
  instantRuns(triggerId: number, fromMs: number, toMs: number): InstantRun[] {
    const rows = this.sql(
      `SELECT id, scheduled_for, status FROM runs INDEXED BY runs_by_instant
       WHERE trigger_id = ? AND scheduled_for >= ? AND scheduled_for < ? ORDER BY scheduled_for, created_at, rowid`,
    ).all(triggerId, fromMs, toMs) as Array<{ id: string; scheduled_for: number; status: RunStatus }>;
    return rows.map((row) => ({ id: row.id, scheduledFor: row.scheduled_for, status: row.status }));
  }

  /** The id of the run an earlier delivery with this id started, at or after `sinceMs`. */
  findDelivery(triggerId: number, deliveryId: string, sinceMs: number): string | undefined {
    // Left to itself the planner picks runs_by_trigger (it serves the ORDER
    // BY) and walks every run of the trigger, reading past each row's
    // context to reach delivery_id: a webhook under load slows down with its
    // history. The delivery index finds the one or two matching rows.
    const row = this.sql(
      "SELECT id FROM runs INDEXED BY runs_by_delivery WHERE trigger_id = ? AND delivery_id = ? AND created_at >= ? ORDER BY created_at LIMIT 1",
    ).get(triggerId, deliveryId, sinceMs) as { id: string } | undefined;
    return row?.id;
  }

  /**
   * Deletes finished runs created before the instant `olderThanMs` (epoch
   * ms), with their steps and logs, and returns how many runs went. The
   * latest successful run of each workflow is kept whatever its age, so
   * `{previous.x}` survives retention.
   */
  prune(olderThanMs: number): number {
    const keep = new Set(
      (
        this.sql(
          `SELECT (SELECT id FROM runs r WHERE r.workflow_name = w.workflow_name AND r.status = 'success'
                   ORDER BY created_at DESC, rowid DESC LIMIT 1) AS id
           FROM (SELECT DISTINCT workflow_name FROM runs) w`,
        ).all() as Array<{ id: string | null }>
      ).flatMap((row) => (row.id ? [row.id] : [])),
    );
    const select = this.sql(
      `SELECT id FROM runs WHERE created_at < ? AND status NOT IN ('queued', 'running') ORDER BY created_at LIMIT 500 OFFSET ?`,
    );
    const remove = this.sql("DELETE FROM runs WHERE id = ?");
    let deleted = 0;
    let skipped = 0;
    // Batches keep each write transaction short so other processes are not held up.
    for (;;) {
      const ids = (select.all(olderThanMs, skipped) as Array<{ id: string }>).map((row) => row.id);
      if (ids.length === 0) break;
      const batch = this.db.transaction(() => {
        for (const id of ids) {
          if (keep.has(id)) skipped++;
          else deleted += remove.run(id).changes;
        }
      });
      batch.immediate();
    }
    // Claimed schedule instants older than the runs kept are history too.
    this.sql("DELETE FROM schedule_claims WHERE claimed_at < ?").run(olderThanMs);
    return deleted;
  }
}
