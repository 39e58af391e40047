// The agent's lifetime, start to stop. Start: a private home, the lock (one
// agent per home), the log, the store, recovery of runs a dead agent left
// behind, the heartbeat, the socket, the parts that accept triggers (HTTP,
// watchers) and finally the scheduler. Stop (SIGTERM, SIGINT): the reverse,
// with a grace period for running runs before they are cancelled.
import { hostname } from "node:os";
import { join } from "node:path";
import type { Config } from "../config";
import { VERSION } from "../config";
import { cronPreview, defaultTimezone } from "../core/cron";
import { invalid, messageOf } from "../errors";
import { registerLanguageFeatures } from "../lsp";
import { Events } from "../events";
import type { AgentStatus, RunSummary } from "../protocol";
import { makePrivateHome } from "../privateHome";
import { openStore, type Store } from "../store";
import { executeRun } from "../runner/executeRun";
import { createUserCode, userCodeSettings } from "../executor/userCode";
import { attachAgentLog, type LogSink } from "./agentLog";
import { startHeartbeat } from "./heartbeat";
import { acquireLock, isPidAlive, type HeldLock } from "./lock";
import { adoptQueuedRuns, AGENT_ORPHAN_REASON, failOrphanRuns, ownerFor } from "../runner/orphans";
import { LogFile } from "./logFile";
import { retentionDaysFromEnv, startRetention } from "./retention";
import { RunControl } from "./runControl";
import { RunPool } from "./runPool";
import { Scheduler } from "./scheduler";
import { watchScheduleHealth } from "./scheduleHealth";
import type { AgentComponent, AgentServices } from "./services";
import { graceCutShortReason, graceEndedReason } from "./stopReasons";
import { watchStore } from "./storeWatch";
import { startSocketServer, type LanguageFeatures, type SocketServer } from "./socketServer";
import { describeSchedule, TriggerOps } from "./triggerOps";
import { watcherComponent } from "./watcherComponent";
import { httpComponent } from "./webhooks";

export const ORPHAN_REASON = AGENT_ORPHAN_REASON;
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;

/**
 * The parts with a lifetime of their own that accept triggers: the HTTP
 * server (webhooks, /run) and the file watchers. Each is started once the
 * services exist and stopped first on shutdown.
 */
const components: AgentComponent[] = [httpComponent, watcherComponent];

/** Editor features for workflow files, registered on every socket client. */
const languageFeatures: LanguageFeatures[] = [registerLanguageFeatures];

export interface AgentOptions {
  config: Config;
  /** Also write the log to stdout (foreground `clockwork agent`). */
  logToStdout?: boolean;
  /** Grace period for running runs on shutdown (default CLOCKWORK_SHUTDOWN_GRACE_MS or 30 s). */
  graceMs?: number;
  /** Finished runs older than this many days are pruned (default CLOCKWORK_RETENTION_DAYS or 30; 0 keeps all). */
  retentionDays?: number;
  /** Test-only (CLOCKWORK_UNSAFE_NO_LOCK=1): skip the lock and listen on a per-process socket. */
  unsafeNoLock?: boolean;
  now?: () => number;
}

export interface RunningAgent {
  readonly services: AgentServices;
  readonly socketPath: string;
  /**
   * Graceful stop; `cause` (a signal's name, what happened to the store) is
   * named in the log and in the outcome of runs it cancels. A second call
   * while stopping cuts the grace period short.
   */
  stop(cause?: string): Promise<void>;
  /** Resolves with what happened when the agent cannot go on (its store vanished); it must then stop and exit non-zero. */
  readonly failure: Promise<string>;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const pid = process.pid;
  // Who owns the runs this agent executes: an id for this process's lifetime.
  const owner = ownerFor("agent");
  makePrivateHome(config);

