// Registered triggers in the SQLite store: every kind in one table with one
// name space, so `pause`, `resume` and `unregister` work by name whatever the
// kind. Rows come out in two shapes: `TriggerRow` (everything the agent needs,
// never the webhook secret) and the protocol's `TriggerRecord` for clients.
// The webhook secret has exactly one getter, `webhookSecret`. Synchronous;
// sqlite/index.ts hands it out behind the asynchronous TriggerRepository.
import type { MissedReport, ScheduleConfig, TriggerRecord, TriggerType, RunStatus } from "../../protocol";
import { isTriggerType, TRIGGER_KINDS, triggerCounts, type TriggerCounts } from "../../core/triggerKinds";
import { unreachable } from "../../core/unreachable";
import { conflict, invalid, notFound } from "../../errors";
import type Database from "better-sqlite3";
import type { Db } from "./db";
import { parseMissed } from "./runRows";
import {
  TRIGGER_TYPES,
  type Clock,
  type NewTrigger,
  type ScheduleRow,
  type TakenName,
  type TriggerPatch,
  type TriggerRow,
} from "../store";

export interface TriggerStoreOptions {
  /** Human-readable cadence for a schedule's record (cronstrue via core/cron). */
  describeSchedule?: (config: ScheduleConfig) => string;
  /** The HTTP server's base URL, for webhook URLs in records; null while it is off. */
  httpUrl?: () => string | null;
}

interface Row {
  id: number;
  name: string;
  kind: TriggerType;
  workflow_file: string;
  workflow_name: string;
  paused: number;
  config: string;
  next_fire_at: number | null;
  state_error: string | null;
  created_at: number;
  updated_at: number;
}

// Every column but the secret.
const COLUMNS = `id, name, kind, workflow_file, workflow_name, paused, config, next_fire_at, state_error, created_at, updated_at`;

export class TriggerStore {
  // Prepared once: the scheduler asks the same few questions on every tick.
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();

  constructor(
    private readonly db: Db,
    private readonly options: TriggerStoreOptions = {},
    private readonly now: Clock = Date.now,
  ) {}

