// Only the owner's files are used. $CLOCKWORK_HOME holds webhook secrets, the
// workflows triggers point at and the socket every command talks to; a home
// another user owns or can write to lets that user read the secrets, point a
// trigger at their own code (run as us), or listen on the socket in the
// agent's place. So before anything reads or writes there, the agent and
// every CLI command check that the home (symlinks resolved) and the files in
// it are ours and writable by nobody else, and refuse with the path, its
// owner and mode, and the fix. The CLI and the extension also check the
// socket's owner right before connecting, so nothing is ever sent to a
// listener someone else put there.
//
// Readable-by-others is not refused: the agent tightens its home to 0700 and
// creates its files 0600 itself; what cannot be repaired safely is a folder
// or file that someone else could already have changed.
import { chmodSync, mkdirSync, readFileSync, realpathSync, statSync, type Stats } from "node:fs";
import { basename, join } from "node:path";
import type { Config } from "./config";
import { ClockworkError } from "./errors";

type HomePaths = Pick<Config, "home" | "dbFile" | "socketPath" | "logFile" | "lockFile" | "pidFile">;

/** The files in the home that are checked when they exist (the database with its WAL and shared-memory files). */
function homeFiles(config: HomePaths): string[] {
  const { dbFile } = config;
  return [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, config.socketPath, config.logFile, config.lockFile, config.pidFile];
}

/**
 * Throws (Invalid) when the home or one of its files belongs to another user
 * or is writable by group or others. A home that does not exist yet passes:
 * it will be created private. Does nothing where there are no uids (Windows).
 */
export function checkPrivateHome(config: HomePaths): void {
  const uid = currentUid();
  if (uid === undefined) return;
  let real: string;
  try {
    real = realpathSync(config.home);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const shown = real === config.home ? real : `${real} (where ${config.home} leads)`;
  const home = statSync(real);
  if (!home.isDirectory()) throw new ClockworkError("Invalid", `${shown} is not a folder; set CLOCKWORK_HOME to a folder of your own`);
  refuseForeign(shown, home, uid, "700");
  for (const file of homeFiles(config)) {
    const stats = statIfExists(join(real, basename(file)));
    if (stats) refuseForeign(file, stats, uid, "600");
  }
}

/** Creates the home (0700) or, once it is known to be ours, tightens it to 0700. */
export function makePrivateHome(config: HomePaths): void {
  checkPrivateHome(config);
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  if (currentUid() !== undefined) chmodSync(config.home, 0o700);
}

/**
 * Throws (Invalid) when the file at `path` (symlinks resolved) belongs to
 * another user or is writable by group or others: for files in the home
 * that say what runs (mcp.json names the commands MCP servers start with).
 * Returns false when there is no such file.
 */
export function checkOwnFile(path: string): boolean {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw error;
  }
  const uid = currentUid();
  if (uid !== undefined) refuseForeign(real === path ? path : `${real} (where ${path} leads)`, statSync(real), uid, "600");
  return true;
}

/**
 * Throws (Invalid) when the socket at `path` belongs to another user. Call
 * it right before connecting: a missing socket passes (the connect fails
 * on its own).
 */
export function checkSocketOwner(path: string): void {
  const uid = currentUid();
  if (uid === undefined) return;
  const stats = statIfExists(path);
  if (stats && stats.uid !== uid) {
    throw new ClockworkError(
      "Invalid",
      `refusing to talk to ${path}: it is owned by ${describeUser(stats.uid)}, not by you, ${describeUser(uid)}, so whatever listens there may not be your agent. ` +
        `Nothing was sent. Remove it if you trust the folder, or set CLOCKWORK_HOME to a folder of your own.`,
    );
  }
}

function refuseForeign(path: string, stats: Stats, uid: number, privateMode: string): void {
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, "0");
  if (stats.uid !== uid) {
    throw new ClockworkError(
      "Invalid",
      `refusing to use ${path}: it is owned by ${describeUser(stats.uid)} with mode ${mode}, not by you, ${describeUser(uid)}; ` +
        `another user could read its secrets or change what runs. Fix: \`chown ${uid} ${path}\` as an administrator, ` +
        `or set CLOCKWORK_HOME to a folder of your own.`,
    );
  }
  if ((stats.mode & 0o022) !== 0) {
    throw new ClockworkError(
      "Invalid",
      `refusing to use ${path}: its mode is ${mode}, so ${writers(stats.mode)} can write to it. ` +
        `Fix: \`chmod ${privateMode} ${path}\` (and check that nothing in it was changed by someone else).`,
    );
  }
}

function writers(mode: number): string {
  const who = [(mode & 0o020) !== 0 ? "its group" : "", (mode & 0o002) !== 0 ? "every user" : ""];
  return who.filter(Boolean).join(" and ");
}

function statIfExists(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

function currentUid(): number | undefined {
  return typeof process.getuid === "function" ? process.getuid() : undefined;
}

/** `nobody (uid 65534)`, with the name from /etc/passwd when it has one. */
function describeUser(uid: number): string {
  let name: string | undefined;
  try {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((entry) => entry.split(":")[2] === String(uid));
    name = line?.split(":")[0];
  } catch {
    // No passwd file (a container without one): the number will do.
  }
  return name ? `${name} (uid ${uid})` : `uid ${uid}`;
}
