// The agent's lifetime, start to stop. Start: a private home, the lock (one
// agent per home), the log, the store, recovery of runs a dead agent left
// behind, the heartbeat, the socket, the parts that accept triggers (HTTP,
// watchers) and finally the scheduler. Stop (SIGTERM, SIGINT): the reverse,
// with a grace period for running runs before they are cancelled.
import { join } from "node:path";
import type { Config } from "../config";
import { VERSION } from "../config";
import { cronPreview, defaultTimezone } from "../core/cron";
import { invalid, messageOf } from "../errors";
import { registerLanguageFeatures } from "../lsp";
import { Events } from "../events";
import type { AgentStatus, RunSummary } from "../protocol";
import type { Owner } from "../store";
import { makePrivateHome } from "../privateHome";
import { connectStore, type Store } from "../store";
import { executeRun } from "../runner/executeRun";
import { createUserCode, userCodeSettings, type UserCode } from "../executor/userCode";
import type { WorkflowLoader } from "../workflow/load";
import { attachAgentLog, type AgentLogger, type LogSink } from "./agentLog";
import { announceStatus, publishStatusOnChange, statusReader, type AgentState } from "./agentStatus";
import { startComponents } from "./components";
import { gracefulStop } from "./gracefulStop";
import { leaseFromEnv, startHeartbeat } from "./heartbeat";
import { startTeamMode, teamOwnerAlive } from "./teamMode";
import { thisHost } from "../store/host";
import { acquireLock, isPidAlive, type HeldLock } from "./lock";
import { adoptQueuedRuns, AGENT_ORPHAN_REASON, endLeftoverProcesses, failOrphanRuns, ownerFor } from "../runner/orphans";
import { LogFile } from "./logFile";
import { retentionDaysFromEnv, startRetention } from "./retention";
import { backfill } from "./backfill";
import { RunControl } from "./runControl";
import { RunPool } from "./runPool";
import { Scheduler } from "./scheduler";
import { watchScheduleHealth } from "./scheduleHealth";
import type { AgentComponent, AgentServices } from "./services";
import { watchStore } from "./storeWatch";
import { startSocketServer, type LanguageFeatures, type SocketServer } from "./socketServer";
import { describeSchedule, TriggerOps } from "./triggerOps";
import { runTriggerComponent } from "./runTriggerComponent";
import { watcherComponent } from "./watcherComponent";
import { httpComponent } from "./webhooks";

export const ORPHAN_REASON = AGENT_ORPHAN_REASON;
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;

/**
 * The parts with a lifetime of their own that accept triggers: the HTTP
 * server (webhooks, /run), the file watchers and the run triggers. Each is
 * started once the services exist and stopped on shutdown.
 */
const components: AgentComponent[] = [httpComponent, watcherComponent, runTriggerComponent];

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
  // What the start has acquired so far, released last first: by a start
  // that fails half-way, and as the last step of a stop.
  const cleanups: Cleanups = [];
  const cleanup = () => runCleanups(cleanups);
  if (lock) cleanups.push(() => lock.release());

  try {
    const events = new Events();
    const log = startLog(events, config, options.logToStdout === true, now, cleanups);

    const state: AgentState = { http: { url: null, error: null }, stopping: false, storeError: null };
    const store: Store = await connectStore(config, { describeSchedule, httpUrl: () => state.http.url, clock: now });
    cleanups.push(() => void store.close());
    const { resumed, failed } = await recoverRuns({ store, events, log, owner, lock, unsafeNoLock: options.unsafeNoLock === true });
    cleanups.push(startRetention(store.runs, events, options.retentionDays ?? retentionDaysFromEnv(), now));
    const { runCode, editorCode } = startExecutors(config, log, cleanups);

    const startedAt = now();
    const lease = leaseFromEnv();
    const { pool, runControl } = startRunPool({ config, store, events, owner, loader: runCode.loader, state, now, leaseMs: lease.leaseMs });
    if (resumed.length > 0) {
      log("info", `resuming ${resumed.length} queued run(s) accepted before the agent stopped`);
      for (const { run, serialKey } of resumed) await runControl.resume(run, serialKey);
    }
    const shared = store.team !== undefined;
    const triggerOps = new TriggerOps({ triggers: store.triggers, runs: store.runs, loader: runCode.loader, events, now, shared });
    const status = statusReader({ agentId: owner.id, leaseMs: lease.leaseMs, config, store, state, pid, socketPath, startedAt, now });
    const services = agentServices({ config, events, store, triggerOps, editorLoader: editorCode.loader, runControl, status, state, now, recovered: failed });

    // The heartbeat is read against the wall clock by `clockwork status`, so
    // it uses the real clock even when the scheduler's is faked.
    const heartbeat = startHeartbeat(
      store.agents,
      () => ({ id: owner.id, pid, host: owner.host, version: VERSION, startedAt, socket: socketPath, http: state.http.url }),
      (message) => log("warn", message),
      lease.beatEveryMs,
    );
    cleanups.push(() => heartbeat.stop());
    const isStopping = () => state.stopping || state.storeError !== null;
    const stopTeam = await startTeamMode({ store, events, pool, runControl, owner, isStopping, lease });
    cleanups.push(() => void stopTeam());

    const socket: SocketServer = await startSocketServer(services, socketPath, languageFeatures);
    cleanups.push(() => void socket.close());
    const started = await startComponents(components, services, log);

    cleanups.push(watchScheduleHealth(store, events));
    const scheduler = new Scheduler({
      store,
      events,
      owner,
      now,
      spread: store.team !== undefined,
      submit: (run: RunSummary, serialKey?: string) => runControl.submit(run, serialKey),
    });
    cleanups.push(publishStatusOnChange(events, status));
    // Only a store file can vanish under the agent; a database server that goes away is an error on each query, and comes back.
    const failure = store.backend.kind === "sqlite" ? failWhenStoreVanishes({ config, state, events, log, status }, cleanups) : new Promise<string>(() => undefined);
    scheduler.start();
    log("info", `agent ${VERSION} started (pid ${pid}, home ${config.home}, socket ${socketPath})`);
    announceStatus(events, status);

    const stop = gracefulStop({ state, events, log, status, scheduler, components: started, pool, socket, graceMs, cleanup });
    return { services, socketPath, stop, failure };
  } catch (error) {
    cleanup();
    throw error;
  }
}

