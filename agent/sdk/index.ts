// The authoring SDK: what a workflow file gets from `import … from "clockwork"`.
//
// The constructors only build plain, inspectable objects; validation happens
// in the loader (agent/workflow/validate.ts) so that a broken file yields one
// clear error listing what is wrong instead of a throw at import time.
// This file must stay self-contained (no imports): the loader hands it to
// workflow files at run time and the type declarations published for
// editors are generated from it.

/** A duration in milliseconds, or a string such as "500ms", "30s", "5m", "1h". */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h"}`;

export interface RetryOptions {
  /** Total attempts including the first one (1 = no retry). */
  attempts: number;
  /** Wait before the second attempt; doubles for each further attempt. Default 1000. */
  backoffMs?: number;
}

export interface CommonStepOptions {
  /** Per-attempt time limit. Defaults: shell 60s, http 30s, llm 120s, code 60s, mcp 60s. */
  timeout?: Duration;
  retries?: RetryOptions;
}

export interface ShellOptions extends CommonStepOptions {
  /** Working directory; relative paths are resolved against the workflow file's folder. */
  cwd?: string;
  /** Extra environment variables (values may contain placeholders). */
  env?: Record<string, string>;
  /**
   * The POSIX shell that runs a string command with `-c`, as an absolute path
   * (e.g. "/bin/bash"). Default: $CLOCKWORK_SHELL, else /bin/sh.
   */
  shell?: string;
}

export interface HttpOptions extends CommonStepOptions {
  url: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS";
  headers?: Record<string, string>;
  /** Request body; a non-string value is sent as JSON. */
  body?: string | Record<string, unknown> | unknown[];
  /** Accepted status codes; default any 2xx. */
  expectStatus?: number | number[];
}

export interface LlmOptions extends CommonStepOptions {
  prompt: string;
  system?: string;
  /** "openai" (any OpenAI-compatible chat completions server; the default) or "anthropic". */
  provider?: "openai" | "anthropic";
  /** Default http://127.0.0.1:11434/v1 (Ollama) for openai, https://api.anthropic.com/v1 for anthropic. */
  baseUrl?: string;
  model?: string;
  /** Name of the environment variable holding the API key. Never put a key in the file. */
  apiKeyEnv?: string;
  temperature?: number;
  maxTokens?: number;
}

/**
 * An MCP server started as a process that speaks MCP over its standard
 * input and output. It runs in its own process group, is started at most
 * once per run (the run's mcp steps share it) and is stopped when the run
 * ends.
 */
export interface McpStdioServer {
  /** The program, found on PATH, e.g. "npx". */
  command: string;
  args?: string[];
  /**
   * Variables for the server, besides a few it inherits (HOME, PATH, USER,
   * LANG, TMPDIR…). "${env:NAME}" inside a value is the agent's variable
   * NAME, so secrets stay out of the file.
   */
  env?: Record<string, string>;
  /** Working directory; relative paths start at the workflow file's folder (the default). */
  cwd?: string;
}

/** An MCP server reached over Streamable HTTP. */
export interface McpHttpServer {
  /** The endpoint, e.g. "http://127.0.0.1:3001/mcp". */
  url: string;
  /** Sent with every request; "${env:NAME}" inside a value is the agent's variable NAME. */
  headers?: Record<string, string>;
}

export interface McpOptions extends CommonStepOptions {
  /** The name of a server in $CLOCKWORK_HOME/mcp.json, or the server itself. */
  server: string | McpStdioServer | McpHttpServer;
  /** The tool to call. */
  tool: string;
  /**
   * The tool's arguments, as JSON. Placeholders inside string values are
   * filled in; a string that is exactly one {trigger.body…} placeholder
   * takes that field's JSON value (a number stays a number).
   */
  arguments?: Record<string, unknown>;
}

export type TriggerEvent = "manual" | "cron" | "webhook" | "file" | "api" | "run";

/** The finished run a run trigger reacted to (`ctx.trigger.run`). */
export interface TriggeringRun {
  id: string;
  workflow: string;
  status: "success" | "failed" | "cancelled" | "skipped";
  /** Why it failed, was cancelled or skipped; null after a success. */
  error: string | null;
  /** What started that run: manual, cron, webhook, file, api or run. */
  triggerKind: TriggerEvent;
  /** How many run triggers led to this run: 1 when the run above was not started by one. */
  depth: number;
}

export interface TriggerInfo {
  event: TriggerEvent;
  /** Parsed JSON body (webhook, api, --body), or the raw text when it is not JSON. */
  body?: unknown;
  /** Allow-listed request headers, lower-case names. */
  headers?: Record<string, string>;
  /** The file of a file-triggered run. */
  path?: string;
  /** For file triggers: created, modified or deleted. */
  fileEvent?: "created" | "modified" | "deleted";
  /** Name of the registered trigger that started the run. */
  name?: string;
  /** For run triggers: the finished run that started this one. */
  run?: TriggeringRun;
}

export interface RunInfo {
  id: string;
  workflow: string;
  /** ISO 8601 instant a cron run was due. */
  scheduledFor?: string;
}

export interface CodeContext {
  /** Outputs of the steps that already ran in this run. */
  steps: Readonly<Record<string, string>>;
  /** The output of a step in the last successful run of this workflow, or undefined. */
  previous: (step: string) => string | undefined;
  trigger: TriggerInfo;
  run: RunInfo;
  /** Aborted on timeout or cancel; pass it to fetch and child processes. */
  signal: AbortSignal;
  /** Writes a line to the run log. */
  log: (...args: unknown[]) => void;
}

export type CodeFunction = (ctx: CodeContext) => unknown | Promise<unknown>;

export interface ShellStep {
  kind: "shell";
  name: string;
  command: string | string[];
  options: ShellOptions;
}
export interface HttpStep {
  kind: "http";
  name: string;
  options: HttpOptions;
}
export interface LlmStep {
  kind: "llm";
  name: string;
  options: LlmOptions;
}
export interface CodeStep {
  kind: "code";
  name: string;
  fn: CodeFunction;
  options: CommonStepOptions;
}
export interface McpStep {
  kind: "mcp";
  name: string;
  options: McpOptions;
}
export type Step = ShellStep | HttpStep | LlmStep | CodeStep | McpStep;

export interface WorkflowDefinition {
  name: string;
  description?: string;
  steps: Step[];
}

export interface Workflow extends WorkflowDefinition {
  readonly __clockwork: "workflow";
}

export function defineWorkflow(definition: WorkflowDefinition): Workflow {
  return { ...definition, __clockwork: "workflow" };
}

/** Runs `command` with /bin/sh -c (or `options.shell`), or an argv array directly (no shell). Output: trimmed stdout. */
export function shell(name: string, command: string | string[], options: ShellOptions = {}): ShellStep {
  return { kind: "shell", name, command, options };
}

/** Makes an HTTP request. Output: the response body (capped). */
export function http(name: string, options: HttpOptions): HttpStep {
  return { kind: "http", name, options };
}

/** Asks a chat-completions model. Output: the reply text. */
export function llm(name: string, options: LlmOptions): LlmStep {
  return { kind: "llm", name, options };
}

/** Runs a TypeScript function. Output: its return value (strings as is, other values as JSON). */
export function code(name: string, fn: CodeFunction, options: CommonStepOptions = {}): CodeStep {
  return { kind: "code", name, fn, options };
}

/** Calls a tool on an MCP server. Output: the result's text, or its structuredContent as JSON. */
export function mcp(name: string, options: McpOptions): McpStep {
  return { kind: "mcp", name, options };
}
