// The executor process: the only place where a workflow's own code runs. It
// evaluates compiled workflow bundles and calls code steps' functions, one
// task at a time, for the agent (or a `clockwork run`) that started it.
// Whatever that code does — exit, throw from a timer, spin forever, fill the
// heap, change the working directory — happens to this process; the parent
// sees a message or an exit and carries on. See ARCHITECTURE.md.
import { writeSync } from "node:fs";
import { format } from "node:util";
import { Worker } from "node:worker_threads";
import { capText } from "../core/outputCap";
import type { CodeFunction } from "../sdk";
import { BundleMap, evaluateBundle } from "../workflow/evaluate";
import {
  EXIT_MARKER,
  type AgentMessage,
  type BundleRef,
  type CodeResult,
  type EvaluateResult,
  type ExecutorMessage,
  type StepSpec,
} from "./messages";

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

/**
 * Messages to the parent. Once the channel is gone the parent is too (or
 * has let this executor go), and an executor nobody listens to must not
 * linger: a failed send ends it, rather than raising an error that the
 * uncaught-exception handler would try to report over the same channel.
 */
function send(message: ExecutorMessage): void {
  if (!process.connected) return endSelf();
  process.send!(message, undefined, {}, (error) => {
    if (error) endSelf();
  });
}

/** Ends this executor and everything it started (its process group). */
function endSelf(): void {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.kill(process.pid, "SIGKILL");
  }
}

function main(): void {
  if (!process.send) {
    process.stderr.write("the executor is started by the Clockwork agent, not by hand\n");
    process.exit(2);
  }
  captureOutput("stdout");
  captureOutput("stderr");
  interceptExit();
  process.on("uncaughtException", (error) => strayFailure("an uncaught exception", error));
  process.on("unhandledRejection", (reason) => strayFailure("an unhandled promise rejection", reason));
  process.on("message", (message: AgentMessage) => void handle(message));
  send({ type: "ready" });
  // Ready first, then the rest: whoever started this executor (a `clockwork
  // run` still opening its store) goes on in parallel with these.
  setImmediate(() => {
    watchParent();
    void validation();
  });
}

/** The validator (and zod under it) loads once, after the executor said it is ready. */
let validator: Promise<typeof import("../workflow/validate")> | undefined;
const validation = () => (validator ??= import("../workflow/validate"));

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
    result = message.type === "evaluate" ? await evaluate(message.bundle, task) : await runCode(message, task);
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

async function evaluate(ref: BundleRef, task: Task): Promise<EvaluateResult> {
  const { validateWorkflow } = await validation();
  let evaluated: Evaluated;
  try {
    // The agent asks for an evaluation when it wants the file loaded anew (a
    // run after an edit, the editor's text): run its top-level code again.
    evaluated = moduleFor(ref, task, true);
  } catch (error) {
    const where = task.map?.locate(error);
    return { ok: false, error: `loading the file threw ${describe(error)}`, ...(where ? { where } : {}) };
  }
  const { workflow, problems } = validateWorkflow(evaluated.exports);
  const stepNames = rawSteps(evaluated.exports).map((s) =>
    s !== null && typeof s === "object" && typeof (s as { name?: unknown }).name === "string" ? (s as { name: string }).name : undefined,
  );
  if (!workflow) return { ok: true, problems, stepNames };
  const steps = workflow.steps.map((step): StepSpec => {
    if (step.kind !== "code") return step;
    const { fn: _fn, ...spec } = step;
    return spec;
  });
  const manifest = { name: workflow.name, ...(workflow.description !== undefined ? { description: workflow.description } : {}), steps };
  return { ok: true, manifest, problems, stepNames };
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

/**
 * process.exit from workflow code really ends this process (that is what it
 * asks for); a line on stderr, written synchronously first, tells the parent
 * who asked and where, so the run can say so.
 */
function interceptExit(): void {
  const realExit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const where = current?.map?.locate(new Error("process.exit"));
    const line = JSON.stringify({ code: code ?? process.exitCode ?? 0, ...(where ? { where } : {}) });
    try {
      writeSync(2, `${EXIT_MARKER}${line}\n`);
    } catch {
      // stderr closed: the parent still sees the exit code.
    }
    return realExit(code ?? undefined);
  }) as typeof process.exit;
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

/**
 * A thread of its own that ends this executor's whole process group when its
 * parent is gone (a `kill -9` of the agent). It must be a thread: workflow
 * code spinning on the main thread would never let a timer there run.
 */
function watchParent(): void {
  const parent = process.ppid;
  const source = `
    const { workerData } = require("node:worker_threads");
    setInterval(() => {
      if (process.ppid === workerData.parent) return;
      try { process.kill(-workerData.self, "SIGKILL"); } catch {}
      try { process.kill(workerData.self, "SIGKILL"); } catch {}
    }, 500);`;
  try {
    new Worker(source, { eval: true, workerData: { parent, self: process.pid } }).unref();
  } catch {
    // No thread to spare (a limit reached): the checks below still hold
    // whenever the main thread is free.
  }
  process.on("disconnect", endSelf);
  setInterval(() => {
    if (process.ppid !== parent) endSelf();
  }, 1000).unref();
}

main();
