// One agent per CLOCKWORK_HOME. The lock is a file created with O_EXCL that
// holds the owner's pid. A lock whose pid is gone was left by a crash (kill -9,
// power loss) and is taken over; a lock whose pid lives makes a second agent
// refuse to start, naming that pid.
//
// Taking over a stale lock is itself serialised by a short-lived
// `<lock>.takeover` file, also created with O_EXCL: without it, two agents
// starting at once could both see the same dead pid, and the slower one
// would delete the lock the faster one had just written.
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { conflict } from "../errors";
import { isProcessAlive } from "../runner/orphans";

export interface LockInfo {
  pid: number;
  startedAt: number;
}

export interface HeldLock {
  readonly file: string;
  readonly info: LockInfo;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

/** True when a process with this pid exists and has not exited (shared with orphan detection). */
export const isPidAlive = isProcessAlive;

/**
 * True when `pid` is a live process running a clockwork agent. A lock left by
 * a crash may name a pid the system has since given to an unrelated process;
 * that process must neither block a new agent nor receive `agent stop`'s
 * SIGTERM. On Linux its command line tells (`… clockwork[.js] … agent …`);
 * elsewhere a live pid is taken at its word.
 */
export function isAgentProcess(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  if (process.platform !== "linux") return true;
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return false;
  }
  const script = args.findIndex((arg) => /(^|[\\/])clockwork(\.js)?$/.test(arg));
  return script >= 0 && args.slice(script + 1).includes("agent");
}

/** The lock's content, or undefined when there is no lock file or it is unreadable. */
export function readLock(file: string): LockInfo | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockInfo>;
    if (typeof parsed.pid === "number") return { pid: parsed.pid, startedAt: Number(parsed.startedAt ?? 0) };
  } catch {
    // A lock torn by a crash mid-write has no owner worth keeping.
  }
  return undefined;
}

/** The pid of the live agent holding the lock, or undefined when none does. */
export function lockOwner(file: string): number | undefined {
  const info = readLock(file);
  return info && isAgentProcess(info.pid) ? info.pid : undefined;
}

// A takeover takes microseconds; one older than this was abandoned by a crash.
const STALE_TAKEOVER_MS = 10_000;

export function acquireLock(file: string, home: string, pid = process.pid): HeldLock {
  const info: LockInfo = { pid, startedAt: Date.now() };
  const content = JSON.stringify(info) + "\n";
  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(file, content)) return held(file, info);
    const current = readLock(file);
    if (current && current.pid !== pid && isAgentProcess(current.pid)) {
      throw conflict(`an agent is already running for ${home} (pid ${current.pid}); stop it with \`clockwork agent stop\``);
    }
    if (takeOver(file, content, current)) return held(file, info);
  }
  throw conflict(`could not take the agent lock ${file}: other processes keep changing it`);
}

function tryCreate(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Replaces a stale lock with ours; false when someone else got there first. */
function takeOver(file: string, content: string, stale: LockInfo | undefined): boolean {
  const mutex = `${file}.takeover`;
  if (!tryCreate(mutex, String(process.pid))) {
    removeIfOlderThan(mutex, STALE_TAKEOVER_MS);
    return false;
  }
  try {
    // Re-read under the mutex: the lock may have changed hands meanwhile, or
    // been released, in which case the O_EXCL create in the caller's loop
    // is the only safe way to take it.
    if (!existsSync(file)) return false;
    const now = readLock(file);
    const unchanged = now?.pid === stale?.pid && now?.startedAt === stale?.startedAt;
    if (!unchanged) return false;
    const temp = `${file}.${process.pid}.tmp`;
    if (!tryCreate(temp, content)) {
      unlinkQuietly(temp);
      return false;
    }
    renameSync(temp, file);
    return true;
  } finally {
    unlinkQuietly(mutex);
  }
}

function held(file: string, info: LockInfo): HeldLock {
  let released = false;
  return {
    file,
    info,
    release() {
      if (released) return;
      released = true;
      const current = readLock(file);
      if (current?.pid === info.pid && current.startedAt === info.startedAt) unlinkQuietly(file);
    },
  };
}

function removeIfOlderThan(file: string, ageMs: number): void {
  try {
    if (Date.now() - statSync(file).mtimeMs > ageMs) unlinkQuietly(file);
  } catch {
    // Gone already.
  }
}

export function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone: that is what we wanted.
  }
}
