// Runs one step of a run: every attempt with its own timeout, retries with
// exponential backoff, each attempt logged, the step's record written when
// it starts and when it ends.
import { setTimeout as sleep } from "node:timers/promises";
import { parseDuration } from "../core/duration";
import { terminalDuration } from "../core/durationText";
import { placeholderEnv } from "../core/placeholderEnv";
import { PlaceholderError, renderJson, renderJsonValues, renderTemplate, type RenderMode, type ResolveContext } from "../core/placeholders";
import type { Events } from "../events";
import type { StepRecord } from "../protocol";
import type { StepSpec } from "../executor/messages";
import type { ExecutorPool } from "../executor/pool";
import type { McpSessions } from "../steps/mcp/sessions";
import type { TriggerInfo } from "../sdk";
import { runStepAttempt, STEP_KINDS } from "../steps/stepKinds";
import { StepFailure, type StepContext } from "../steps/types";
import type { Clock, RunRepository } from "../store";
import type { LoadedWorkflow } from "../workflow/load";
import type { LogRecorder } from "./logRecorder";
import { processIdentity } from "./processGroups";

export const DEFAULT_BACKOFF_MS = 1000;

export interface RunStepArgs {
  store: RunRepository;
  events: Events;
  log: LogRecorder;
  runId: string;
  workflow: LoadedWorkflow;
  index: number;
  resolve: ResolveContext;
  trigger: TriggerInfo;
  env: NodeJS.ProcessEnv;
  /** The run's signal: aborting it cancels the step. */
  signal: AbortSignal;
  /** Where code steps run. */
  executors: ExecutorPool;
  /** The run's MCP sessions. */
  mcp: McpSessions;
  now: Clock;
}

/** Wait before attempt `attempt` (2, 3, …): backoff, doubled for each attempt after the second. */
export function backoffBefore(attempt: number, backoffMs: number = DEFAULT_BACKOFF_MS): number {
  return attempt < 2 ? 0 : backoffMs * 2 ** (attempt - 2);
}

export async function runStep(args: RunStepArgs): Promise<StepRecord> {
  const { store, events, log, runId, workflow, index, signal } = args;
  const step: StepSpec = workflow.steps[index]!;
  const record: StepRecord = {
    index,
    name: step.name,
    kind: step.kind,
    status: "running",
    output: null,
    error: null,
    exitCode: null,
    attempts: 1,
    startedAt: new Date(args.now()).toISOString(),
    finishedAt: null,
  };
  const save = async () => {
    // Output first, so whoever follows the run sees it before the status change.
    await log.flush();
    await store.recordStep(runId, record);
    events.emit("run:step", { runId, step: { ...record } });
  };
  await save();

  const timeoutMs = step.options.timeout === undefined ? STEP_KINDS[step.kind].defaultTimeoutMs : parseDuration(step.options.timeout);
  const attempts = step.options.retries?.attempts ?? 1;
  const backoffMs = step.options.retries?.backoffMs ?? DEFAULT_BACKOFF_MS;

  for (let attempt = 1; ; attempt++) {
    record.attempts = attempt;
    if (attempt > 1) {
      record.error = null;
      record.exitCode = null;
      await save();
      log.write(index, "info", `attempt ${attempt} of ${attempts}\n`);
    }
    const result = await runAttempt(args, step, timeoutMs);
    if (result.ok) {
      record.status = "success";
      record.output = result.output;
      record.exitCode = result.exitCode ?? null;
      break;
    }
    record.error = result.error;
    record.exitCode = result.exitCode ?? null;
    if (result.cancelled) {
      record.status = "cancelled";
      break;
    }
    if (attempt >= attempts || !result.retryable) {
      record.status = "failed";
      break;
    }
    const wait = backoffBefore(attempt + 1, backoffMs);
    log.write(index, "info", `attempt ${attempt} of ${attempts} failed: ${result.error}; retrying in ${terminalDuration(wait)}\n`);
    try {
      await sleep(wait, undefined, { signal });
    } catch {
      record.status = "cancelled";
      record.error = "cancelled";
      break;
    }
  }
  await log.endStep(index);
  record.finishedAt = new Date(args.now()).toISOString();
  await save();
  return record;
}

