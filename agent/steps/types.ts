// What a step implementation gets from the runner, and how it reports
// failure. Each attempt of a step gets a fresh context whose signal aborts
// on the step's timeout or when the run is cancelled.
import type { PlaceholderEnv } from "../core/placeholderEnv";
import type { RenderMode } from "../core/placeholders";
import type { CodeTaskContext } from "../executor/messages";
import type { ExecutorPool } from "../executor/pool";
import type { LoadedWorkflow } from "../workflow/load";
import type { McpSessions } from "./mcp/sessions";

export interface StepLog {
  stdout(text: string): void;
  stderr(text: string): void;
  /** A line from Clockwork itself (what was requested, which attempt). */
  info(text: string): void;
}

export interface StepContext {
  workflow: LoadedWorkflow;
  /** Index of the step in the workflow. */
  index: number;
  /** Resolves placeholders; throws PlaceholderError when one cannot be resolved. */
  render(template: string, mode?: RenderMode): string;
  /** Resolves placeholders in every string inside a JSON-like value. */
  renderJson(value: unknown): unknown;
  /** Like renderJson, but a string that is exactly one {trigger.body…} placeholder keeps that value's JSON type. */
  renderJsonValues(value: unknown): unknown;
  /** The CLOCKWORK_* variables for a shell step. */
  placeholderEnv(): PlaceholderEnv;
  /** The environment the run executes in (the CLI's or the agent's). */
  env: NodeJS.ProcessEnv;
  /** Aborted on timeout or cancel. */
  signal: AbortSignal;
  timeoutMs: number;
  log: StepLog;
  /** What a code step's function receives (without signal and log, which the executor adds). */
  codeContext(): CodeTaskContext;
  /** Where code steps run. */
  executors: ExecutorPool;
  /** The run's MCP sessions, shared by its mcp steps. */
  mcp: McpSessions;
  /**
   * Called with the leader of the process group the step's work runs in (a
   * shell command, a code step's executor), so that a crash of this process
   * does not leave it running unseen.
   */
  processStarted(pid: number, identity?: string): void;
}

export interface StepOutcome {
  output: string;
  exitCode?: number | null;
}

/** A failure with a message a user can act on; `retryable: false` skips the remaining attempts. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly options: { exitCode?: number | null; retryable?: boolean } = {},
  ) {
    super(message);
    this.name = "StepFailure";
  }

  get retryable(): boolean {
    return this.options.retryable ?? true;
  }
}
