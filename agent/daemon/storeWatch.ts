// The store cannot vanish silently. SQLite keeps working on its open file
// after that file was deleted, replaced or moved away with its folder: every
// write lands in a file nobody will ever open again, and the agent would go
// on answering 202 for runs that are lost on restart. So once a second the
// agent compares what is at the store's path (and the home's) with what it
// opened; two stat calls, nothing read. On a difference it stops accepting
// work and exits non-zero, so that a supervisor restarts it on a store it
// can trust (and the start refuses while the store is missing; store/db.ts).
import { statSync } from "node:fs";

export const STORE_CHECK_MS = 1000;

interface Identity {
  dev: number;
  ino: number;
}

function identity(path: string): Identity | null {
  try {
    const stats = statSync(path);
    return { dev: stats.dev, ino: stats.ino };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

const same = (a: Identity, b: Identity | null) => b !== null && a.dev === b.dev && a.ino === b.ino;

/**
 * What happened to the store, or null while the paths still lead to what
 * was opened. The open database keeps its inode allocated, so a new file at
 * the path cannot have the same identity.
 */
export function storeChange(paths: { home: string; dbFile: string }, opened: { home: Identity; db: Identity }): string | null {
  const home = identity(paths.home);
  if (home === null) return `the folder ${paths.home} is gone (moved or deleted) with the store in it`;
  if (!same(opened.home, home)) return `the folder ${paths.home} was replaced by another folder`;
  const db = identity(paths.dbFile);
  if (db === null) return `the store ${paths.dbFile} was deleted or moved away`;
  if (!same(opened.db, db)) return `the store ${paths.dbFile} was replaced by another file`;
  return null;
}

/**
 * Checks every `intervalMs` that the store at `dbFile` (opened a moment ago)
 * is still the one at its path, and calls `onLost` once with what happened
 * if not. Returns a function that stops checking.
 */
export function watchStore(paths: { home: string; dbFile: string }, onLost: (reason: string) => void, intervalMs = STORE_CHECK_MS): () => void {
  const home = identity(paths.home);
  const db = identity(paths.dbFile);
  if (!home || !db) throw new Error(`the store ${paths.dbFile} disappeared while the agent was opening it`);
  const opened = { home, db };
  const timer = setInterval(() => {
    let reason: string | null;
    try {
      reason = storeChange(paths, opened);
    } catch (error) {
      // EACCES, EIO: not knowing where the store is, is losing it.
      reason = `the store ${paths.dbFile} cannot be checked: ${(error as Error).message}`;
    }
    if (reason === null) return;
    clearInterval(timer);
    onLost(reason);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