type Cleanups = Array<() => void>;

function runCleanups(cleanups: Cleanups): void {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // Best effort: keep cleaning up the rest.
    }
  }
}

/** The agent's log: its file, and stdout in the foreground; returns the function the agent's own lines go through. */
function startLog(events: Events, config: Config, logToStdout: boolean, now: () => number, cleanups: Cleanups): AgentLogger {
  const logFile = new LogFile(config.logFile);
  cleanups.push(() => logFile.close());
  const sinks: LogSink[] = [(line) => logFile.write(line)];
  if (logToStdout) {
    // A closed stdout (the agent piped into `head`) must not end the agent:
    // the log file keeps every line.
    let stdoutOpen = true;
    process.stdout.on("error", () => (stdoutOpen = false));
    sinks.push((line) => {
      if (stdoutOpen) process.stdout.write(line);
    });
  }
  cleanups.push(attachAgentLog(events, sinks, now));
  return (level, message) => events.emit("agent:log", { level, message });
}

/**
 * Recovery: runs that had started under a process that died (this agent's
 * predecessor, or a `clockwork run` killed mid-run) are failed with a
 * reason, once, after the step processes they left are ended. Runs that
 * were accepted but never started are taken over; they are returned, to be
 * run. The failed ones are returned too: they finished before any part
 * that reacts to finished runs (run triggers) was listening.
 */
async function recoverRuns(parts: {
  store: Store;
  events: Events;
  log: AgentLogger;
  owner: Owner;
  lock: HeldLock | undefined;
  unsafeNoLock: boolean;
}): Promise<{ resumed: Array<{ run: RunSummary; serialKey: string | null }>; failed: RunSummary[] }> {
  const { store, events, log, owner, lock, unsafeNoLock } = parts;
  // Holding the lock, this is the only agent of this home: every run another agent had started is an orphan,
  // unless several agents share the store (team mode), where only runs whose process is gone are.
  const team = store.team !== undefined;
  const failed = await failOrphanRuns(store.runs, lock ? { startingAgent: owner, team } : { team });
  for (const run of failed) {
    log("warn", `run ${run.id} (${run.workflowName}) was left in progress by a process that is gone: marked failed (${run.error})`);
    events.emit("run:finished", run);
  }
  // Runs another machine's agent failed for a lost agent of this one: their processes are only ours to end.
  const leftover = await endLeftoverProcesses(store.runs);
  if (leftover > 0) log("warn", `ended ${leftover} step process${leftover === 1 ? "" : "es"} left running by runs another agent took over`);
  // In team mode queued runs are the shared queue's: taken as slots free up (teamQueue.ts).
  const resumed = unsafeNoLock || team ? [] : await adoptQueuedRuns(store.runs, owner);
  await removeDeadAgents(store);
  return { resumed, failed };
}

/** Drops the heartbeats of agents on this machine whose process is gone, so the table does not grow with every restart. */
async function removeDeadAgents(store: Store): Promise<void> {
  const here = thisHost();
  for (const agent of await store.agents.list()) {
    if (agent.host === here && !isPidAlive(agent.pid)) await store.agents.remove(agent.id);
  }
}

