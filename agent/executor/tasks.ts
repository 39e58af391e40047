// The executor's work, whatever it runs in: evaluating compiled workflow
// bundles and calling code steps' functions, one task at a time, for the
// agent (or a `clockwork run`) that started it. child.ts connects this to
// its parent: over the IPC channel of an executor process, or the message
// port of an executor thread. See ARCHITECTURE.md.
import { format } from "node:util";
import { capText } from "../core/outputCap";
import type { CodeFunction } from "../sdk";
import { BundleMap, evaluateBundle } from "../workflow/evaluate";
import { copyForValidation } from "../workflow/exportsCopy";
import type { AgentMessage, BundleRef, CodeResult, EvaluateResult, ExecutorMessage, Where } from "./messages";

/** How the executor talks to its parent. */
export interface Channel {
  send(message: ExecutorMessage): void;
  onMessage(handler: (message: AgentMessage) => void): void;
}

interface Evaluated {
  exports: unknown;
  map: BundleMap;
}

interface Task {
  id: number;
  controller: AbortController;
  map?: BundleMap;
  settled: boolean;
}

/** Bundles this executor has been sent, by hash; evaluated modules beside them. */
const bundles = new Map<string, { file: string; code: string; map: string }>();
const modules = new Map<string, Evaluated>();
const MODULES_MAX = 64;
let current: Task | undefined;
let channel: Channel;
const send = (message: ExecutorMessage) => channel.send(message);

/** Starts serving tasks on `to`: output capture and crash handlers first, then "ready". */
export function startTaskHost(to: Channel): void {
  channel = to;
  captureOutput("stdout");
  captureOutput("stderr");
  process.on("uncaughtException", (error) => strayFailure("an uncaught exception", error));
  process.on("unhandledRejection", (reason) => strayFailure("an unhandled promise rejection", reason));
  channel.onMessage((message) => void handle(message));
  send({ type: "ready" });
}

/** Where in the workflow's source the current task is now (for process.exit). */
export function whereNow(): Where | undefined {
  return current?.map?.locate(new Error("here"));
}


async function handle(message: AgentMessage): Promise<void> {
  if (message.type === "abort") {
    if (current?.id === message.id) current.controller.abort(message.reason);
    return;
  }
  if (current) {
    // The agent sends one task at a time; a second one is its bug, answered rather than mixed in.
    send({ type: "result", id: message.id, result: { ok: false, error: "the executor is busy", retryable: true } });
    return;
  }
  const task: Task = { id: message.id, controller: new AbortController(), settled: false };
  current = task;
  const restore = snapshotProcessState();
  let result: EvaluateResult | CodeResult;
  try {
    result = message.type === "evaluate" ? evaluate(message.bundle, task) : await runCode(message, task);
  } finally {
    restore();
    current = undefined;
  }
  finish(task, result);
}

function finish(task: Task, result: EvaluateResult | CodeResult): void {
  if (task.settled) return;
  task.settled = true;
  send({ type: "result", id: task.id, result });
}

// ---- evaluating a bundle

/** The module of a bundle, evaluated now unless it already was (and `fresh` is not asked for). */
function moduleFor(ref: BundleRef, task: Task, fresh = false): Evaluated {
  const known = fresh ? undefined : modules.get(ref.hash);
  if (known) {
    task.map = known.map;
    return known;
  }
  if (ref.code !== undefined && ref.map !== undefined) bundles.set(ref.hash, { file: ref.file, code: ref.code, map: ref.map });
  const bundle = bundles.get(ref.hash);
  if (!bundle) throw new Error(`the executor was not sent bundle ${ref.hash}`);
  const map = new BundleMap(bundle.file, bundle.map);
  task.map = map;
  const exports = evaluateBundle(bundle.file, bundle.code);
  const evaluated = { exports, map };
  modules.delete(ref.hash);
  modules.set(ref.hash, evaluated);
  if (modules.size > MODULES_MAX) {
    const oldest = modules.keys().next().value!;
    modules.delete(oldest);
    bundles.delete(oldest);
  }
  return evaluated;
}

/** Runs the file's top-level code and sends back what it exports, as data; the agent validates it. */
function evaluate(ref: BundleRef, task: Task): EvaluateResult {
  let evaluated: Evaluated;
  try {
    // The agent asks for an evaluation when it wants the file loaded anew (a
    // run after an edit, the editor's text): run its top-level code again.
    evaluated = moduleFor(ref, task, true);
  } catch (error) {
    const where = task.map?.locate(error);
    return { ok: false, error: `loading the file threw ${describe(error)}`, ...(where ? { where } : {}) };
  }
  try {
    return { ok: true, exports: copyForValidation(evaluated.exports) };
  } catch (error) {
    return { ok: false, error: `the file's default export cannot be read: ${describe(error)}` };
  }
}

