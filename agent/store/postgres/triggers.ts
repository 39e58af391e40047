// Registered triggers in the PostgreSQL store: the semantics of the SQLite
// adapter (agent/store/sqlite/triggers.ts), one table, one name space, the
// webhook secret behind its one getter. Every change to the table is
// announced (`onChange`), so that every agent sharing the database re-arms
// its scheduler and reloads its watchers (notify.ts).
import { isTriggerType, TRIGGER_KINDS, triggerCounts, type TriggerCounts } from "../../core/triggerKinds";
import { unreachable } from "../../core/unreachable";
import { conflict, invalid, notFound } from "../../errors";
import type { MissedReport, RunStatus, ScheduleConfig, TriggerRecord, TriggerType } from "../../protocol";
import { parseMissed } from "../sqlite/runRows";
import type { TriggerStoreOptions } from "../sqlite/triggers";
import {
  TRIGGER_TYPES,
  type Clock,
  type NewTrigger,
  type ScheduleRow,
  type TakenName,
  type TriggerPatch,
  type TriggerRepository,
  type TriggerRow,
} from "../store";
import { transaction, type Pool } from "./db";

/** How many records `list` builds at once (each is a query or two). */
const RECORDS_AT_ONCE = 100;

/** Triggers per INSERT of a bulk registration: the statement's arrays stay a few megabytes. */
const INSERT_CHUNK = 5000;

interface Row {
  id: number;
  name: string;
  kind: TriggerType;
  workflow_file: string;
  workflow_name: string;
  paused: boolean;
  config: string;
  next_fire_at: number | null;
  state_error: string | null;
  pinned_host: string | null;
  created_at: number;
  updated_at: number;
}

// Every column but the secret.
const COLUMNS = `id, name, kind, workflow_file, workflow_name, paused, config, next_fire_at, state_error, pinned_host, created_at, updated_at`;

export class PgTriggerStore implements TriggerRepository {
  constructor(
    private readonly pool: Pool,
    private readonly options: TriggerStoreOptions,
    private readonly now: Clock,
    /** Called with the names of triggers that changed, after the change is committed. */
    private readonly onChange: (names: string[]) => void = () => undefined,
    /** Where a watcher registered here is pinned: a watched path belongs to one machine. */
    private readonly host: string | null = null,
  ) {}

  async create(input: NewTrigger): Promise<TriggerRow> {
    const now = this.now();
    const existing = await this.get(input.name);
    if (existing) throw duplicate(input.name, existing.type);
    try {
      await this.pool.query(
        `INSERT INTO triggers (name, kind, workflow_file, workflow_name, paused, config, secret, next_fire_at, pinned_host, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
        [
          input.name,
          input.type,
          input.workflowFile,
          input.workflowName,
          input.paused === true,
          JSON.stringify(input.config),
          input.secret ?? null,
          input.nextFireAt ?? null,
          this.pinOf(input),
          now,
        ],
      );
    } catch (error) {
      // Another agent registered the same name between the check and the insert.
      if ((error as { code?: string }).code === "23505") throw duplicate(input.name, input.type);
      throw error;
    }
    this.onChange([input.name]);
    return this.require(input.name);
  }

  /**
   * Every trigger in one transaction, or none (the semantics of SQLite's
   * createMany): the names already used, by a stored trigger or an earlier
   * input, come back with their index, and then nothing was written. A few
   * statements of thousands of rows each, nothing read back.
   */
  async createMany(inputs: readonly NewTrigger[]): Promise<TakenName[]> {
    if (inputs.length === 0) return [];
    const now = this.now();
    const taken = await transaction(this.pool, async (client) => {
      const inserted = new Set<string>();
      for (let start = 0; start < inputs.length; start += INSERT_CHUNK) {
        const chunk = inputs.slice(start, start + INSERT_CHUNK);
        const { rows } = await client.query<{ name: string }>(
          `INSERT INTO triggers (name, kind, workflow_file, workflow_name, paused, config, secret, next_fire_at, pinned_host, created_at, updated_at)
           SELECT u.name, u.kind, u.file, u.wname, u.paused, u.config, u.secret, u.next, u.host, $10, $10
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[], $8::bigint[], $9::text[])
             WITH ORDINALITY AS u(name, kind, file, wname, paused, config, secret, next, host, n)
           ORDER BY u.n
           ON CONFLICT (name) DO NOTHING RETURNING name`,
          [
            chunk.map((t) => t.name),
            chunk.map((t) => t.type),
            chunk.map((t) => t.workflowFile),
            chunk.map((t) => t.workflowName),
            chunk.map((t) => t.paused === true),
            chunk.map((t) => JSON.stringify(t.config)),
            chunk.map((t) => t.secret ?? null),
            chunk.map((t) => t.nextFireAt ?? null),
            chunk.map((t) => this.pinOf(t)),
            now,
          ],
        );
        for (const row of rows) inserted.add(row.name);
      }
      const refused = takenNames(inputs, inserted);
      if (refused.length === 0) return [];
      // The kind of whoever has the name (a stored trigger, or the earlier input inserted just now).
      const kinds = await client.query<{ name: string; kind: TriggerType }>(`SELECT name, kind FROM triggers WHERE name = ANY($1::text[])`, [
        refused.map((t) => t.name),
      ]);
      const kindOf = new Map(kinds.rows.map((row) => [row.name, row.kind]));
      for (const t of refused) t.type = kindOf.get(t.name) ?? t.type;
      // Throwing rolls the transaction back: all or nothing.
      throw new NamesTaken(refused);
    }).catch((error: unknown) => {
      if (error instanceof NamesTaken) return error.taken;
      throw error;
    });
    if (taken.length === 0) this.onChange(inputs.map((t) => t.name));
    return taken;
  }

  /** Where a new trigger is pinned: as asked, else a watcher to this host (a watched path belongs to one machine). */
  private pinOf(input: NewTrigger): string | null {
    return input.pinnedHost ?? (input.type === "watcher" ? this.host : null);
  }

  async get(name: string): Promise<TriggerRow | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM triggers WHERE name = $1`, [name]);
    return rows[0] && toTriggerRow(rows[0]);
  }

