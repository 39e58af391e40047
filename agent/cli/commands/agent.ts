// `clockwork agent` (foreground), `clockwork agent start` (detached) and
// `clockwork agent stop`.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { resolve } from "node:path";
import { Command, Option } from "commander";
import { loadConfig, type Config } from "../../config";
import { graceFromEnv } from "../../daemon/agent";
import { isPidAlive, lockHolder } from "../../daemon/lock";
import type { StartupMessage } from "../../daemon/main";
import { runAgentProcess } from "../../daemon/main";
import { conflict, ClockworkError } from "../../errors";
import { makePrivateHome } from "../../privateHome";
import { colour, exitWithError } from "../output";
import { tryConnect } from "../client";
import { Status } from "../../protocol";

const START_TIMEOUT_MS = 30_000;

export function agentCommands(program: Command): void {
  const agent = program
    .command("agent")
    .description("Run the agent in the foreground (logs to stdout and $CLOCKWORK_HOME/agent.log); see start/stop to run it in the background")
    .addOption(new Option("--detached", "internal: started by `agent start`, log to the file only").hideHelp())
    .addHelpText(
      "after",
      `
The agent fires schedules, serves webhooks, file watchers and run triggers,
runs workflows and answers the CLI and VS Code on $CLOCKWORK_HOME/agent.sock. One agent runs
per $CLOCKWORK_HOME. SIGTERM or Ctrl-C stops it gracefully: running runs get
CLOCKWORK_SHUTDOWN_GRACE_MS (default 30000) to finish, then are cancelled.
See docs/agent.md.`,
    )
    .action(async (options: { detached?: boolean }) => {
      const code = await runAgentProcess({ config: loadConfig(), foreground: !options.detached });
      process.exit(code);
    });

  agent
    .command("start")
    .description("Start the agent in the background and wait until it answers")
    .action(async () => {
      const config = loadConfig();
      const started = await startDetached(config);
      process.stdout.write(
        `${colour.green("agent started")} (pid ${started.pid})\n  socket ${started.socket}\n  log    ${config.logFile}\n`,
      );
      // The HTTP server is one part of the agent: it may fail (a port in use)
      // while schedules and the socket work. Say so now, not only in `status`.
      const client = await tryConnect(config);
      if (client) {
        try {
          const status = await client.request(Status, undefined);
          if (status.httpUrl) process.stdout.write(`  http   ${status.httpUrl}\n`);
          else if (status.httpError) process.stdout.write(`  ${colour.yellow(`http   off: ${status.httpError}`)}\n`);
        } finally {
          client.close();
        }
      }
      process.exit(0);
    });

  agent
    .command("stop")
    .description("Stop the running agent (SIGTERM) and wait until it has exited")
    .option("--timeout <ms>", "how long to wait before giving up (default: the shutdown grace period + 15 s)")
    .action(async (options: { timeout?: string }) => {
      const config = loadConfig();
      const holder = lockHolder(config);
      if (holder === undefined) {
        process.stdout.write(`no agent is running for ${config.home}\n`);
        return;
      }
      const pid = holder.pid;
      if (pid === null) {
        exitWithError(new Error(`a process holds ${config.lockFile} but ${config.pidFile} does not name it; find it with \`fuser ${config.lockFile}\``));
      }
      const timeout = options.timeout !== undefined ? Number(options.timeout) : graceFromEnv() + 15_000;
      if (!Number.isFinite(timeout) || timeout <= 0) exitWithError(new ClockworkError("Invalid", "--timeout: give a positive number of milliseconds"));
      process.kill(pid, "SIGTERM");
      process.stdout.write(`stopping the agent (pid ${pid}); running runs may take up to the grace period…\n`);
      if (!(await waitForExit(pid, timeout))) {
        exitWithError(new Error(`the agent (pid ${pid}) is still running after ${timeout} ms; kill it with \`kill -9 ${pid}\``));
      }
      process.stdout.write(`${colour.green("agent stopped")} (pid ${pid})\n`);
    });
}

/**
 * Spawns `clockwork agent --detached` in its own session, its stderr appended
 * to the log file (so even a crash trace is kept), and waits for it to say
 * over IPC that its socket answers, or why it could not start.
 */
export async function startDetached(config: Config): Promise<{ pid: number; socket: string }> {
  const running = lockHolder(config);
  if (running !== undefined) {
    throw conflict(`an agent is already running for ${config.home} (${running.pid === null ? "pid unknown" : `pid ${running.pid}`})`);
  }
  makePrivateHome(config);
  const logFd = openSync(config.logFile, "a", 0o600);
  const script = resolve(process.argv[1]!);
  const child = spawn(process.execPath, [script, "agent", "--detached"], {
    detached: true,
    stdio: ["ignore", "ignore", logFd, "ipc"],
    env: { ...process.env, CLOCKWORK_HOME: config.home },
  });
  closeSync(logFd);
  try {
    return await new Promise<{ pid: number; socket: string }>((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the agent did not answer within ${START_TIMEOUT_MS / 1000} s; see ${config.logFile}`)),
        START_TIMEOUT_MS,
      );
      child.once("message", (message: StartupMessage) => {
        clearTimeout(timer);
        if (message.ready) resolvePromise({ pid: message.pid, socket: message.socket });
        else reject(new Error(`the agent did not start: ${message.error}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the agent exited during start-up (${signal ?? `code ${code}`}); see ${config.logFile}`));
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } finally {
    child.removeAllListeners();
    if (child.connected) child.disconnect();
    child.unref();
  }
}

/** Polls for the process to be gone: a foreign process's exit has no event to wait on. */
async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isPidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