  const lock: HeldLock | undefined = options.unsafeNoLock ? undefined : acquireLock(config);
  const socketPath = options.unsafeNoLock ? join(config.home, `agent-${pid}.sock`) : config.socketPath;
  const cleanups: Array<() => void> = [];
  const cleanup = () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch {
        // Best effort: keep cleaning up the rest.
      }
    }
  };
  if (lock) cleanups.push(() => lock.release());

  try {
    const events = new Events();
    const logFile = new LogFile(config.logFile);
    cleanups.push(() => logFile.close());
    const sinks: LogSink[] = [(line) => logFile.write(line)];
    if (options.logToStdout) {
      // A closed stdout (the agent piped into `head`) must not end the agent:
      // the log file keeps every line.
      let stdoutOpen = true;
      process.stdout.on("error", () => (stdoutOpen = false));
      sinks.push((line) => {
        if (stdoutOpen) process.stdout.write(line);
      });
    }
    cleanups.push(attachAgentLog(events, sinks, now));
    const log = (level: "info" | "warn" | "error", message: string) => events.emit("agent:log", { level, message });

    let http: { url: string | null; error: string | null } = { url: null, error: null };
    const store: Store = openStore(config.dbFile, { describeSchedule, httpUrl: () => http.url, clock: now });
    cleanups.push(() => void store.close());

    // Recovery: runs that had started under a process that died (this
    // agent's predecessor, or a `clockwork run` killed mid-run) are failed
    // with a reason, once, after the step processes they left are ended.
    // Runs that were accepted but never started are taken over and run.
    // Holding the lock, this is the only agent: every run another agent had started is an orphan.
    for (const run of await failOrphanRuns(store.runs, lock ? { startingAgent: owner } : {})) {
      log("warn", `run ${run.id} (${run.workflowName}) was left in progress by a process that is gone: marked failed (${run.error})`);
      events.emit("run:finished", run);
    }
    const resumed = options.unsafeNoLock ? [] : await adoptQueuedRuns(store.runs, owner);
    await removeDeadAgents(store);
    cleanups.push(startRetention(store.runs, events, options.retentionDays ?? retentionDaysFromEnv(), now));

    // Workflow code runs in executor processes, never on this loop: one pool
    // for runs (a slot per concurrent run, plus one so loading a workflow
    // never waits behind code steps) and one for the editor features.
    const settings = userCodeSettings();
    const executorLog = (message: string) => log("warn", message);
    const runCode = createUserCode({ settings, max: config.maxConcurrentRuns + 1, warm: 1, log: executorLog });
    const editorCode = createUserCode({ settings, max: 1, warm: 0, cacheDir: null, log: executorLog });
    cleanups.push(() => void runCode.executors.close());
    cleanups.push(() => void editorCode.executors.close());
    runCode.executors.warmUp();

    let stopping = false;
    // Set when the store file vanished from under the agent (storeWatch.ts).
    let storeError: string | null = null;
    const startedAt = now();
    const pool = new RunPool({
      limit: config.maxConcurrentRuns,
      // A run starts on the next turn of the event loop, not inside the
      // call that queued it: loading its workflow then never delays the
      // answer to the webhook or request that started it.
      execute: (runId, signal) =>
        new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
          executeRun({ store: store.runs, events, runId, signal, owner, loader: runCode.loader, now }),
        ),
      dropWaiting: (runId, reason) => {
        void store.runs.finishRun(runId, "cancelled", reason).then(
          (run) => run && events.emit("run:finished", run),
          (error: unknown) => log("error", `run ${runId}: could not record its cancellation: ${messageOf(error)}`),
        );
      },
    });
    const runControl = new RunControl({ store, events, pool, loader: runCode.loader, owner, isStopping: () => stopping || storeError !== null });
    if (resumed.length > 0) {
      log("info", `resuming ${resumed.length} queued run(s) accepted before the agent stopped`);
      for (const run of resumed) await runControl.resume(run);
    }
    const triggerOps = new TriggerOps({ triggers: store.triggers, loader: runCode.loader, events, now });

    const status = async (): Promise<AgentStatus> => {
      // Counted on an index, not read: the status follows every run change.
      const [active, next, counts] = await Promise.all([store.runs.countActive(), store.triggers.earliestFire(), store.triggers.counts()]);
      return {
        pid,
        version: VERSION,
        startedAt: new Date(startedAt).toISOString(),
        uptimeMs: now() - startedAt,
        home: config.home,
        socket: socketPath,
        httpUrl: http.url,
        httpError: http.error,
        counts: {
          schedules: counts.schedule,
          webhooks: counts.webhook,
          watchers: counts.watcher,
          running: active.running,
          queued: active.queued,
        },
        nextFire: next ? { trigger: next.name, at: new Date(next.at).toISOString() } : null,
        stopping,
        ...(storeError === null ? {} : { storeError }),
      };
    };

    // A status read the store could not answer is not worth announcing; the next change will be.
    const announceStatus = () => void status().then((s) => events.emit("agent:status", s), () => undefined);

    const services: AgentServices = {
      config,
      events,
      store,
      triggerOps,
      editorLoader: editorCode.loader,
      startRun: (input) => runControl.startRun(input),
      startFile: (file, context) => runControl.startFile(file, context),
      fireTrigger: (name, context) => runControl.fireTrigger(name, context),
      cancelRun: (id) => runControl.cancelRun(id),
      waitForRun: (id, signal) => runControl.waitForRun(id, signal),
      cronPreview: (expression, timezone, count = 5) => cronPreview(expression, timezone ?? defaultTimezone(), count, now()),
      status,
      setHttp: (state) => {
        http = { ...state };
        announceStatus();
      },
      get stopping() {
        return stopping;
      },
      get storeError() {
        return storeError;
      },
    };

    // The heartbeat is read against the wall clock by `clockwork status`, so
    // it uses the real clock even when the scheduler's is faked.
    const heartbeat = startHeartbeat(
      store.agents,
      () => ({ id: owner.id, pid, host: owner.host, version: VERSION, startedAt, socket: socketPath, http: http.url }),
      (message) => log("warn", message),
    );
    cleanups.push(() => heartbeat.stop());

    const socket: SocketServer = await startSocketServer(services, socketPath, languageFeatures);
    cleanups.push(() => void socket.close());

    const stops: Array<{ name: string; afterRuns: boolean; stop(): Promise<void> | void }> = [];
    for (const component of components) {
      try {
        const handle = await component.start(services);
        if (handle) stops.push({ name: component.name, afterRuns: component.stopAfterRuns === true, stop: () => handle.stop() });
      } catch (error) {
        // One part failing (a port in use) must not keep schedules from firing.
        log("error", `${component.name} did not start: ${messageOf(error)}`);
      }
    }

    cleanups.push(watchScheduleHealth(store, events));
    const scheduler = new Scheduler({
      store,
      events,
      owner,
      now,
      submit: (run: RunSummary, serialKey?: string) => runControl.submit(run, serialKey),
    });
    // Counts and the next fire change with every trigger edit and run; the
    // clients' status bars follow this notification. Coalesced to at most
    // one per STATUS_EVERY_MS so a burst of webhooks (thousands of run
    // changes a second) does not become a burst of status queries.
    const STATUS_EVERY_MS = 100;
    let statusTimer: NodeJS.Timeout | undefined;
    let lastStatusAt = 0;
    const statusSoon = () => {
      if (statusTimer) return;
      const wait = Math.max(0, lastStatusAt + STATUS_EVERY_MS - Date.now());
      statusTimer = setTimeout(() => {
        statusTimer = undefined;
        lastStatusAt = Date.now();
        announceStatus();
      }, wait);
    };
    cleanups.push(() => clearTimeout(statusTimer));
    for (const name of ["triggers:changed", "run:queued", "run:started", "run:finished", "schedule:fired"] as const) {
      cleanups.push(events.on(name, statusSoon));
    }
    let reportFailure!: (reason: string) => void;
    const failure = new Promise<string>((resolve) => (reportFailure = resolve));
    cleanups.push(
      watchStore(config, (reason) => {
        storeError = reason;
        log("error", `${reason}: the agent accepts no more work and exits; restart it once the store is back`);
        announceStatus();
        reportFailure(reason);
      }),
    );
    scheduler.start();
    log("info", `agent ${VERSION} started (pid ${pid}, home ${config.home}, socket ${socketPath})`);
    announceStatus();

    let stopped: Promise<void> | undefined;
    let hurry: ((second: string) => void) | undefined;
    const stopParts = async (parts: typeof stops) => {
      for (const part of parts.reverse()) {
        try {
          await part.stop();
        } catch (error) {
          log("warn", `${part.name} did not stop cleanly: ${messageOf(error)}`);
        }
      }
    };
    const stop = (cause = "asked to stop"): Promise<void> => {
      if (stopped) {
        hurry?.(cause);
        return stopped;
      }
      stopped = (async () => {
        stopping = true;
        scheduler.stop();
        // Runs of a store that is gone cannot be recorded: no grace then.
        const grace = storeError === null ? graceMs : 0;
        log("info", `agent stopping (${cause}): no new triggers; running runs get ${grace} ms to finish`);
        announceStatus();
        await stopParts(stops.filter((part) => !part.afterRuns));
        const startedStopping = Date.now();
        const cutShort = new Promise<string>((resolve) => {
          hurry = (second) => resolve(graceCutShortReason(cause, second, Date.now() - startedStopping, grace));
        });
        const kept = await pool.drain(grace, cutShort, graceEndedReason(cause, grace));
        if (kept > 0) log("info", `${kept} queued run(s) that had not started stay queued and run when the agent starts again`);
        await stopParts(stops.filter((part) => part.afterRuns));
        await socket.close();
        log("info", "agent stopped");
        cleanup();
      })();
      return stopped;
    };

    return { services, socketPath, stop, failure };
  } catch (error) {
    cleanup();
    throw error;
  }
}

/** Drops the heartbeats of agents on this machine whose process is gone, so the table does not grow with every restart. */
async function removeDeadAgents(store: Store): Promise<void> {
  const here = hostname();
  for (const agent of await store.agents.list()) {
    if (agent.host === here && !isPidAlive(agent.pid)) await store.agents.remove(agent.id);
  }
}

/** Shutdown grace from the environment (CLOCKWORK_SHUTDOWN_GRACE_MS), or the default. */
export function graceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CLOCKWORK_SHUTDOWN_GRACE_MS;
  if (raw === undefined || raw === "") return DEFAULT_SHUTDOWN_GRACE_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw invalid(`CLOCKWORK_SHUTDOWN_GRACE_MS must be a whole number of milliseconds, got "${raw}"`);
  }
  return value;
}
