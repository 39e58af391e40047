// The runs side of the PostgreSQL store: run rows, their steps and their log
// chunks, with the semantics of the SQLite adapter (agent/store/sqlite/
// runs.ts): a run is finished exactly once, listings are newest first with
// insertion order inside a millisecond, outputs and logs are read back as
// written. What several agents need on top: a run starts (`markRunning`) only
// where it may, that is not already running under another agent, not pinned
// to another host, and not while another run with its serial key runs
// anywhere.
import { conflict, invalid, notFound } from "../../errors";
import type { ListRunsParams, LogChunk, RunRecord, RunStatus, RunSummary, RunTriggerKind, StepRecord, TriggerContext } from "../../protocol";
import { newRunId, RUN_ID_CHARS } from "../ids";
import { iso, parseContext, toLogChunk, toStep, toSummary, type LogRow, type RunRow, type StepRow } from "../sqlite/runRows";
import type { ActiveRun, Clock, FinishStatus, InstantRun, LeftoverProcess, NewLogChunk, NewRun, Owner, RunProcess, RunRepository, StepProcess } from "../store";
import { text, transaction, TRIGGER_LOCK_SQL, type Pool, type Queryable } from "./db";

export const DEFAULT_LIST_LIMIT = 20;
const ALL_STATUSES: readonly RunStatus[] = ["queued", "running", "success", "failed", "cancelled", "skipped"];
export const SUMMARY_COLUMNS =
  "seq AS rowid, id, workflow_name, workflow_file, trigger_id, trigger_name, trigger_kind, status, scheduled_for, created_at, started_at, finished_at, error, replay_of, backfill, missed";
const NEWEST_FIRST = "ORDER BY created_at DESC, seq DESC";

/** A run as admission writes it: the pin comes from the trigger. */
export interface RunInsert extends NewRun {
  /** The id, when the caller had to know it first (a claim row names its run). */
  id?: string;
}

/** Inserts one run row on `db` (a pool, or a client inside a transaction). */
export async function insertRunRow(db: Queryable, run: RunInsert, now: number): Promise<RunSummary> {
  const status = run.status ?? "queued";
  const finished = status === "skipped" || status === "failed";
  const owner = run.owner ?? null;
  const { rows } = await db.query<RunRow>(
    `INSERT INTO runs (id, workflow_name, workflow_file, trigger_id, trigger_name, trigger_kind, trigger_context, status,
       scheduled_for, created_at, started_at, finished_at, error, owner_id, owner_pid, owner_host, delivery_id, serial_key, pinned_host,
       replay_of, backfill, missed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
       (SELECT pinned_host FROM triggers WHERE id = $4), $19, $20, $21)
     RETURNING ${SUMMARY_COLUMNS}`,
    [
      run.id ?? newRunId(),
      run.workflowName,
      run.workflowFile,
      run.triggerId ?? null,
      run.triggerName ?? null,
      run.triggerKind,
      text(JSON.stringify(run.context ?? {})),
      status,
      run.scheduledFor ?? null,
      now,
      status === "running" ? now : null,
      finished ? now : null,
      text(run.error ?? null),
      owner?.id ?? null,
      owner?.pid ?? null,
      owner?.host ?? null,
      run.deliveryId ?? null,
      run.serialKey ?? null,
      run.replayOf ?? null,
      run.backfill ? 1 : 0,
      run.missed ? text(JSON.stringify(run.missed)) : null,
    ],
  );
  return toSummary(rows[0]!);
}

/** Every run of a trigger for an instant in [fromMs, toMs), by instant, then oldest first (on `runs_by_instant`). */
export async function instantRunsOn(db: Queryable, triggerId: number, fromMs: number, toMs: number): Promise<InstantRun[]> {
  const { rows } = await db.query<{ id: string; scheduled_for: number; status: RunStatus }>(
    `SELECT id, scheduled_for, status FROM runs
     WHERE trigger_id = $1 AND scheduled_for IS NOT NULL AND scheduled_for >= $2 AND scheduled_for < $3 ORDER BY scheduled_for, created_at, seq`,
    [triggerId, fromMs, toMs],
  );
  return rows.map((row) => ({ id: row.id, scheduledFor: row.scheduled_for, status: row.status }));
}

type OwnerColumns = { owner_id: string | null; owner_pid: number | null; owner_host: string | null };

const toOwner = (r: OwnerColumns): Owner | null =>
  r.owner_id === null ? null : { id: r.owner_id, pid: r.owner_pid ?? 0, host: r.owner_host ?? "" };

