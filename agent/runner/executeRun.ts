// Executes one run row from start to finish. Whoever starts a run (the CLI,
// the scheduler, a webhook) first inserts its row; this takes it from there:
// load the workflow, run the steps in order, record every step and every
// line of output as it happens, announce it all as run:* events, and finish
// the row exactly once.
import { messageOf } from "../errors";
import { Events } from "../events";
import { FINISHED_STATUSES, type RunRecord, type RunSummary, type StepRecord } from "../protocol";
import type { ResolveContext } from "../core/placeholders";
import type { StepSpec } from "../executor/messages";
import type { TriggerInfo } from "../sdk";
import type { Clock, FinishStatus, Owner, RunRepository } from "../store";
import { McpSessions } from "../steps/mcp/sessions";
import { WorkflowLoadError, type LoadedWorkflow, type WorkflowLoader } from "../workflow/load";
import { LogRecorder } from "./logRecorder";
import { processIdentity } from "./processGroups";
import { runStep } from "./runStep";

export interface ExecuteOptions {
  store: RunRepository;
  events?: Events;
  runId: string;
  /** Aborting it cancels the run: running processes are killed, the run is recorded "cancelled". */
  signal: AbortSignal;
  /** The environment steps run in; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Recorded as the run's owner, so that a run whose process died can be told apart. */
  owner: Owner;
  /** The clock the run's times come from; default Date.now. */
  now?: Clock;
  /** Loads the run's workflow (in an executor) and runs its code steps. */
  loader: WorkflowLoader;
  /** The workflow, when the caller has just loaded it; otherwise it is loaded from the run's file. */
  workflow?: LoadedWorkflow;
}

/**
 * Executes an existing run row (status queued or running) and resolves
 * with its final summary. Never throws: a workflow that fails to load, or a
 * crash, becomes a failed run with a message naming file:line:column; a
 * run id that does not exist resolves to a failed summary saying so.
 */
export async function executeRun(opts: ExecuteOptions): Promise<RunSummary> {
  const { store, runId, signal } = opts;
  const events = opts.events ?? new Events();
  let existing: RunSummary | undefined;
  try {
    existing = await store.getSummary(runId);
  } catch (error) {
    return unrecorded(runId, `the run store could not be read: ${messageOf(error)}`, events);
  }
  if (!existing) return unrecorded(runId, `no run with id ${runId}`, events);
  if (FINISHED_STATUSES.includes(existing.status)) return existing;
  const row = existing;

  const log = new LogRecorder(store, events, runId, opts.now);
  const mcp = runMcpSessions(store, runId, events);
  const finish = async (status: FinishStatus, error: string | null): Promise<RunSummary> => {
    // The run's MCP servers end with it, before it is recorded as finished.
    await mcp.closeAll();
    await log.close();
    let summary: RunSummary | undefined;
    try {
      summary = await store.finishRun(runId, status, error);
      if (!summary) return (await store.getSummary(runId)) ?? row; // someone else finished it first
    } catch (storeError) {
      // The store refused the write (a full disk, a database out of reach).
      // The outcome is known, so it is written again until the store takes
      // it; until then the row reads running (and if this process ends
      // first, the next agent's recovery fails the run).
      events.emit("agent:log", {
        level: "error",
        message: `run ${runId}: could not record its end (${status}): ${messageOf(storeError)}; trying again until the store takes it`,
      });
      recordEndLater(store, events, runId, status, error);
      return { ...row, status, error, finishedAt: new Date((opts.now ?? Date.now)()).toISOString() };
    }
    events.emit("run:finished", summary);
    return summary;
  };

  try {
    try {
      events.emit("run:started", await store.markRunning(runId, opts.owner));
    } catch {
      await log.close();
      return (await store.getSummary(runId)) ?? row; // finished (cancelled) between the check and now
    }
    if (signal.aborted) return await finish("cancelled", cancelMessage(signal));

    let workflow = opts.workflow;
    if (!workflow) {
      try {
        // What the file's top-level code prints while it loads belongs to this run's log.
        workflow = await opts.loader.load(existing.workflowFile, {
          onLog: (stream, text) => log.write(null, stream, text),
        });
      } catch (error) {
        const message = error instanceof WorkflowLoadError ? error.message : `${existing.workflowFile}: ${messageOf(error)}`;
        log.write(null, "info", `${message}\n`);
        return await finish("failed", message);
      }
    }
    if (workflow.name !== existing.workflowName) {
      log.write(null, "info", `note: the file now names its workflow "${workflow.name}"; this run is recorded as "${existing.workflowName}"\n`);
    }
    const record = await store.getRun(runId);
    const result = await runSteps(opts, events, log, record, workflow, mcp);
    return await finish(result.status, result.error);
  } catch (error) {
    return await finish("failed", `internal error while running: ${messageOf(error)}`);
  }
}

const RECORD_RETRY_FIRST_MS = 500;
const RECORD_RETRY_MAX_MS = 15_000;

/**
 * Writes a run's end once the store takes it again, trying with a growing
 * pause; stops when the row is finished by anyone. The timers hold no
 * process open: an agent that stops meanwhile leaves the run to recovery.
 */