function rawSteps(exports: unknown): unknown[] {
  const value = (exports as { default?: { steps?: unknown } } | null)?.default;
  const steps = value && typeof value === "object" ? value.steps : undefined;
  return Array.isArray(steps) ? steps : [];
}

// ---- running a code step

async function runCode(message: Extract<AgentMessage, { type: "code" }>, task: Task): Promise<CodeResult> {
  let fn: CodeFunction;
  try {
    const step = rawSteps(moduleFor(message.bundle, task).exports)[message.index] as { kind?: string; name?: string; fn?: unknown };
    if (step?.kind !== "code" || step.name !== message.name || typeof step.fn !== "function") {
      return { ok: false, error: `step ${message.index + 1} of the file is no longer code step "${message.name}"`, retryable: false };
    }
    fn = step.fn as CodeFunction;
  } catch (error) {
    return { ok: false, error: `loading the file threw ${describe(error)}`, retryable: false };
  }
  const { context } = message;
  const log = (...args: unknown[]) => send({ type: "log", id: task.id, stream: "stdout", text: `${format(...args)}\n` });
  let value: unknown;
  try {
    value = await fn({
      steps: Object.freeze({ ...context.steps }),
      previous: (name: string) => context.previous[name] ?? undefined,
      trigger: context.trigger,
      run: context.run,
      signal: task.controller.signal,
      log,
    });
  } catch (error) {
    return { ok: false, error: threw(error, task), retryable: true };
  }
  return outputOf(value);
}

function outputOf(value: unknown): CodeResult {
  if (typeof value === "string") return { ok: true, output: capText(value) };
  if (value === undefined || value === null) return { ok: true, output: "" };
  try {
    const json = JSON.stringify(value);
    if (json === undefined) throw new Error(`a ${typeof value}`);
    return { ok: true, output: capText(json) };
  } catch (error) {
    return {
      ok: false,
      error: `the function returned a value JSON cannot hold (${(error as Error).message}); return a string or plain data`,
      retryable: false,
    };
  }
}

/** "the function threw X (at file:line:col)", after writing the source-mapped stack to the step's stderr. */
function threw(error: unknown, task: Task): string {
  const map = task.map;
  if (error instanceof Error && error.stack) {
    const stack = map ? map.rewriteStack(error.stack) : error.stack;
    send({ type: "log", id: task.id, stream: "stderr", text: `${ownFrames(stack)}\n` });
  }
  const where = map?.locate(error);
  return `the function threw ${describe(error)}${where ? ` (at ${where.file}:${where.line}:${where.column})` : ""}`;
}

/** The stack without the executor's own frames and Node's internals, which say nothing about the workflow. */
function ownFrames(stack: string): string {
  return stack
    .split("\n")
    .filter((line) => !(/^\s+at /.test(line) && (line.includes(__filename) || /\(node:|at node:/.test(line))))
    .join("\n");
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return format(error);
}

// ---- containing what workflow code does to the process

/**
 * Workflow code that throws from a timer or leaves a rejected promise: the
 * task it belongs to (the current one, if any) fails with it, and the agent
 * retires this executor afterwards, since whatever state it left is suspect.
 */
function strayFailure(what: string, error: unknown): void {
  const task = current;
  const reason = `${what} in the workflow code: ${describe(error)}`;
  // Tainted first: by the time the agent has the task's result, it knows not to reuse this executor.
  send({ type: "tainted", reason });
  if (task) {
    const where = task.map?.locate(error);
    finish(task, { ok: false, error: `${reason}${where ? ` (at ${where.file}:${where.line}:${where.column})` : ""}`, retryable: true });
  }
}

/** console.log and process.stdout.write inside a task go to that task's step log, in order with its result. */
function captureOutput(stream: "stdout" | "stderr"): void {
  const target = process[stream];
  const original = target.write.bind(target) as (...args: unknown[]) => boolean;
  target.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const done = typeof encoding === "function" ? encoding : callback;
    if (!current) return original(chunk, encoding, callback);
    const text =
      typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
    send({ type: "log", id: current.id, stream, text });
    if (typeof done === "function") process.nextTick(done as () => void);
    return true;
  }) as typeof target.write;
}

const SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2"];

/**
 * What a task may change about the process and the next task must not
 * inherit: the working directory, the environment and signal handlers.
 */
function snapshotProcessState(): () => void {
  const cwd = process.cwd();
  const env = { ...process.env };
  const handlers = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  return () => {
    try {
      if (process.cwd() !== cwd) process.chdir(cwd);
    } catch {
      // The folder is gone; the next task starts wherever this one left off.
    }
    for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
    Object.assign(process.env, env);
    for (const [signal, before] of handlers) {
      for (const listener of process.listeners(signal)) if (!before.includes(listener)) process.removeListener(signal, listener);
    }
  };
}