export class PgRunStore implements RunRepository {
  constructor(
    private readonly pool: Pool,
    private readonly now: Clock,
  ) {}

  insertRun(run: NewRun): Promise<RunSummary> {
    return insertRunRow(this.pool, run, this.now());
  }

  async getSummary(id: string): Promise<RunSummary | undefined> {
    const { rows } = await this.pool.query<RunRow>(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE id = $1`, [id]);
    return rows[0] && toSummary(rows[0]);
  }

  async resolveId(idOrPrefix: string): Promise<string> {
    const wanted = idOrPrefix.trim().toLowerCase();
    if (!RUN_ID_CHARS.test(wanted)) throw invalid(`"${idOrPrefix}" is not a run id: run ids are letters a-z and digits`);
    // The exact id sorts first in its own range, so one range read answers both questions.
    const { rows } = await this.pool.query<{ id: string }>("SELECT id FROM runs WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 3", [
      wanted,
      `${wanted}~`,
    ]);
    if (rows[0]?.id === wanted) return wanted;
    if (rows.length === 0) throw notFound(`no run with id "${idOrPrefix}" (list runs with: clockwork history)`);
    if (rows.length > 1) {
      const shown = rows.map((m) => m.id).join(", ");
      throw conflict(`run id prefix "${idOrPrefix}" is ambiguous: ${shown}${rows.length > 2 ? ", …" : ""}; type more characters`);
    }
    return rows[0]!.id;
  }

  async getRun(idOrPrefix: string): Promise<RunRecord> {
    const id = await this.resolveId(idOrPrefix);
    const { rows } = await this.pool.query<RunRow>(`SELECT ${SUMMARY_COLUMNS}, trigger_context FROM runs WHERE id = $1`, [id]);
    const row = rows[0];
    if (!row) throw notFound(`no run with id "${idOrPrefix}"`);
    return { ...toSummary(row), trigger: parseContext(row.trigger_context ?? "{}"), steps: await this.getSteps(id) };
  }

  async getSteps(runId: string): Promise<StepRecord[]> {
    const { rows } = await this.pool.query<StepRow>("SELECT * FROM run_steps WHERE run_id = $1 ORDER BY idx", [runId]);
    return rows.map(toStep);
  }

  async listRuns(p: ListRunsParams = {}): Promise<RunSummary[]> {
    const limit = p.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw invalid(`limit must be a positive whole number, not ${p.limit}`);
    if (p.status !== undefined && !ALL_STATUSES.includes(p.status)) {
      throw invalid(`unknown status "${p.status}": use one of ${ALL_STATUSES.join(", ")}`);
    }
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      values.push(value);
      where.push(sql.replace("?", `$${values.length}`));
    };
    if (p.trigger !== undefined) {
      // A registered trigger's runs by its id; an unregistered one's by the name they were started under.
      const trigger = await this.pool.query<{ id: number }>("SELECT id FROM triggers WHERE name = $1", [p.trigger]);
      if (trigger.rows[0]) add("trigger_id = ?", trigger.rows[0].id);
      else add("trigger_name = ?", p.trigger);
    }
    if (p.workflow !== undefined) add("workflow_name = ?", p.workflow);
    if (p.status !== undefined) add("status = ?", p.status);
    values.push(limit);
    const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const { rows } = await this.pool.query<RunRow>(`SELECT ${SUMMARY_COLUMNS} FROM runs ${filter} ${NEWEST_FIRST} LIMIT $${values.length}`, values);
    return rows.map(toSummary);
  }

  async recentWithContext(triggerName: string, kind: RunTriggerKind, limit: number): Promise<Array<{ run: RunSummary; context: TriggerContext }>> {
    const { rows } = await this.pool.query<RunRow>(
      `SELECT ${SUMMARY_COLUMNS}, trigger_context FROM runs
       WHERE trigger_id = (SELECT id FROM triggers WHERE name = $1) AND trigger_kind = $2 ${NEWEST_FIRST} LIMIT $3`,
      [triggerName, kind, limit],
    );
    return rows.map((row) => ({ run: toSummary(row), context: parseContext(row.trigger_context ?? "{}") }));
  }

  async markRunning(id: string, owner: Owner): Promise<RunSummary> {
    // The common case in one statement: a queued run with no serial key that this host may run.
    const fast = await this.pool.query<RunRow>(
      `UPDATE runs SET status = 'running', owner_id = $1, owner_pid = $2, owner_host = $3, started_at = COALESCE(started_at, $4)
       WHERE id = $5 AND serial_key IS NULL AND (pinned_host IS NULL OR pinned_host = $3)
         AND (status = 'queued' OR (status = 'running' AND owner_id = $1)) RETURNING ${SUMMARY_COLUMNS}`,
      [owner.id, owner.pid, owner.host, this.now(), id],
    );
    if (fast.rows[0]) return toSummary(fast.rows[0]);
    return this.markRunningChecked(id, owner);
  }

  /** Everything else: says why a run cannot start here, or starts it under its serial key's lock. */
  private markRunningChecked(id: string, owner: Owner): Promise<RunSummary> {
    return transaction(this.pool, async (client) => {
      const found = await client.query<{ status: RunStatus; owner_id: string | null; owner_host: string | null; serial_key: string | null; pinned_host: string | null }>(
        "SELECT status, owner_id, owner_host, serial_key, pinned_host FROM runs WHERE id = $1",
        [id],
      );
      const run = found.rows[0];
      if (!run) throw notFound(`no run with id "${id}"`);
      if (run.status !== "queued" && run.status !== "running") throw conflict(`run ${id} already finished (${run.status})`);
      if (run.pinned_host !== null && run.pinned_host !== owner.host) {
        throw conflict(`run ${id} is pinned to host ${run.pinned_host}; an agent there runs it`);
      }
      if (run.serial_key !== null) {
        // Taken before looking, so two agents starting two runs of one trigger see each other's.
        await client.query(TRIGGER_LOCK_SQL, [run.serial_key]);
        const busy = await client.query("SELECT 1 FROM runs WHERE serial_key = $1 AND status = 'running' AND id <> $2 LIMIT 1", [run.serial_key, id]);
        if (busy.rows.length > 0) throw conflict(`run ${id} waits: another run of ${run.serial_key} is running`);
      }
      const { rows } = await client.query<RunRow>(
        `UPDATE runs SET status = 'running', owner_id = $1, owner_pid = $2, owner_host = $3, started_at = COALESCE(started_at, $4)
         WHERE id = $5 AND (status = 'queued' OR (status = 'running' AND owner_id = $1)) RETURNING ${SUMMARY_COLUMNS}`,
        [owner.id, owner.pid, owner.host, this.now(), id],
      );
      if (rows[0]) return toSummary(rows[0]);
      const now = await client.query<{ status: RunStatus; owner_id: string | null; owner_host: string | null }>(
        "SELECT status, owner_id, owner_host FROM runs WHERE id = $1",
        [id],
      );
      const after = now.rows[0]!;
      if (after.status !== "running") throw conflict(`run ${id} already finished (${after.status})`);
      throw conflict(`run ${id} is already running under ${after.owner_id} on ${after.owner_host}`);
    });
  }

  async finishRun(id: string, status: FinishStatus, error: string | null = null): Promise<RunSummary | undefined> {
    const now = this.now();
    // One statement, so one transaction: the run moves only from queued or running, and its running steps end with it.
    const { rows } = await this.pool.query<RunRow>(
      `WITH finished AS (
         UPDATE runs SET status = $1, error = $2, finished_at = $3 WHERE id = $4 AND status IN ('queued', 'running') RETURNING ${SUMMARY_COLUMNS}),
       steps AS (
         UPDATE run_steps SET status = $5, finished_at = $3, error = COALESCE(error, $6)
         WHERE run_id = (SELECT id FROM finished) AND status = 'running')
       SELECT * FROM finished`,
      [status, text(error), now, id, status === "cancelled" ? "cancelled" : "failed", status === "success" ? null : text(error)],
    );
    return rows[0] && toSummary(rows[0]);
  }

  async activeRuns(): Promise<RunSummary[]> {
    const { rows } = await this.pool.query<RunRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at, seq`,
    );
    return rows.map(toSummary);
  }

