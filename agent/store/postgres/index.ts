// The PostgreSQL adapter: a pool of `pg` connections and the repositories of
// store.ts on it, for several agents on several machines sharing one
// database (docs/team.md). Unlike SQLite's synchronous transactions, each
// atomic operation here is one database transaction on one client
// (atomic.ts); the engine's row locks, unique keys and advisory locks keep
// agents in other processes and on other hosts from interleaving.
import type { SqliteStoreOptions } from "../sqlite";
import type { Store } from "../store";
import { PgAgentStore } from "./agents";
import { admit, admitInstants, claimInstant } from "./atomic";
import { createPool, migrate } from "./db";
import { redactUrl } from "./url";
import { randomBytes } from "node:crypto";
import { thisHost } from "../host";
import { Notifier } from "./notify";
import { PgRunStore } from "./runs";
import { PgTeam } from "./team";
import { PgTriggerStore } from "./triggers";

export interface PostgresStoreOptions extends SqliteStoreOptions {
  /** Connections the pool may open (default 10). */
  maxConnections?: number;
  /** The host a watcher registered through this store is pinned to (default: thisHost()). */
  host?: string;
}

/** Connects to the database at `url`, applies missing migrations, and returns the store. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const clock = options.clock ?? Date.now;
  const pool = createPool(url, options.maxConnections ?? 10);
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw connectionError(url, error);
  }
  let closed = false;
  const notifier = new Notifier(pool, url, randomBytes(8).toString("hex"), clock);
  // A trigger change re-arms every agent's scheduler and reloads its watchers; a lost notification is caught by the next wake-up.
  const announce = (names: string[]) => void notifier.publish({ kind: "triggers", names }).catch(() => undefined);
  return {
    backend: { kind: "postgres", location: redactUrl(url) },
    runs: new PgRunStore(pool, clock),
    triggers: new PgTriggerStore(pool, options, clock, announce, options.host ?? thisHost()),
    agents: new PgAgentStore(pool),
    claimInstant: (claim) => claimInstant(pool, clock, claim),
    admit: (requests) => admit(pool, clock, requests),
    admitInstants: (requests) => admitInstants(pool, clock, requests),
    team: new PgTeam(pool, clock, notifier),
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** An error opening the database, naming where (never the password) and what went wrong. */
function connectionError(url: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new Error(`cannot open the PostgreSQL store at ${redactUrl(url)}: ${message}`);
  if (error instanceof Error && "kind" in error) return error;
  return wrapped;
}