type AttemptResult =
  | { ok: true; output: string; exitCode?: number | null }
  | { ok: false; error: string; exitCode?: number | null; retryable: boolean; cancelled: boolean };

async function runAttempt(args: RunStepArgs, step: StepSpec, timeoutMs: number): Promise<AttemptResult> {
  const { signal: runSignal } = args;
  if (runSignal.aborted) return { ok: false, error: "cancelled", retryable: false, cancelled: true };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onCancel = () => controller.abort();
  runSignal.addEventListener("abort", onCancel, { once: true });

  const ctx = stepContext(args, controller.signal, timeoutMs);

  try {
    const outcome = await runStepAttempt(step, ctx);
    if (runSignal.aborted) return { ok: false, error: "cancelled", retryable: false, cancelled: true };
    return { ok: true, output: outcome.output, exitCode: outcome.exitCode };
  } catch (error) {
    const exitCode = error instanceof StepFailure ? error.options.exitCode : undefined;
    if (runSignal.aborted) return { ok: false, error: "cancelled", exitCode, retryable: false, cancelled: true };
    if (timedOut) {
      const message = `timed out after ${terminalDuration(timeoutMs)}${STEP_KINDS[step.kind].timeoutNote}`;
      return { ok: false, error: message, exitCode, retryable: true, cancelled: false };
    }
    if (error instanceof StepFailure) {
      return { ok: false, error: error.message, exitCode, retryable: error.retryable, cancelled: false };
    }
    return { ok: false, error: `internal error: ${(error as Error)?.message ?? String(error)}`, retryable: false, cancelled: false };
  } finally {
    clearTimeout(timer);
    runSignal.removeEventListener("abort", onCancel);
  }
}

/** What one attempt's step implementation gets: rendering, logs, the code context and process tracking. */
function stepContext(args: RunStepArgs, signal: AbortSignal, timeoutMs: number): StepContext {
  const { log, index, resolve } = args;
  const render = (template: string, mode: RenderMode = "text") => {
    try {
      return renderTemplate(template, resolve, mode);
    } catch (error) {
      throw asFailure(error);
    }
  };
  return {
    workflow: args.workflow,
    index,
    render,
    renderJson: (value) => {
      try {
        return renderJson(value, resolve);
      } catch (error) {
        throw asFailure(error);
      }
    },
    renderJsonValues: (value) => {
      try {
        return renderJsonValues(value, resolve);
      } catch (error) {
        throw asFailure(error);
      }
    },
    placeholderEnv: () => placeholderEnv(resolve),
    env: args.env,
    signal,
    timeoutMs,
    log: {
      stdout: (text) => log.write(index, "stdout", text),
      stderr: (text) => log.write(index, "stderr", text),
      info: (text) => log.write(index, "info", text.endsWith("\n") ? text : `${text}\n`),
    },
    codeContext: () => ({
      steps: { ...resolve.outputs },
      // The function may ask for any step's previous output, synchronously: send them all.
      previous: Object.fromEntries(resolve.steps.map((name) => [name, resolve.previous(name) ?? null])),
      trigger: args.trigger,
      run: {
        id: resolve.run.id,
        workflow: resolve.workflow,
        ...(resolve.run.scheduledFor ? { scheduledFor: resolve.run.scheduledFor } : {}),
      },
    }),
    executors: args.executors,
    mcp: args.mcp,
    processStarted: (pid, known) => {
      const identity = known ?? processIdentity(pid);
      if (identity === undefined) return;
      // Only recovery after a crash reads it; the step itself goes on whatever happens to the write.
      args.store.recordStepProcess(args.runId, index, pid, identity).catch(() => undefined);
    },
  };
}

/** Placeholder problems are the author's to fix: no retry can help. */
function asFailure(error: unknown): unknown {
  if (error instanceof PlaceholderError) return new StepFailure(error.message, { retryable: false });
  return error;
}
