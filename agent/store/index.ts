// Opening the store: the one place that knows which adapter serves a
// configuration. Everything else sees only the interface in store.ts.
import { openSqliteStore, type SqliteStoreOptions } from "./sqlite";

export type * from "./store";
export { TRIGGER_TYPES } from "./store";
export { missingStore, storeMarker } from "./sqlite/db";

export type StoreOptions = SqliteStoreOptions;

/** The SQLite store in `dbFile` (created and migrated as needed). */
export function openStore(dbFile: string, options: StoreOptions = {}): import("./store").Store {
  return openSqliteStore(dbFile, options);
}