  async getById(id: number): Promise<TriggerRow | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM triggers WHERE id = $1`, [id]);
    return rows[0] && toTriggerRow(rows[0]);
  }

  async require(name: string): Promise<TriggerRow> {
    const row = await this.get(name);
    if (!row) throw notFound(`no trigger named "${name}" (see \`clockwork list\`)`);
    return row;
  }

  async rows(type?: TriggerType): Promise<TriggerRow[]> {
    const { rows } = type
      ? await this.pool.query<Row>(`SELECT ${COLUMNS} FROM triggers WHERE kind = $1 ORDER BY name`, [type])
      : await this.pool.query<Row>(`SELECT ${COLUMNS} FROM triggers ORDER BY name`);
    return rows.map(toTriggerRow);
  }

  async ofWorkflowFile(file: string, limit: number): Promise<{ records: TriggerRecord[]; total: number }> {
    const [{ rows }, count] = await Promise.all([
      this.pool.query<Row>(`SELECT ${COLUMNS} FROM triggers WHERE workflow_file = $1 ORDER BY name LIMIT $2`, [file, limit]),
      this.pool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM triggers WHERE workflow_file = $1`, [file]),
    ]);
    const records = await Promise.all(rows.map((row) => this.toRecord(toTriggerRow(row))));
    return { records, total: count.rows[0]?.n ?? 0 };
  }

  async list(type?: TriggerType): Promise<TriggerRecord[]> {
    const rows = await this.rows(type);
    // Each record reads its last run (a schedule its missed report too): a
    // chunk of records at a time, so that listing 100,000 triggers does not
    // queue 200,000 queries on the pool at once.
    const records: TriggerRecord[] = [];
    for (let i = 0; i < rows.length; i += RECORDS_AT_ONCE) {
      records.push(...(await Promise.all(rows.slice(i, i + RECORDS_AT_ONCE).map((row) => this.toRecord(row)))));
    }
    return records;
  }

  async record(name: string): Promise<TriggerRecord> {
    return this.toRecord(await this.require(name));
  }

  async update(name: string, patch: TriggerPatch): Promise<TriggerRow> {
    const row = await this.require(name);
    const sets: string[] = [];
    const values: unknown[] = [];
    const column = (key: keyof TriggerPatch, sql: string, value: unknown) => {
      if (patch[key] === undefined) return;
      values.push(value);
      sets.push(`${sql} = $${values.length}`);
    };
    column("workflowFile", "workflow_file", patch.workflowFile);
    column("workflowName", "workflow_name", patch.workflowName);
    column("config", "config", JSON.stringify(patch.config));
    column("paused", "paused", patch.paused === true);
    column("nextFireAt", "next_fire_at", patch.nextFireAt);
    column("stateError", "state_error", patch.stateError);
    column("secret", "secret", patch.secret);
    values.push(this.now(), row.id);
    await this.pool.query(`UPDATE triggers SET ${[...sets, `updated_at = $${values.length - 1}`].join(", ")} WHERE id = $${values.length}`, values);
    // A watcher's state (its path gone, back) is shown, not acted on: no other agent needs to reload for it.
    if (Object.keys(patch).some((key) => key !== "stateError")) this.onChange([name]);
    return (await this.getById(row.id))!;
  }

  setPaused(name: string, paused: boolean, nextFireAt: number | null): Promise<TriggerRow> {
    return this.update(name, { paused, nextFireAt: paused ? null : nextFireAt });
  }

  async remove(name: string): Promise<TriggerRow> {
    const row = await this.require(name);
    await this.pool.query(`DELETE FROM triggers WHERE id = $1`, [row.id]);
    this.onChange([name]);
    return row;
  }

  async webhookSecret(name: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ secret: string | null }>(`SELECT secret FROM triggers WHERE name = $1 AND kind = 'webhook'`, [name]);
    return rows[0]?.secret ?? undefined;
  }

  async earliestFire(): Promise<{ name: string; at: number } | undefined> {
    const { rows } = await this.pool.query<{ name: string; at: number }>(
      `SELECT name, next_fire_at AS at FROM triggers WHERE next_fire_at IS NOT NULL ORDER BY next_fire_at LIMIT 1`,
    );
    return rows[0];
  }

  async due(now: number, limit = 100): Promise<ScheduleRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM triggers WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1 AND NOT paused
       AND kind = 'schedule' ORDER BY next_fire_at LIMIT $2`,
      [now, limit],
    );
    return rows.map(toTriggerRow) as ScheduleRow[];
  }

  /** Read from `trigger_counts`, which the database keeps current (migration 2): no row of `triggers` is read. */
  async counts(): Promise<TriggerCounts> {
    const { rows } = await this.pool.query<{ kind: TriggerType; n: number }>(`SELECT kind, n FROM trigger_counts WHERE n > 0`);
    // A kind this version does not know (a newer agent's) is left out, not miscounted.
    return triggerCounts(rows.filter((row) => isTriggerType(row.kind)).map((row) => [row.kind, row.n] as const));
  }

  async toRecord(row: TriggerRow): Promise<TriggerRecord> {
    const record: TriggerRecord = {
      name: row.name,
      type: row.type,
      workflowFile: row.workflowFile,
      workflowName: row.workflowName,
      paused: row.paused,
      state: row.paused ? "paused" : row.stateError ? "error" : "active",
      error: row.stateError,
      lastRun: await this.lastRun(row.id),
      createdAt: iso(row.createdAt),
      updatedAt: iso(row.updatedAt),
    };
    if (row.pinnedHost) record.host = row.pinnedHost;
    switch (row.type) {
      case "schedule":
        record.schedule = {
          ...row.config,
          description: this.describe(row.config),
          nextFireAt: row.nextFireAt === null ? null : iso(row.nextFireAt),
          missed: await this.missedReport(row.id),
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

  /**
   * The schedule's latest missed-instants report while some of its instants
   * still have no run (as in SQLite): every instant between its first and
   * last was missed, so the runs they have since got (a backfill's) say how
   * many are left.
   */
  private async missedReport(triggerId: number): Promise<MissedReport | null> {
    const { rows } = await this.pool.query<{ id: string; created_at: number; missed: string }>(
      `SELECT id, created_at, missed FROM runs WHERE trigger_id = $1 AND missed IS NOT NULL ORDER BY created_at DESC, seq DESC LIMIT 1`,
      [triggerId],
    );
    const row = rows[0];
    const missed = parseMissed(row?.missed ?? null);
    if (!row || !missed || missed.instants.length === 0) return null;
    const covered = await this.pool.query<{ n: number }>(
      `SELECT COUNT(DISTINCT scheduled_for) AS n FROM runs
       WHERE trigger_id = $1 AND scheduled_for IS NOT NULL AND scheduled_for >= $2 AND scheduled_for <= $3 AND status <> 'skipped'`,
      [triggerId, Date.parse(missed.instants[0]!), Date.parse(missed.last)],
    );
    const outstanding = Math.max(0, missed.count - (covered.rows[0]?.n ?? 0));
    return outstanding === 0 ? null : { ...missed, runId: row.id, recordedAt: iso(row.created_at), outstanding };
  }

  // Skipped fires are reasons, not runs: the last run is the last one that ran (or is running).
  private async lastRun(triggerId: number): Promise<TriggerRecord["lastRun"]> {
    const { rows } = await this.pool.query<{ id: string; status: RunStatus; at: number }>(
      `SELECT id, status, COALESCE(finished_at, started_at, created_at) AS at FROM runs
       WHERE trigger_id = $1 AND status <> 'skipped' ORDER BY created_at DESC, seq DESC LIMIT 1`,
      [triggerId],
    );
    const row = rows[0];
    return row ? { id: row.id, status: row.status, at: iso(row.at) } : null;
  }

  private describe(config: ScheduleConfig): string {
    try {
      return this.options.describeSchedule?.(config) ?? config.cron;
    } catch {
      return config.cron;
    }
  }
}

function duplicate(name: string, type: TriggerType) {
  return conflict(`a trigger named "${name}" already exists (a ${TRIGGER_KINDS[type].words[0]}); choose another --name or unregister it first`);
}

/** The inputs whose name was not inserted, or was inserted for an earlier input: each with its index. */
function takenNames(inputs: readonly NewTrigger[], inserted: ReadonlySet<string>): TakenName[] {
  const used = new Set<string>();
  const taken: TakenName[] = [];
  inputs.forEach((input, index) => {
    if (inserted.has(input.name) && !used.has(input.name)) used.add(input.name);
    else taken.push({ index, name: input.name, type: input.type });
  });
  return taken;
}

/** Thrown inside createMany's transaction to roll it back, carrying the names it could not use. */
class NamesTaken extends Error {
  constructor(readonly taken: TakenName[]) {
    super("names taken");
  }
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
    paused: row.paused,
    config: JSON.parse(row.config),
    nextFireAt: row.next_fire_at,
    stateError: row.state_error,
    pinnedHost: row.pinned_host,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  } as TriggerRow;
}

const iso = (ms: number) => new Date(ms).toISOString();
