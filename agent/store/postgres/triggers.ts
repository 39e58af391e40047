// Registered triggers in the PostgreSQL store: the semantics of the SQLite
// adapter (agent/store/sqlite/triggers.ts), one table, one name space, the
// webhook secret behind its one getter. Every change to the table is
// announced (`onChange`), so that every agent sharing the database re-arms
// its scheduler and reloads its watchers (notify.ts).
import { isTriggerType, triggerCounts, type TriggerCounts } from "../../core/triggerKinds";
import { conflict, invalid, notFound } from "../../errors";
import type { RunStatus, ScheduleConfig, TriggerRecord, TriggerType } from "../../protocol";
import type { TriggerStoreOptions } from "../sqlite/triggers";
import { TRIGGER_TYPES, type Clock, type NewTrigger, type ScheduleRow, type TriggerPatch, type TriggerRepository, type TriggerRow } from "../store";
import type { Pool } from "./db";

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
          input.pinnedHost ?? (input.type === "watcher" ? this.host : null),
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

  async list(type?: TriggerType): Promise<TriggerRecord[]> {
    const rows = await this.rows(type);
    return Promise.all(rows.map((row) => this.toRecord(row)));
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

  async counts(): Promise<TriggerCounts> {
    const { rows } = await this.pool.query<{ kind: TriggerType; n: number }>(`SELECT kind, COUNT(*) AS n FROM triggers GROUP BY kind`);
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
    if (row.type === "schedule") {
      record.schedule = { ...row.config, description: this.describe(row.config), nextFireAt: row.nextFireAt === null ? null : iso(row.nextFireAt) };
    } else if (row.type === "webhook") {
      const base = this.options.httpUrl?.() ?? null;
      record.webhook = { ...row.config, url: base ? `${base}/webhook/${encodeURIComponent(row.name)}` : null };
    } else {
      record.watcher = { ...row.config };
    }
    return record;
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
  return conflict(`a trigger named "${name}" already exists (a ${type}); choose another --name or unregister it first`);
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