function recordEndLater(store: RunRepository, events: Events, runId: string, status: FinishStatus, error: string | null, pauseMs = RECORD_RETRY_FIRST_MS): void {
  setTimeout(async () => {
    try {
      const summary = await store.finishRun(runId, status, error);
      if (!summary) return; // finished meanwhile (recovery, a takeover)
      events.emit("agent:log", { level: "info", message: `run ${runId}: its end (${status}) is recorded now` });
      events.emit("run:finished", summary);
    } catch {
      recordEndLater(store, events, runId, status, error, Math.min(pauseMs * 2, RECORD_RETRY_MAX_MS));
    }
  }, pauseMs).unref();
}

async function runSteps(
  opts: ExecuteOptions,
  events: Events,
  log: LogRecorder,
  run: RunRecord,
  workflow: LoadedWorkflow,
  mcp: McpSessions,
): Promise<{ status: FinishStatus; error: string | null }> {
  const { store, signal } = opts;
  const outputs: Record<string, string> = {};
  // The last successful run's outputs, read once, so every step sees the same "previous run".
  const previousRun = await store.previousOutputs(run.workflowName);
  const previous = (step: string): string | undefined => previousRun?.outputs[step];
  const trigger: TriggerInfo = {
    event: run.triggerKind,
    ...(run.trigger.body !== undefined ? { body: run.trigger.body } : {}),
    ...(run.trigger.headers ? { headers: run.trigger.headers } : {}),
    ...(run.trigger.path !== undefined ? { path: run.trigger.path } : {}),
    ...(run.trigger.fileEvent !== undefined ? { fileEvent: run.trigger.fileEvent } : {}),
    ...(run.triggerName ? { name: run.triggerName } : {}),
    ...(run.trigger.run !== undefined ? { run: run.trigger.run } : {}),
  };
  const steps = workflow.steps.map((s) => s.name);

  let outcome: { status: FinishStatus; error: string | null } = { status: "success", error: null };
  for (let index = 0; index < workflow.steps.length; index++) {
    const step = workflow.steps[index]!;
    if (outcome.status !== "success" || signal.aborted) {
      if (outcome.status === "success") outcome = { status: "cancelled", error: cancelMessage(signal) };
      const skipped = skippedStep(index, step);
      await store.recordStep(run.id, skipped);
      events.emit("run:step", { runId: run.id, step: skipped });
      continue;
    }
    const resolve: ResolveContext = {
      workflow: run.workflowName,
      steps,
      current: index,
      outputs,
      previous,
      trigger: {
        event: run.triggerKind,
        ...(run.trigger.body !== undefined ? { body: run.trigger.body } : {}),
        headers: run.trigger.headers,
        path: run.trigger.path,
        fileEvent: run.trigger.fileEvent,
        name: run.triggerName,
        ...(run.trigger.run !== undefined ? { run: run.trigger.run } : {}),
      },
      run: { id: run.id, scheduledFor: run.scheduledFor },
    };
    const result = await runStep({
      store,
      events,
      log,
      runId: run.id,
      workflow,
      index,
      resolve,
      trigger,
      env: opts.env ?? process.env,
      signal,
      executors: opts.loader.executors,
      mcp,
      now: opts.now ?? Date.now,
    });
    if (result.status === "success") outputs[step.name] = result.output ?? "";
    else if (result.status === "cancelled") outcome = { status: "cancelled", error: cancelMessage(signal) };
    else outcome = { status: "failed", error: `step "${step.name}" failed: ${result.error}` };
  }
  return outcome;
}

/**
 * The run's MCP sessions, with each stdio server's process group recorded
 * for the run (not for the step that started it: later steps share it), so
 * that recovery after a crash ends it.
 */
function runMcpSessions(store: ExecuteOptions["store"], runId: string, events: Events): McpSessions {
  const failed = (error: unknown) => events.emit("agent:log", { level: "warn", message: `run ${runId}: could not record an MCP server's process: ${messageOf(error)}` });
  return new McpSessions({
    started: (pid) => {
      const identity = processIdentity(pid);
      if (identity !== undefined) store.recordRunProcess(runId, pid, identity).catch(failed);
    },
    ended: (pid) => void store.forgetRunProcess(runId, pid).catch(failed),
  });
}

/** The record of a step that never ran: an earlier one failed or the run was cancelled. */
function skippedStep(index: number, step: StepSpec): StepRecord {
  return {
    index,
    name: step.name,
    kind: step.kind,
    status: "skipped",
    output: null,
    error: null,
    exitCode: null,
    attempts: 0,
    startedAt: null,
    finishedAt: null,
  };
}

/** What a caller gets for a run that could not even be read: a failed summary, never a throw. */
function unrecorded(runId: string, error: string, events: Events): RunSummary {
  events.emit("agent:log", { level: "error", message: `run ${runId}: ${error}` });
  const now = new Date().toISOString();
  return {
    id: runId,
    workflowName: "",
    workflowFile: "",
    triggerKind: "manual",
    triggerName: null,
    status: "failed",
    scheduledFor: null,
    createdAt: now,
    startedAt: null,
    finishedAt: now,
    error,
    replayOf: null,
    backfill: false,
    missed: null,
  };
}

function cancelMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === "string" && reason) return `cancelled: ${reason}`;
  if (reason instanceof Error && reason.name !== "AbortError" && reason.message) return `cancelled: ${reason.message}`;
  return "cancelled";
}
