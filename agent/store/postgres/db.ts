// The connection pool of the PostgreSQL store, its transactions and its
// migrations. BIGINT columns (epoch milliseconds, counts) come back as
// numbers: every value the store keeps is far below 2^53. Migrations run
// once, whoever opens the database first: under a session advisory lock,
// each in its own transaction, recorded in clockwork_migrations.
import pg from "pg";
import { invalid } from "../../errors";
import { migrations } from "./migrations";
import { checkUrl } from "./url";

export type Pool = pg.Pool;
export type Client = pg.PoolClient;
/** A pool or a client inside a transaction: anything that can run a query. */
export type Queryable = Pick<pg.Pool, "query">;

const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** The key of the session lock migrations run under ("clockwork" in ASCII). */
const MIGRATION_LOCK = 0x636c6f636b776f72n;

export function createPool(url: string, max: number): Pool {
  checkUrl(url);
  const pool = new pg.Pool({ connectionString: url, max, types, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // An idle client whose connection drops (a server restart) must not take
  // the agent down: the pool replaces it on the next query.
  pool.on("error", () => undefined);
  return pool;
}

/** Runs `fn` in one transaction on one client: committed when it returns, rolled back when it throws. */
export async function transaction<T>(pool: Pool, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Applies the migrations this database lacks, once, whoever else opens it at the same time. */
export async function migrate(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK.toString()]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS clockwork_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`);
      const { rows } = await client.query<{ v: number | null }>("SELECT MAX(version) AS v FROM clockwork_migrations");
      const current = rows[0]?.v ?? 0;
      if (current > migrations.length) {
        throw invalid(`the database has schema version ${current}, newer than this Clockwork knows (${migrations.length}): upgrade Clockwork`);
      }
      for (let version = current + 1; version <= migrations.length; version++) {
        await client.query("BEGIN");
        try {
          await client.query(migrations[version - 1]!);
          await client.query("INSERT INTO clockwork_migrations (version, applied_at) VALUES ($1, $2)", [version, Date.now()]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK.toString()]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/**
 * The advisory lock key of one trigger's runs: admission under its overlap
 * policy and starting a run under its serial key both take it, so two
 * agents never decide about the same trigger at once.
 */
export const TRIGGER_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('clockwork.trigger:' || $1, 0))";

/** PostgreSQL text cannot hold NUL; a NUL in an output or a log line is kept visible as U+FFFD. */
export function text(value: string): string;
export function text(value: string | null): string | null;
export function text(value: string | null): string | null {
  return value === null || !value.includes("\u0000") ? value : value.replace(/\u0000/g, "\uFFFD");
}
