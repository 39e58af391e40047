// The store facade: one SQLite connection and the stores built on it. The
// agent opens one for its lifetime; CLI commands open one when no agent
// answers on the socket.
import { openDb, type Db } from "./db";

export { missingStore } from "./db";
import { HeartbeatStore } from "./heartbeats";
import { RunStore } from "./runs";
import { TriggerStore, type TriggerStoreOptions } from "./triggers";

export interface Store {
  readonly db: Db;
  readonly runs: RunStore;
  readonly triggers: TriggerStore;
  readonly heartbeats: HeartbeatStore;
  /** Runs `fn` in one IMMEDIATE transaction (the write lock taken up front), so a check and a write cannot interleave with another process. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openStore(dbFile: string, options: TriggerStoreOptions = {}): Store {
  const db = openDb(dbFile);
  let closed = false;
  return {
    db,
    runs: new RunStore(db),
    triggers: new TriggerStore(db, options),
    heartbeats: new HeartbeatStore(db),
    transaction: (fn) => db.transaction(fn).immediate(),
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