  async countActive(): Promise<{ queued: number; running: number }> {
    const { rows } = await this.pool.query<{ status: "queued" | "running"; n: number }>(
      `SELECT status, COUNT(*) AS n FROM runs WHERE status IN ('queued', 'running') GROUP BY status`,
    );
    const counts = { queued: 0, running: 0 };
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  async ownedActiveRuns(): Promise<ActiveRun[]> {
    const { rows } = await this.pool.query<OwnerColumns & { id: string; status: "queued" | "running"; serial_key: string | null }>(`SELECT id, status, owner_id, owner_pid, owner_host, serial_key FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at, seq`);
    return rows.map((r) => ({ id: r.id, status: r.status, owner: toOwner(r), serialKey: r.serial_key }));
  }

  async ownerOf(id: string): Promise<Owner | null> {
    const { rows } = await this.pool.query<{ owner_id: string | null; owner_pid: number | null; owner_host: string | null }>(
      "SELECT owner_id, owner_pid, owner_host FROM runs WHERE id = $1",
      [id],
    );
    return rows[0] ? toOwner(rows[0]) : null;
  }

  async adoptQueued(ids: readonly string[], owner: Owner): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(`UPDATE runs SET owner_id = $1, owner_pid = $2, owner_host = $3 WHERE id = ANY($4) AND status = 'queued'`, [
      owner.id,
      owner.pid,
      owner.host,
      ids,
    ]);
  }