/**
 * Workflow code runs in executor processes, never on this loop: one pool
 * for runs (a slot per concurrent run, plus one so loading a workflow never
 * waits behind code steps) and one for the editor features.
 */
function startExecutors(config: Config, log: AgentLogger, cleanups: Cleanups): { runCode: UserCode; editorCode: UserCode } {
  const settings = userCodeSettings();
  const executorLog = (message: string) => log("warn", message);
  const runCode = createUserCode({ settings, max: config.maxConcurrentRuns + 1, warm: 1, log: executorLog });
  const editorCode = createUserCode({ settings, max: 1, warm: 0, cacheDir: null, log: executorLog });
  cleanups.push(() => void runCode.executors.close());
  cleanups.push(() => void editorCode.executors.close());
  runCode.executors.warmUp();
  return { runCode, editorCode };
}

/** The pool that executes runs (at most `maxConcurrentRuns` at once) and the control that admits, queues and cancels them. */
function startRunPool(parts: {
  config: Config;
  store: Store;
  events: Events;
  owner: Owner;
  loader: WorkflowLoader;
  state: AgentState;
  now: () => number;
  leaseMs: number;
}): {
  pool: RunPool;
  runControl: RunControl;
} {
  const { config, store, events, owner, loader, state, now, leaseMs } = parts;
  const pool = new RunPool({
    limit: config.maxConcurrentRuns,
    // A run starts on the next turn of the event loop, not inside the
    // call that queued it: loading its workflow then never delays the
    // answer to the webhook or request that started it.
    execute: (runId, signal) =>
      new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        executeRun({ store: store.runs, events, runId, signal, owner, loader, now }),
      ),
    dropWaiting: (runId, reason) => {
      void store.runs.finishRun(runId, "cancelled", reason).then(
        (run) => run && events.emit("run:finished", run),
        (error: unknown) => events.emit("agent:log", { level: "error", message: `run ${runId}: could not record its cancellation: ${messageOf(error)}` }),
      );
    },
  });
  const runControl = new RunControl({
    store,
    events,
    pool,
    loader,
    owner,
    isStopping: () => state.stopping || state.storeError !== null,
    ...(store.team ? { ownerAlive: teamOwnerAlive(store, leaseMs) } : {}),
  });
  return { pool, runControl };
}

function agentServices(parts: {
  config: Config;
  events: Events;
  store: Store;
  triggerOps: TriggerOps;
  editorLoader: WorkflowLoader;
  runControl: RunControl;
  status: () => Promise<AgentStatus>;
  state: AgentState;
  now: () => number;
  recovered: RunSummary[];
}): AgentServices {
  const { config, events, store, triggerOps, editorLoader, runControl, status, state, now, recovered } = parts;
  return {
    config,
    events,
    store,
    triggerOps,
    editorLoader,
    recoveredRuns: recovered,
    startRun: (input) => runControl.startRun(input),
    startFile: (file, context) => runControl.startFile(file, context),
    fireTrigger: (name, context) => runControl.fireTrigger(name, context),
    replayRun: (id, body) => runControl.replayRun(id, body),
    backfill: (params) =>
      backfill(
        {
          store,
          now,
          owner: runControl.owner,
          checkWorkflow: (file) => runControl.checkLoads(file),
          submit: (run, serialKey) => runControl.submit(run, serialKey),
        },
        params,
      ),
    cancelRun: (id) => runControl.cancelRun(id),
    waitForRun: (id, signal) => runControl.waitForRun(id, signal),
    cronPreview: (expression, timezone, count = 5) => cronPreview(expression, timezone ?? defaultTimezone(), count, now()),
    status,
    setHttp: (http) => {
      state.http = { ...http };
      announceStatus(events, status);
    },
    get stopping() {
      return state.stopping;
    },
    get storeError() {
      return state.storeError;
    },
  };
}

/**
 * Resolves with what happened once the store file is deleted, replaced or
 * moved (storeWatch.ts); from then on the agent accepts no work.
 */
function failWhenStoreVanishes(
  parts: { config: Config; state: AgentState; events: Events; log: AgentLogger; status: () => Promise<AgentStatus> },
  cleanups: Cleanups,
): Promise<string> {
  const { config, state, events, log, status } = parts;
  return new Promise<string>((reportFailure) => {
    cleanups.push(
      watchStore(config, (reason) => {
        state.storeError = reason;
        log("error", `${reason}: the agent accepts no more work and exits; restart it once the store is back`);
        announceStatus(events, status);
        reportFailure(reason);
      }),
    );
  });
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