  private sql(text: string): Database.Statement<unknown[]> {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare<unknown[]>(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Refuses a name already used by any trigger, whatever its kind. */
  create(input: NewTrigger): TriggerRow {
    const existing = this.get(input.name);
    if (existing) throw duplicate(input.name, existing.type);
    try {
      this.insert(input, this.now());
    } catch (error) {
      // Another process registered the same name between the check and the insert.
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") throw duplicate(input.name, input.type);
      throw error;
    }
    return this.require(input.name);
  }

  /**
   * Creates every trigger in one transaction, or none: the names already
   * used (by a stored trigger or an earlier input) come back with their
   * index, and then nothing was written. Nothing is read back.
   */
  createMany(inputs: readonly NewTrigger[]): TakenName[] {
    const taken: TakenName[] = [];
    const now = this.now();
    const createAll = this.db.transaction(() => {
      inputs.forEach((input, index) => {
        if (this.insert(input, now, "ON CONFLICT (name) DO NOTHING") === 1) return;
        taken.push({ index, name: input.name, type: this.get(input.name)?.type ?? input.type });
      });
      // Throwing rolls the transaction back: all or nothing.
      if (taken.length > 0) throw NAMES_TAKEN;
    });
    try {
      createAll.immediate();
    } catch (error) {
      if (error !== NAMES_TAKEN) throw error;
    }
    return taken;
  }

  /** One INSERT; how many rows it wrote (0 when `onConflict` skipped it). */
  private insert(input: NewTrigger, now: number, onConflict = ""): number {
    return this.sql(
      `INSERT INTO triggers (name, kind, workflow_file, workflow_name, paused, config, secret, next_fire_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ${onConflict}`,
    ).run(
      input.name,
      input.type,
      input.workflowFile,
      input.workflowName,
      input.paused ? 1 : 0,
      JSON.stringify(input.config),
      input.secret ?? null,
      input.nextFireAt ?? null,
      now,
      now,
    ).changes;
  }

  get(name: string): TriggerRow | undefined {
    const row = this.sql(`SELECT ${COLUMNS} FROM triggers WHERE name = ?`).get(name) as Row | undefined;
    return row && toTriggerRow(row);
  }

  getById(id: number): TriggerRow | undefined {
    const row = this.sql(`SELECT ${COLUMNS} FROM triggers WHERE id = ?`).get(id) as Row | undefined;
    return row && toTriggerRow(row);
  }

  /** Like `get`, but an unknown name is a NotFound error naming it. */
  require(name: string): TriggerRow {
    const row = this.get(name);
    if (!row) throw notFound(`no trigger named "${name}" (see \`clockwork list\`)`);
    return row;
  }

  rows(type?: TriggerType): TriggerRow[] {
    const rows = (
      type
        ? this.sql(`SELECT ${COLUMNS} FROM triggers WHERE kind = ? ORDER BY name`).all(type)
        : this.sql(`SELECT ${COLUMNS} FROM triggers ORDER BY name`).all()
    ) as Row[];
    return rows.map(toTriggerRow);
  }

  /** Up to `limit` records after the name `after` (exclusive), sorted by name: one page of a listing, on an index. */
  listPage(type: TriggerType | undefined, after: string, limit: number): TriggerRecord[] {
    const rows = (
      type
        ? this.sql(`SELECT ${COLUMNS} FROM triggers WHERE kind = ? AND name > ? ORDER BY name LIMIT ?`).all(type, after, limit)
        : this.sql(`SELECT ${COLUMNS} FROM triggers WHERE name > ? ORDER BY name LIMIT ?`).all(after, limit)
    ) as Row[];
    return rows.map((row) => this.toRecord(toTriggerRow(row)));
  }

  ofWorkflowFile(file: string, limit: number): { records: TriggerRecord[]; total: number } {
    const rows = this.sql(`SELECT ${COLUMNS} FROM triggers WHERE workflow_file = ? ORDER BY name LIMIT ?`).all(file, limit) as Row[];
    const { n } = this.sql(`SELECT COUNT(*) AS n FROM triggers WHERE workflow_file = ?`).get(file) as { n: number };
    return { records: rows.map((row) => this.toRecord(toTriggerRow(row))), total: n };
  }

  record(name: string): TriggerRecord {
    return this.toRecord(this.require(name));
  }

  update(name: string, patch: TriggerPatch): TriggerRow {
    const now = this.now();
    const row = this.require(name);
    const sets: string[] = ["updated_at = @now"];
    const values: Record<string, unknown> = { id: row.id, now };
    const column = (key: keyof TriggerPatch, sql: string, value: unknown) => {
      if (patch[key] === undefined) return;
      sets.push(`${sql} = @${key}`);
      values[key] = value;
    };
    column("workflowFile", "workflow_file", patch.workflowFile);
    column("workflowName", "workflow_name", patch.workflowName);
    column("config", "config", JSON.stringify(patch.config));
    column("paused", "paused", patch.paused ? 1 : 0);
    column("nextFireAt", "next_fire_at", patch.nextFireAt);
    column("stateError", "state_error", patch.stateError);
    column("secret", "secret", patch.secret);
    this.sql(`UPDATE triggers SET ${sets.join(", ")} WHERE id = @id`).run(values);
    return this.getById(row.id)!;
  }

  /** Pausing clears the next fire; the caller passes the recomputed one on resume. */
  setPaused(name: string, paused: boolean, nextFireAt: number | null): TriggerRow {
    return this.update(name, { paused, nextFireAt: paused ? null : nextFireAt });
  }

  remove(name: string): TriggerRow {
    const row = this.require(name);
    this.sql(`DELETE FROM triggers WHERE id = ?`).run(row.id);
    return row;
  }

  /** The one place the webhook secret leaves the store: for signature checks. */
  webhookSecret(name: string): string | undefined {
    const row = this.sql(`SELECT secret FROM triggers WHERE name = ? AND kind = 'webhook'`).get(name) as
      | { secret: string | null }
      | undefined;
    return row?.secret ?? undefined;
  }

  /** The earliest next fire over all schedules: one seek on `triggers_due`. */
  earliestFire(): { name: string; at: number } | undefined {
    const row = this.sql(
        `SELECT name, next_fire_at AS at FROM triggers WHERE next_fire_at IS NOT NULL ORDER BY next_fire_at LIMIT 1`,
      )
      .get() as { name: string; at: number } | undefined;
    return row;
  }

  /** Active schedules whose next fire is at or before `now`, earliest first. */
  due(now: number, limit = 100): ScheduleRow[] {
    const rows = this.sql(
        // Named: with `triggers_by_kind` beside it, the planner would pick
        // kind = 'schedule' (every schedule) over the range of due ones.
        `SELECT ${COLUMNS} FROM triggers INDEXED BY triggers_due
         WHERE next_fire_at IS NOT NULL AND next_fire_at <= ? AND paused = 0 AND kind = 'schedule'
         ORDER BY next_fire_at LIMIT ?`,
      )
      .all(now, limit) as Row[];
    return rows.map(toTriggerRow) as ScheduleRow[];
  }

  /** Read from `trigger_counts`, which the database keeps current (migration 4): no row of `triggers` is read. */
  counts(): TriggerCounts {
    const rows = this.sql(`SELECT kind, n FROM trigger_counts WHERE n > 0`).all() as Array<{ kind: TriggerType; n: number }>;
    // A kind this version does not know (a newer agent's) is left out, not miscounted.
    return triggerCounts(rows.filter((row) => isTriggerType(row.kind)).map((row) => [row.kind, row.n] as const));
  }

  toRecord(row: TriggerRow): TriggerRecord {
    const record: TriggerRecord = {
      name: row.name,
      type: row.type,
      workflowFile: row.workflowFile,
      workflowName: row.workflowName,
      paused: row.paused,
      state: row.paused ? "paused" : row.stateError ? "error" : "active",
      error: row.stateError,
      lastRun: this.lastRun(row.id),
      createdAt: iso(row.createdAt),
      updatedAt: iso(row.updatedAt),
    };
    switch (row.type) {
      case "schedule":
        record.schedule = {
          ...row.config,
          description: this.describe(row.config),
          nextFireAt: row.nextFireAt === null ? null : iso(row.nextFireAt),
          missed: this.missedReport(row.id),
        };
        break;
      case "webhook": {
        const base = this.options.httpUrl?.() ?? null;
        record.webhook = { ...row.config, url: base ? `${base}/webhook/${encodeURIComponent(row.name)}` : null };
        break;
      }
      case "watcher":
        record.watcher = { ...row.config };
        break;
      case "run":
        record.run = { workflows: [...row.config.workflows], statuses: [...row.config.statuses] };
        break;
      default:
        return unreachable(row, "trigger kind");
    }
    return record;
  }

  // Skipped fires are reasons, not runs: the last run is the last one that ran
  // (or is running), which is what a listing's "last run" column should show.
  private lastRun(triggerId: number): TriggerRecord["lastRun"] {
    const row = this.sql(
        `SELECT id, status, COALESCE(finished_at, started_at, created_at) AS at FROM runs
         WHERE trigger_id = ? AND status != 'skipped' ORDER BY created_at DESC LIMIT 1`,
      )
      .get(triggerId) as { id: string; status: RunStatus; at: number } | undefined;
    return row ? { id: row.id, status: row.status, at: iso(row.at) } : null;
  }

  /**
   * The schedule's latest missed-instants report, while some of its
   * instants still have no run: every instant between its first and last
   * was missed, so the runs those instants have since got (a backfill's)
   * say how many are left.
   */
  private missedReport(triggerId: number): MissedReport | null {
    const row = this.sql(
        `SELECT id, created_at, missed FROM runs INDEXED BY runs_with_missed
         WHERE trigger_id = ? AND missed IS NOT NULL ORDER BY created_at DESC LIMIT 1`,
      )
      .get(triggerId) as { id: string; created_at: number; missed: string } | undefined;
    const missed = parseMissed(row?.missed ?? null);
    if (!row || !missed || missed.instants.length === 0) return null;
    const covered = this.sql(
        `SELECT COUNT(DISTINCT scheduled_for) AS n FROM runs INDEXED BY runs_by_instant
         WHERE trigger_id = ? AND scheduled_for >= ? AND scheduled_for <= ? AND status != 'skipped'`,
      )
      .get(triggerId, Date.parse(missed.instants[0]!), Date.parse(missed.last)) as { n: number };
    const outstanding = Math.max(0, missed.count - covered.n);
    return outstanding === 0 ? null : { ...missed, runId: row.id, recordedAt: iso(row.created_at), outstanding };
  }

  private describe(config: ScheduleConfig): string {
    try {
      return this.options.describeSchedule?.(config) ?? config.cron;
    } catch {
      return config.cron;
    }
  }
}

const NAMES_TAKEN = Symbol("names taken");

function duplicate(name: string, type: TriggerType) {
  return conflict(`a trigger named "${name}" already exists (a ${TRIGGER_KINDS[type].words[0]}); choose another --name or unregister it first`);
}

function toTriggerRow(row: Row): TriggerRow {
  // A kind this version does not know (a newer Clockwork wrote it) is an error that names it, never mistaken for another kind.
  if (!(TRIGGER_TYPES as readonly string[]).includes(row.kind)) {
    throw invalid(`trigger "${row.name}" has a kind this version of Clockwork does not know: "${row.kind}"`);
  }
  return {
    id: row.id,
    name: row.name,
    type: row.kind,
    workflowFile: row.workflow_file,
    workflowName: row.workflow_name,
    paused: row.paused === 1,
    config: JSON.parse(row.config),
    nextFireAt: row.next_fire_at,
    stateError: row.state_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  } as TriggerRow;
}

const iso = (ms: number) => new Date(ms).toISOString();
