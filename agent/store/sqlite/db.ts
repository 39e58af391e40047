// Opens the SQLite run store: WAL, foreign keys, a busy timeout, and the
// numbered migrations applied in one transaction each.
//
// A store that existed is never silently replaced by an empty one: next to
// the database a marker file records that this folder holds a store. Where
// the marker is and the database is not, the database was deleted or moved,
// and opening it refuses with what happened and what to do, instead of
// creating a fresh store in which every trigger and run would be gone. A new
// folder has neither, so first use just works.
import Database from "better-sqlite3";
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { notFound } from "../../errors";
import { migrations } from "./migrations";

export type Db = Database.Database;

/** The marker that says a store lives next to it. */
export function storeMarker(file: string): string {
  return `${file}.marker`;
}

/**
 * Why the store at `file` cannot be opened without creating a fresh one in
 * place of one that existed, or null when it can be opened. The marker is
 * checked first: it is written after the database, so a marker seen means
 * a database was there.
 */
export function missingStore(file: string): string | null {
  const marker = storeMarker(file);
  if (!existsSync(marker) || existsSync(file)) return null;
  return (
    `the store ${file} is missing, but ${dirname(file)} held one (${marker} says so): it was deleted or moved. ` +
    `Restore it (put the file back, with its -wal file if there is one), or, to start over with an empty store, delete ${marker}.`
  );
}

export function openDb(file: string): Db {
  const missing = missingStore(file);
  if (missing) throw notFound(missing);
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
  markStore(file);
  return db;
}

function markStore(file: string): void {
  const marker = storeMarker(file);
  if (existsSync(marker)) return;
  const text =
    `This folder holds a Clockwork store (${basename(file)}). While this file is here, a missing ${basename(file)} is reported\n` +
    "instead of being replaced by an empty store. Delete this file to start over with an empty store on purpose.\n";
  writeFileSync(marker, text, { mode: 0o600 });
}

function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current >= migrations.length) return;
  // A migration may rebuild a table (SQLite cannot drop a CHECK in place):
  // foreign keys are off meanwhile, as SQLite's procedure for that asks, and
  // checked before each commit. The pragma is a no-op inside a transaction.
  db.pragma("foreign_keys = OFF");
  try {
    for (let version = current + 1; version <= migrations.length; version++) {
      const apply = db.transaction(() => {
        // Re-read inside the write lock: another process may have migrated.
        const now = db.pragma("user_version", { simple: true }) as number;
        if (now >= version) return;
        db.exec(migrations[version - 1]!);
        const broken = db.pragma("foreign_key_check") as unknown[];
        if (broken.length > 0) throw new Error(`migration ${version} left ${broken.length} rows with broken references`);
        db.pragma(`user_version = ${version}`);
      });
      apply.immediate();
    }
  } finally {
    db.pragma("foreign_keys = ON");
  }
}
