// The agent as a process: starts it, maps signals to a graceful stop, keeps
// one failing request or run from taking the process down, and tells a
// parent that spawned it detached (`clockwork agent start`) when it is ready,
// or why it could not start, over the IPC channel.
import type { Config } from "../config";
import { messageOf } from "../errors";
import { graceFromEnv, startAgent, type RunningAgent } from "./agent";

/** Messages a detached agent sends to the `clockwork agent start` that spawned it. */
export type StartupMessage = { ready: true; pid: number; socket: string } | { ready: false; error: string };

export interface AgentProcessOptions {
  config: Config;
  /** Foreground: the log also goes to stdout. */
  foreground: boolean;
}

/** Runs until SIGTERM, SIGINT or SIGHUP; resolves with the exit code. */
export async function runAgentProcess(options: AgentProcessOptions): Promise<number> {
  // Signals are handled from the first moment: one that arrives while the
  // agent is still starting stops it as soon as it has started.
  let agent: RunningAgent | undefined;
  let signalled: NodeJS.Signals | undefined;
  // Non-zero once the agent cannot go on (its store vanished), so that a
  // supervisor restarts it.
  let exitCode = 0;
  let resolveFinished!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (resolveFinished = resolve));
  const stop = (cause: string) => {
    if (!agent) return;
    agent.stop(cause).then(
      () => resolveFinished(exitCode),
      (error: unknown) => {
        process.stderr.write(`error: the agent did not stop cleanly: ${messageOf(error)}\n`);
        resolveFinished(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    signalled = signal;
    agent?.services.events.emit("agent:log", { level: "warn", message: `received ${signal}` });
    stop(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", onSignal);

  try {
    agent = await startAgent({
      config: options.config,
      logToStdout: options.foreground,
      graceMs: graceFromEnv(),
      unsafeNoLock: process.env.CLOCKWORK_UNSAFE_NO_LOCK === "1",
      now: clockFromEnv(process.env.CLOCKWORK_UNSAFE_FAKE_NOW),
    });
  } catch (error) {
    tellParent({ ready: false, error: messageOf(error) });
    throw error;
  }
  const events = agent.services.events;
  // A bug in one request handler or run must not stop every schedule: log it
  // and keep serving.
  process.on("uncaughtException", (error) =>
    events.emit("agent:log", { level: "error", message: `uncaught: ${error.stack ?? messageOf(error)}` }),
  );
  process.on("unhandledRejection", (reason) =>
    events.emit("agent:log", { level: "error", message: `unhandled rejection: ${messageOf(reason)}` }),
  );

  void agent.failure.then((reason) => {
    exitCode = 1;
    stop(reason);
  });

  tellParent({ ready: true, pid: process.pid, socket: agent.socketPath });
  if (signalled) stop(signalled);
  return finished;
}

/**
 * Test-only: with CLOCKWORK_UNSAFE_FAKE_NOW=<ISO instant> the agent's clock
 * (scheduler, registrations, status) starts at that instant and runs at real
 * speed, so DST transitions and long gaps can be exercised in seconds.
 */
export function clockFromEnv(value: string | undefined): (() => number) | undefined {
  if (value === undefined || value === "") return undefined;
  const start = Date.parse(value);
  if (Number.isNaN(start)) throw new Error(`CLOCKWORK_UNSAFE_FAKE_NOW: "${value}" is not an ISO 8601 instant`);
  const offset = start - Date.now();
  return () => Date.now() + offset;
}

function tellParent(message: StartupMessage): void {
  if (!process.send || !process.connected) return;
  process.send(message, undefined, {}, () => {
    // The parent only needs this one message; letting go of the channel
    // lets it exit and keeps this process from depending on it.
    if (process.connected) process.disconnect();
  });
}
