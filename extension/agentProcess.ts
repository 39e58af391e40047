// Starting and stopping the agent process from VS Code. The agent is spawned
// detached and unreferenced, with the packaged `dist/clockwork.js`, so that
// it outlives the window: schedules keep firing after VS Code closes.
// No VS Code imports here; the supervisor decides when to call these.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import net from "node:net";

export interface SpawnOptions {
  /** The Node executable (the `clockwork.agent.nodePath` setting). */
  nodePath: string;
  /** The agent bundle, dist/clockwork.js inside the installed extension. */
  script: string;
  home: string;
  socketPath: string;
  logFile: string;
  env: NodeJS.ProcessEnv;
  /** How long the agent may take to open its socket. */
  timeoutMs?: number;
}

/** Whether something accepts connections on the agent socket right now. */
export function probeSocket(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Starts `node clockwork.js agent --detached` detached and resolves once its socket
 * answers. Its stdout and stderr are appended to the agent log, so a crash
 * during start-up is visible with "Clockwork: Show Agent Log". Rejects with a
 * message a user can act on when Node cannot be run or the agent exits or
 * stays silent.
 */
export async function spawnAgent(options: SpawnOptions): Promise<{ pid: number }> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  // The agent would create its home with these modes itself; the log file
  // has to exist before it runs.
  mkdirSync(options.home, { recursive: true, mode: 0o700 });
  const logFd = openSync(options.logFile, "a", 0o600);
  const logStart = sizeOf(options.logFile);
  let child;
  try {
    // --detached: the agent writes its log file itself and nothing to
    // stdout, so each line is in agent.log once; the streams below keep only
    // what the agent cannot log (a crash trace, Node refusing to start).
    child = spawn(options.nodePath, [options.script, "agent", "--detached"], {
      detached: true,
      stdio: ["ignore", logFd, logFd],
      env: agentEnv(options.env, options.home),
      cwd: options.home,
      windowsHide: true,
    });
  } finally {
    closeSync(logFd);
  }
  child.unref();

  let exit: { code: number | null; signal: string | null } | null = null;
  let spawnError: Error | null = null;
  child.once("exit", (code, signal) => (exit = { code, signal }));
  child.once("error", (error) => (spawnError = error));

  const deadline = Date.now() + timeoutMs;
  // The agent opens its socket within a second or so; polling the socket is
  // the one signal that works whether this agent or one started by another
  // window at the same moment wins the lock.
  while (Date.now() < deadline) {
    if (await probeSocket(options.socketPath, 500)) return { pid: child.pid ?? -1 };
    if (spawnError) {
      throw new Error(
        `could not run Node at "${options.nodePath}" (${(spawnError as Error).message}); set clockwork.agent.nodePath`,
      );
    }
    if (exit) {
      // Another agent may hold the lock and be about to answer: give it a moment.
      if (await waitForSocket(options.socketPath, 3000)) return { pid: child.pid ?? -1 };
      const e = exit as { code: number | null; signal: string | null };
      const how = e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
      const tail = logTail(options.logFile, logStart);
      throw new Error(`the agent ${how} while starting${tail ? `: ${tail}` : ""}`);
    }
    await delay(100);
  }
  throw new Error(`the agent did not open ${options.socketPath} within ${Math.round(timeoutMs / 1000)} s`);
}

/** Polls until the socket answers or the time is up. */
export async function waitForSocket(socketPath: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probeSocket(socketPath, 500)) return true;
    await delay(100);
  }
  return false;
}

/**
 * Asks the agent to stop (SIGTERM: running runs get their grace period) and
 * resolves once its socket no longer answers.
 */
export async function stopAgentProcess(pid: number, socketPath: string, timeoutMs = 30_000): Promise<boolean> {
  try {
    process.kill(pid, "SIGTERM");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) || !(await probeSocket(socketPath, 500))) return true;
    await delay(100);
  }
  return false;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The agent's environment: the window's, minus VS Code's own variables (they
 * describe this window, which the agent outlives), with the home pinned so a
 * `clockwork.home` setting reaches the agent too.
 */
export function agentEnv(env: NodeJS.ProcessEnv, home: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (/^(VSCODE_|ELECTRON_)/.test(key)) continue;
    out[key] = value;
  }
  out.CLOCKWORK_HOME = home;
  return out;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last few lines the agent wrote since `from`, for an error message. */
function logTail(file: string, from: number): string {
  try {
    const text = readFileSync(file, "utf8").slice(from).trim();
    return text.split("\n").slice(-3).join(" ").slice(-400);
  } catch {
    return "";
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
