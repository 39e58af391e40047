// One agent per CLOCKWORK_HOME. The lock is an OS file lock on `agent.lock`
// (store/fileLock.ts), held by the kernel for the life of the agent process
// and released by the kernel when it exits, crash or not. Whether an agent is
// running is therefore a question to the kernel, never a pid read back and
// matched against a program name: an agent started through a symlink, a
// copied entry script or a renamed program holds or finds the same lock.
//
// `agent.pid` next to it names the holder, for messages ("already running,
// pid 1234") and for `clockwork agent stop`. It is written by the holder
// right after taking the lock and only believed while the lock is held.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import type { Config } from "../config";
import { conflict } from "../errors";
import { isProcessAlive } from "../runner/orphans";
import { isFileLocked, takeFileLock } from "./fileLock";

export interface PidInfo {
  pid: number;
  startedAt: number;
}

export interface HeldLock {
  readonly info: PidInfo;
  /** Removes the pid file and releases the lock. Safe to call twice. */
  release(): void;
}

type LockPaths = Pick<Config, "home" | "lockFile" | "pidFile">;

/** True when a process with this pid exists and has not exited (shared with orphan detection). */
export const isPidAlive = isProcessAlive;

/**
 * Takes the agent lock for this process, or throws (Conflict) naming the
 * pid of the agent that holds it.
 */
export function acquireLock(paths: LockPaths, pid = process.pid): HeldLock {
  const lock = takeLock(paths);
  if (!lock) {
    const holder = readPidFile(paths.pidFile)?.pid;
    throw conflict(
      `an agent is already running for ${paths.home} (${holder ? `pid ${holder}` : "pid unknown"}); stop it with \`clockwork agent stop\``,
    );
  }
  const info: PidInfo = { pid, startedAt: Date.now() };
  try {
    writePidFile(paths.pidFile, info);
  } catch (error) {
    lock.release();
    throw error;
  }
  let released = false;
  return {
    info,
    release() {
      if (released) return;
      released = true;
      if (readPidFile(paths.pidFile)?.pid === pid) unlinkQuietly(paths.pidFile);
      lock.release();
    },
  };
}

function takeLock(paths: LockPaths) {
  try {
    return takeFileLock(paths.lockFile);
  } catch (error) {
    if ((error as { code?: string }).code !== "SQLITE_NOTADB") throw error;
    // A lock file in the format of an earlier Clockwork (a JSON pid written
    // with O_EXCL), which held no OS lock. Replaced, unless its pid lives.
    const old = parsePid(safeRead(paths.lockFile));
    if (old && isProcessAlive(old.pid)) {
      throw conflict(`${paths.lockFile} names pid ${old.pid}, which is alive: an older agent may be running; stop it first`);
    }
    unlinkQuietly(paths.lockFile);
    return takeFileLock(paths.lockFile);
  }
}

/**
 * The agent holding the lock: `{ pid }` (null when its pid file is missing or
 * unreadable), or undefined when no process holds it. Never call it inside
 * the agent that holds the lock (a POSIX lock is lost when its process
 * closes any descriptor of the file).
 */
export function lockHolder(paths: LockPaths): { pid: number | null } | undefined {
  if (!isFileLocked(paths.lockFile)) return undefined;
  return { pid: readPidFile(paths.pidFile)?.pid ?? null };
}

export function readPidFile(file: string): PidInfo | undefined {
  return parsePid(safeRead(file));
}

function parsePid(text: string | undefined): PidInfo | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<PidInfo>;
    if (typeof parsed.pid === "number" && Number.isInteger(parsed.pid)) return { pid: parsed.pid, startedAt: Number(parsed.startedAt ?? 0) };
  } catch {
    // Torn or foreign content names nobody.
  }
  return undefined;
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Written whole and renamed into place, so a reader never sees half a pid. */
function writePidFile(file: string, info: PidInfo): void {
  const temp = `${file}.${info.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(info) + "\n", { mode: 0o600 });
  renameSync(temp, file);
}

export function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone: that is what we wanted.
  }
}
