// code steps: an async function from the workflow file. It runs in an
// executor process (agent/executor), never in this one: this side sends the
// run's context, relays the function's log lines, and turns how the
// executor answered — or how it ended — into the step's outcome.
import type { CodeStep } from "../sdk";
import { ExecutorGone } from "../executor/executor";
import { CODE_ABORT_GRACE_MS } from "../executor/pool";
import { StepFailure, type StepContext, type StepOutcome } from "./types";

export async function runCode(step: Omit<CodeStep, "fn">, ctx: StepContext): Promise<StepOutcome> {
  let result;
  try {
    result = await ctx.executors.runCode(ctx.workflow.bundle, { index: ctx.index, name: step.name }, ctx.codeContext(), {
      signal: ctx.signal,
      graceMs: CODE_ABORT_GRACE_MS,
      onStart: (pid, identity) => ctx.processStarted(pid, identity),
      onLog: (stream, text) => (stream === "stdout" ? ctx.log.stdout(text) : ctx.log.stderr(text)),
    });
  } catch (error) {
    if (error instanceof ExecutorGone) {
      // Killed on purpose: the runner reports the timeout or cancel itself.
      throw new StepFailure(error.message, { retryable: !error.killed });
    }
    throw error;
  }
  if (!result.ok) throw new StepFailure(result.error, { retryable: result.retryable });
  return { output: result.output };
}
