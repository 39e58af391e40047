// What the agent and an executor process say to each other over the IPC
// channel. An executor runs one task at a time: evaluating a workflow
// bundle, or calling one code step's function. Everything here is plain
// JSON; a code step's function never leaves the executor.
import type { Step, TriggerInfo } from "../sdk";

/** A compiled workflow, named by the hash of its code; `code` and `map` are sent only to an executor that lacks it. */
export interface BundleRef {
  file: string;
  hash: string;
  code?: string;
  map?: string;
}

/** A step as the agent holds it: a step's function (a code step's) stays in the executors. */
export type StepSpec = { [K in Step["kind"]]: Omit<Extract<Step, { kind: K }>, "fn"> }[Step["kind"]];

/** What a code step's function receives, minus the signal and logger that the executor adds. */
export interface CodeTaskContext {
  steps: Record<string, string>;
  /** Every step name's output in the last successful run (null when there is none). */
  previous: Record<string, string | null>;
  trigger: TriggerInfo;
  run: { id: string; workflow: string; scheduledFor?: string };
}

export type AgentMessage =
  | { type: "evaluate"; id: number; bundle: BundleRef }
  | { type: "code"; id: number; bundle: BundleRef; index: number; name: string; context: CodeTaskContext }
  | { type: "abort"; id: number; reason: string };

/** A position in the workflow's own source (bundle positions mapped back). */
export interface Where {
  file: string;
  line: number;
  column: number;
}

export type EvaluateResult =
  /** What the file exports, as plain data with functions marked (workflow/exportsCopy.ts), for the agent to validate. */
  | { ok: true; exports: { default?: unknown } }
  | { ok: false; error: string; where?: Where };

export type CodeResult = { ok: true; output: string } | { ok: false; error: string; retryable: boolean };

export type ExecutorMessage =
  | { type: "ready" }
  | { type: "log"; id: number; stream: "stdout" | "stderr"; text: string }
  | { type: "result"; id: number; result: EvaluateResult | CodeResult }
  /**
   * Workflow code failed outside of any task's own flow (an uncaught
   * exception from a timer, an unhandled rejection): the current task, if
   * any, has already been failed with it; this executor should not be reused.
   */
  | { type: "tainted"; reason: string }
  /** An executor thread's workflow code called process.exit: the exit marker's line, posted just before. */
  | { type: "exiting"; line: string };

/** A line the executor writes synchronously to stderr before it exits on the workflow's request. */
export const EXIT_MARKER = "\u0000clockwork-exit ";
