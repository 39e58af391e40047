// Opens the SQLite run store: WAL, foreign keys, a busy timeout, and the
// numbered migrations applied in one transaction each.
import Database from "better-sqlite3";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { migrations } from "./migrations";

export type Db = Database.Database;

export function openDb(file: string): Db {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // The store holds webhook secrets and run outputs: create it readable by
  // the owner only (SQLite gives its -wal and -shm files the same mode).
  closeSync(openSync(file, "a", 0o600));
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  // Several processes (the agent, CLI commands) share the file; a writer
  // waits for another's transaction instead of failing with SQLITE_BUSY.
  db.pragma("busy_timeout = 10000");
  db.pragma("synchronous = NORMAL");
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let version = current + 1; version <= migrations.length; version++) {
    const apply = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated.
      const now = db.pragma("user_version", { simple: true }) as number;
      if (now >= version) return;
      db.exec(migrations[version - 1]!);
      db.pragma(`user_version = ${version}`);
    });
    apply.immediate();
  }
}
