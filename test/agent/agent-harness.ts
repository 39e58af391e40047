// Shared by the agent and scheduler tests: a real agent process (the built
// bundle) in a temporary CLOCKWORK_HOME, a socket client that records every
// notification so tests wait on them instead of sleeping, and a runner for
// CLI commands.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { tryConnect, type AgentClient } from "../../agent/cli/client";
import { loadConfig, type Config } from "../../agent/config";
import type { NotificationType } from "vscode-languageserver-protocol";
import {
  RunChanged,
  RunLog,
  Status,
  StepChanged,
  type LogChunk,
  type RunSummary,
  type StepRecord,
} from "../../agent/protocol";

export const repoRoot = process.env.CLOCKWORK_REPO_ROOT ?? resolve(__dirname, "../..");
// CLOCKWORK_TEST_BUNDLE runs the tests against another build of the CLI.
export const bundle = process.env.CLOCKWORK_TEST_BUNDLE ?? join(repoRoot, "dist", "clockwork.js");

/** A fresh private home; removed by `cleanup`. */
/** How long a start or a stop may take before the harness calls the agent hung (far above the 30 s shutdown grace). */
const HANG_GUARD_MS = 90_000;

export function tempHome(label: string): string {
  return mkdtempSync(join(tmpdir(), `cw-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function baseEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLOCKWORK_HOME: home,
    // Never the default 8787: another test or a real agent may be using it.
    CLOCKWORK_HTTP_PORT: "0",
    NO_COLOR: "1",
    ...extra,
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `clockwork <args>` to completion. */
export function cli(home: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { env: baseEnv(home, env), cwd: cwd ?? home });
    let stdout = "";
    let stderr = "";
    // A command that never ends fails its test with what it printed, instead of the whole file timing out silently.
    const guard = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`clockwork ${args.join(" ")} did not exit within ${HANG_GUARD_MS / 1000} s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, HANG_GUARD_MS);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(guard);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Writes a workflow file into `dir` and returns its absolute path. */
export function writeWorkflow(dir: string, file: string, source: string): string {
  const path = join(dir, file);
  writeFileSync(path, source);
  return path;
}

/** A workflow with one shell step; `command` runs under /bin/sh. */
export function shellWorkflow(name: string, command: string): string {
  return `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({ name: ${JSON.stringify(name)}, steps: [shell("main", ${JSON.stringify(command)})] });
`;
}

/** How many runs were at once between a "start" and an "end" line of a log their steps append to. */
export function mostAtOnce(log: string): number {
  let now = 0;
  let most = 0;
  for (const line of log.split("\n")) {
    if (line === "start") most = Math.max(most, ++now);
    if (line === "end") now--;
  }
  return most;
}

/** Every notification of `type` the client receives from now on, and a wait for one that matches. */
export function recordNotifications<T>(client: AgentClient, type: NotificationType<T>) {
  const seen: T[] = [];
  let wake: (() => void) | undefined;
  client.onNotification(type, (payload) => {
    seen.push(payload);
    wake?.();
  });
  return {
    seen,
    async until(match: (payload: T) => boolean): Promise<T> {
      for (;;) {
        const found = seen.find(match);
        if (found) return found;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

/** A socket client that keeps every run, step and log notification it receives. */
export class Watcher {
  readonly runs: RunSummary[] = [];
  readonly steps: Array<{ runId: string; step: StepRecord }> = [];
  readonly logs: LogChunk[] = [];
  private waiters: Array<() => void> = [];
  private readonly gone: Promise<never>;

  constructor(readonly client: AgentClient) {
    // Messages that arrived just before the close are still being dispatched
    // (the connection handles them on later turns of the event loop), so the
    // close counts only once they have had the chance to arrive.
    this.gone = client.closed
      .then(() => new Promise((resolve) => setTimeout(resolve, 200)))
      .then(() => {
        throw new Error("the agent closed the connection");
      });
    // Marked handled here; `until` still sees the rejection through the race.
    this.gone.catch(() => undefined);
    const wake = () => {
      for (const resolve of this.waiters.splice(0)) resolve();
    };
    client.onNotification(RunChanged, (run) => {
      this.runs.push(run);
      wake();
    });
    client.onNotification(StepChanged, (step) => {
      this.steps.push(step);
      wake();
    });
    client.onNotification(RunLog, (chunk) => {
      this.logs.push(chunk);
      wake();
    });
  }

  /** Resolves once `predicate` holds over the notifications seen so far (checked after each one). */
  async until<T>(predicate: (runs: RunSummary[]) => T | undefined | false, what = "condition"): Promise<T> {
    // A guard, not a speed check: a notification that never comes fails the
    // test with what was seen instead of hanging the whole file.
    let guard: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(new Error(`no notification satisfied it within ${HANG_GUARD_MS / 1000} s`)), HANG_GUARD_MS);
    });
    hung.catch(() => undefined);
    try {
      for (;;) {
        const value = predicate(this.runs);
        if (value) return value;
        await Promise.race([new Promise<void>((wake) => this.waiters.push(wake)), this.gone, hung]).catch((error: Error) => {
          const last = predicate(this.runs);
          if (last) return;
          const seen = this.runs.map((r) => `${r.id} ${r.workflowName} ${r.status}`).join(", ") || "no runs";
          throw new Error(`${error.message} while waiting for ${what} (seen: ${seen})`);
        });
      }
    } finally {
      clearTimeout(guard);
    }
  }

  /** The latest state of each run seen, by id. */
  latest(): Map<string, RunSummary> {
    const map = new Map<string, RunSummary>();
    for (const run of this.runs) map.set(run.id, run);
    return map;
  }
}

export class AgentProcess {
  private exitCode: Promise<number | null>;
  output = "";

  private constructor(
    readonly child: ChildProcess,
    readonly home: string,
    readonly config: Config,
  ) {
    this.exitCode = new Promise((r) => child.on("exit", (code) => r(code)));
  }

  /**
   * Starts `clockwork agent` in the foreground and resolves once it has
   * logged that it started (its socket is listening by then).
   */
  static async start(home: string, env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
    const child = spawn(process.execPath, [bundle, "agent"], { env: baseEnv(home, env), stdio: ["ignore", "pipe", "pipe"] });
    const agent = new AgentProcess(child, home, loadConfig({ ...baseEnv(home, env) }));
    child.stdout!.on("data", (d) => (agent.output += d));
    child.stderr!.on("data", (d) => (agent.output += d));
    await new Promise<void>((resolvePromise, reject) => {
      // A guard, not a speed check: a start that never finishes fails the
      // test with what the agent said instead of hanging the whole file.
      const guard = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`agent did not report its start within ${HANG_GUARD_MS / 1000} s:\n${agent.output}`));
      }, HANG_GUARD_MS);
      const onData = () => {
        if (/ agent \S+ started /.test(agent.output)) {
          clearTimeout(guard);
          child.stdout!.off("data", onData);
          resolvePromise();
        }
      };
      child.stdout!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(guard);
        reject(new Error(`agent exited with ${code} during start:\n${agent.output}`));
      });
    });
    return agent;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The socket this agent listens on (a per-process one when the lock is bypassed). */
  get socketPath(): string {
    const match = /socket (\S+)\)/.exec(this.output);
    return match ? match[1]! : this.config.socketPath;
  }

  async connect(): Promise<AgentClient> {
    const client = await tryConnect({ socketPath: this.socketPath });
    if (!client) throw new Error(`no answer on ${this.socketPath}`);
    return client;
  }

  async watch(): Promise<Watcher> {
    const watcher = new Watcher(await this.connect());
    // Any request subscribes a client to the agent's notifications.
    await watcher.client.request(Status, undefined);
    return watcher;
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    // A guard, not a speed check: an agent that never exits after SIGTERM is
    // killed and the test fails with its output instead of hanging the file.
    let guard: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      guard = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(new Error(`agent did not exit within ${HANG_GUARD_MS / 1000} s of SIGTERM:\n${this.output}`));
      }, HANG_GUARD_MS);
    });
    try {
      return await Promise.race([this.exitCode, hung]);
    } finally {
      clearTimeout(guard);
    }
  }

  async kill9(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exitCode;
  }

  exited(): Promise<number | null> {
    return this.exitCode;
  }
}