  async failRunsOwnedBy(ownerId: string, reason: string): Promise<RunSummary[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM runs WHERE status IN ('queued', 'running') AND owner_id = $1 ORDER BY created_at, seq`,
      [ownerId],
    );
    const failed: RunSummary[] = [];
    for (const row of rows) {
      const summary = await this.finishRun(row.id, "failed", reason);
      if (summary) failed.push(summary);
    }
    return failed;
  }

  async previousOutput(workflowName: string, step: string): Promise<{ runId: string; output: string } | undefined> {
    const { rows } = await this.pool.query<{ runId: string; output: string | null }>(
      `SELECT r.id AS "runId", s.output AS output
       FROM (SELECT id FROM runs WHERE workflow_name = $1 AND status = 'success' ${NEWEST_FIRST} LIMIT 1) r
       JOIN run_steps s ON s.run_id = r.id AND s.name = $2 AND s.status = 'success'`,
      [workflowName, step],
    );
    return rows[0] ? { runId: rows[0].runId, output: rows[0].output ?? "" } : undefined;
  }

  async previousOutputs(workflowName: string): Promise<{ runId: string; outputs: Record<string, string> } | undefined> {
    const run = await this.pool.query<{ id: string }>(
      `SELECT id FROM runs WHERE workflow_name = $1 AND status = 'success' ${NEWEST_FIRST} LIMIT 1`,
      [workflowName],
    );
    const id = run.rows[0]?.id;
    if (!id) return undefined;
    const steps = await this.pool.query<{ name: string; output: string | null }>(
      `SELECT name, output FROM run_steps WHERE run_id = $1 AND status = 'success'`,
      [id],
    );
    return { runId: id, outputs: Object.fromEntries(steps.rows.map((s) => [s.name, s.output ?? ""])) };
  }

  async recordStep(runId: string, step: StepRecord): Promise<void> {
    // Like SQLite's INSERT OR REPLACE: the step's new record clears the process group it had.
    await this.pool.query(
      `INSERT INTO run_steps (run_id, idx, name, kind, status, output, error, exit_code, attempts, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (run_id, idx) DO UPDATE SET name = excluded.name, kind = excluded.kind, status = excluded.status,
         output = excluded.output, error = excluded.error, exit_code = excluded.exit_code, attempts = excluded.attempts,
         started_at = excluded.started_at, finished_at = excluded.finished_at, pgid = NULL, pgid_identity = NULL`,
      [
        runId,
        step.index,
        step.name,
        step.kind,
        step.status,
        text(step.output),
        text(step.error),
        step.exitCode,
        step.attempts,
        step.startedAt === null ? null : Date.parse(step.startedAt),
        step.finishedAt === null ? null : Date.parse(step.finishedAt),
      ],
    );
  }

  async recordStepProcess(runId: string, index: number, pgid: number, identity: string): Promise<void> {
    await this.pool.query(`UPDATE run_steps SET pgid = $1, pgid_identity = $2 WHERE run_id = $3 AND idx = $4 AND status = 'running'`, [
      pgid,
      identity,
      runId,
      index,
    ]);
  }

  async stepProcesses(runId: string): Promise<StepProcess[]> {
    const { rows } = await this.pool.query<StepProcess>(
      `SELECT idx AS "index", pgid, pgid_identity AS identity FROM run_steps
       WHERE run_id = $1 AND status = 'running' AND pgid IS NOT NULL AND pgid_identity IS NOT NULL`,
      [runId],
    );
    return rows;
  }

  async recordRunProcess(runId: string, pgid: number, identity: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO run_processes (run_id, pgid, identity) VALUES ($1, $2, $3) ON CONFLICT (run_id, pgid) DO UPDATE SET identity = excluded.identity`,
      [runId, pgid, identity],
    );
  }

  async forgetRunProcess(runId: string, pgid: number): Promise<void> {
    await this.pool.query(`DELETE FROM run_processes WHERE run_id = $1 AND pgid = $2`, [runId, pgid]);
  }

