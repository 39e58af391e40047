// One entry point for every step kind.
import type { StepSpec } from "../executor/messages";
import type { Step } from "../sdk";
import { runCode } from "./code";
import { runHttp } from "./http";
import { runLlm } from "./llm";
import { runShell } from "./shell";
import type { StepContext, StepOutcome } from "./types";

/** Per-attempt time limits when a step sets none, in milliseconds. */
export const DEFAULT_TIMEOUTS: Record<Step["kind"], number> = {
  shell: 60_000,
  http: 30_000,
  llm: 120_000,
  code: 60_000,
};

export function runStepAttempt(step: StepSpec, ctx: StepContext): Promise<StepOutcome> {
  switch (step.kind) {
    case "shell":
      return runShell(step, ctx);
    case "http":
      return runHttp(step, ctx);
    case "llm":
      return runLlm(step, ctx);
    case "code":
      return runCode(step, ctx);
  }
}
