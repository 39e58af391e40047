// Opening the store: the one place that knows which adapter serves a
// configuration. Everything else sees only the interface in store.ts.
// `connectStore` is the entry every caller uses: a database URL selects
// PostgreSQL (team mode), none the SQLite file under the home. The
// PostgreSQL adapter and its driver are loaded only when a URL asks for
// them, so commands on SQLite start no faster or slower than before.
import { openSqliteStore, type SqliteStoreOptions } from "./sqlite";
import type { Store } from "./store";

export type * from "./store";
export { TRIGGER_TYPES } from "./store";
export { missingStore, storeMarker } from "./sqlite/db";

export type StoreOptions = SqliteStoreOptions;

/** Where the store is: the SQLite file, or a PostgreSQL URL that overrides it. */
export interface StoreLocation {
  dbFile: string;
  databaseUrl?: string | null;
}

/** The SQLite store in `dbFile` (created and migrated as needed). */
export function openStore(dbFile: string, options: StoreOptions = {}): Store {
  return openSqliteStore(dbFile, options);
}

/** The store a configuration names: PostgreSQL at `databaseUrl` when set, else SQLite in `dbFile`. */
export async function connectStore(location: StoreLocation, options: StoreOptions = {}): Promise<Store> {
  if (location.databaseUrl) {
    const { openPostgresStore } = await import("./postgres");
    return openPostgresStore(location.databaseUrl, options);
  }
  return openSqliteStore(location.dbFile, options);
}

/** What `clockwork status` shows of a store location: the engine and where, never a password. */
export { redactUrl } from "./postgres/url";
