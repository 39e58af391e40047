// An exclusive lock on a file, held by the kernel for as long as the process
// lives: the home's one-agent lock, whatever the store. SQLite's own locking
// does the work: a connection in
// `locking_mode = EXCLUSIVE` that has written once keeps its POSIX (fcntl)
// lock on the file until it is closed, and the kernel drops the lock when the
// process exits, however it exits (kill -9, a crash, a power cut). Nothing is
// read back and judged: there is no pid file to trust and no process name to
// match, so a second holder started under any path or program name fails.
//
// One caveat of POSIX locks shapes the rules here: closing *any* descriptor
// a process has on the file drops every lock it holds on it. The process
// holding a lock therefore never opens the lock file again by other means
// (SQLite's own connections are safe: they share one descriptor per file).
import Database from "better-sqlite3";
import { closeSync, existsSync, openSync } from "node:fs";

export interface FileLock {
  /** Closes the connection, which releases the lock. Safe to call twice. */
  release(): void;
}

/** How long a taker waits out a probe's momentary shared lock (see `isFileLocked`) before giving up. */
const TAKE_WAIT_MS = 1000;

/**
 * Takes the exclusive lock on `file` (created, mode 0600, if missing), or
 * returns null when another process holds it. A file that is not a lock
 * database throws SQLITE_NOTADB; the caller decides what it was.
 */
export function takeFileLock(file: string): FileLock | null {
  // Created private; nobody holds a lock on it in this process yet, so
  // opening and closing a descriptor here is harmless.
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  const db = new Database(file, { timeout: TAKE_WAIT_MS });
  try {
    // The journal stays in memory: a holder killed mid-write leaves no hot
    // journal that a read-only probe would have to roll back.
    db.pragma("journal_mode = MEMORY");
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    // One write makes the exclusive lock permanent for this connection.
    db.exec("CREATE TABLE IF NOT EXISTS lock_holder (since INTEGER); DELETE FROM lock_holder");
    db.prepare("INSERT INTO lock_holder VALUES (?)").run(Date.now());
    db.exec("COMMIT");
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") return null;
    throw error;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}

/**
 * True while some process holds the lock on `file`. The probe takes a shared
 * lock for the time of one read and never creates the file. Never call it in
 * the process that holds the lock (see the caveat above).
 */
export function isFileLocked(file: string): boolean {
  if (!existsSync(file)) return false;
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
  } catch {
    return false;
  }
  try {
    db.pragma("schema_version");
    return false;
  } catch (error) {
    return (error as { code?: string }).code === "SQLITE_BUSY";
  } finally {
    db.close();
  }
}