  async runProcesses(runId: string): Promise<RunProcess[]> {
    const { rows } = await this.pool.query<RunProcess>(`SELECT pgid, identity FROM run_processes WHERE run_id = $1 ORDER BY pgid`, [runId]);
    return rows;
  }

  async leftoverProcesses(host: string): Promise<LeftoverProcess[]> {
    const { rows } = await this.pool.query<LeftoverProcess>(
      `SELECT s.run_id AS "runId", s.pgid, s.pgid_identity AS identity FROM run_steps s JOIN runs r ON r.id = s.run_id
        WHERE s.pgid IS NOT NULL AND s.pgid_identity IS NOT NULL AND r.owner_host = $1 AND r.status NOT IN ('queued', 'running')
       UNION ALL
       SELECT p.run_id, p.pgid, p.identity FROM run_processes p JOIN runs r ON r.id = p.run_id
        WHERE r.owner_host = $1 AND r.status NOT IN ('queued', 'running')`,
      [host],
    );
    return rows;
  }

  async forgetProcesses(runId: string): Promise<void> {
    await transaction(this.pool, async (client) => {
      await client.query(`UPDATE run_steps SET pgid = NULL, pgid_identity = NULL WHERE run_id = $1 AND pgid IS NOT NULL`, [runId]);
      await client.query(`DELETE FROM run_processes WHERE run_id = $1`, [runId]);
    });
  }

  async requestCancel(id: string): Promise<void> {
    await this.pool.query(`UPDATE runs SET cancel_requested_at = $1 WHERE id = $2 AND status IN ('queued', 'running')`, [this.now(), id]);
  }

  async cancelsRequested(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM runs WHERE id = ANY($1::text[]) AND cancel_requested_at IS NOT NULL AND status IN ('queued', 'running')`,
      [ids],
    );
    return rows.map((row) => row.id);
  }

  instantRuns(triggerId: number, fromMs: number, toMs: number): Promise<InstantRun[]> {
    return instantRunsOn(this.pool, triggerId, fromMs, toMs);
  }

  async appendLogs(runId: string, chunks: readonly NewLogChunk[]): Promise<LogChunk[]> {
    if (chunks.length === 0) return [];
    // One statement; identity values are handed out in the order of the rows, so sorted seqs pair with the chunks in order.
    const { rows } = await this.pool.query<{ seq: number }>(
      `INSERT INTO run_logs (run_id, step_idx, stream, at, text)
       SELECT $1, u.step, u.stream, u.at, u.text FROM unnest($2::int[], $3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY
         AS u(step, stream, at, text, n) ORDER BY u.n
       RETURNING seq`,
      [runId, chunks.map((c) => c.step), chunks.map((c) => c.stream), chunks.map((c) => c.at), chunks.map((c) => text(c.text))],
    );
    const seqs = rows.map((r) => r.seq).sort((a, b) => a - b);
    return chunks.map((chunk, i) => ({ seq: seqs[i]!, runId, step: chunk.step, stream: chunk.stream, at: iso(chunk.at)!, text: text(chunk.text) }));
  }

  async logsAfter(runId: string, afterSeq: number, limit = 1000): Promise<LogChunk[]> {
    const { rows } = await this.pool.query<LogRow>("SELECT * FROM run_logs WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", [
      runId,
      afterSeq,
      limit,
    ]);
    return rows.map(toLogChunk);
  }

  async findDelivery(triggerId: number, deliveryId: string, sinceMs: number): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ id: string }>(
      "SELECT id FROM runs WHERE trigger_id = $1 AND delivery_id = $2 AND created_at >= $3 ORDER BY created_at LIMIT 1",
      [triggerId, deliveryId, sinceMs],
    );
    return rows[0]?.id;
  }

  async prune(olderThanMs: number): Promise<number> {
    let deleted = 0;
    // Batches keep each transaction short; each workflow's last success is kept whatever its age, so {previous.x} survives.
    for (;;) {
      const result = await this.pool.query(
        `DELETE FROM runs WHERE id IN (
           SELECT id FROM runs r WHERE r.created_at < $1 AND r.status NOT IN ('queued', 'running')
             AND NOT (r.status = 'success' AND r.id = (SELECT l.id FROM runs l WHERE l.workflow_name = r.workflow_name AND l.status = 'success'
                                                      ORDER BY l.created_at DESC, l.seq DESC LIMIT 1))
           LIMIT 500)`,
        [olderThanMs],
      );
      deleted += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < 500) break;
    }
    await this.pool.query("DELETE FROM schedule_claims WHERE claimed_at < $1", [olderThanMs]);
    return deleted;
  }
}
