// code steps: an async function from the workflow file, run in this
// process. It gets the run's context, an AbortSignal and a logger; its
// return value (a string, or anything JSON can hold) is the output.
import { format } from "node:util";
import { capText } from "../core/outputCap";
import type { CodeStep } from "../sdk";
import { abortPromise, StepFailure, type StepContext, type StepOutcome } from "./types";

export async function runCode(step: CodeStep, ctx: StepContext): Promise<StepOutcome> {
  const log = (...args: unknown[]) => ctx.log.stdout(`${format(...args)}\n`);
  let value: unknown;
  try {
    // A function that ignores its signal cannot be stopped, but the run does
    // not wait for it: on timeout or cancel the step ends at once.
    value = await Promise.race([
      Promise.resolve().then(() => step.fn({ ...ctx.codeContext(), signal: ctx.signal, log })),
      abortPromise(ctx.signal),
    ]);
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    const map = ctx.workflow.sourceMap;
    if (error instanceof Error && error.stack) ctx.log.stderr(`${map ? map.rewriteStack(error.stack) : error.stack}\n`);
    const where = map?.locate(error);
    throw new StepFailure(`the function threw ${describe(error)}${where ? ` (at ${where.file}:${where.line}:${where.column})` : ""}`);
  }
  return { output: capText(outputText(value)) };
}

function outputText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  try {
    const json = JSON.stringify(value);
    if (json === undefined) throw new Error(`a ${typeof value}`);
    return json;
  } catch (error) {
    throw new StepFailure(`the function returned a value JSON cannot hold (${(error as Error).message}); return a string or plain data`, {
      retryable: false,
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return format(error);
}
