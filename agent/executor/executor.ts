// An executor as its parent sees it, whatever it runs in: one task at a
// time, its log lines relayed, and — when it ends without being asked to —
// one sentence on why (process.exit, out of memory, a crash). The process
// and thread variants (process.ts, thread.ts) only differ in how they start,
// talk and end.
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import type { AgentMessage, CodeResult, EvaluateResult, ExecutorMessage, Where } from "./messages";

/** Why a task did not get a result: the executor ended, was killed, or could not start. */
export class ExecutorGone extends Error {
  constructor(
    message: string,
    /** True when the parent ended it on purpose (timeout, cancel, shutdown). */
    readonly killed: boolean,
    /** Where the workflow's code asked to exit, when it did. */
    readonly where?: Where,
  ) {
    super(message);
    this.name = "ExecutorGone";
  }
}

export interface ExecutorSpec {
  /** V8 heap limit of each executor, in MiB. */
  memoryMb: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

type TaskMessage = Exclude<AgentMessage, { type: "abort" }>;
/** A task as the caller gives it: the id is the executor's to assign. */
export type TaskRequest = TaskMessage extends infer T ? (T extends unknown ? Omit<T, "id"> : never) : never;
export type TaskLog = (stream: "stdout" | "stderr", text: string) => void;

interface Pending {
  id: number;
  resolve: (result: EvaluateResult | CodeResult) => void;
  reject: (error: ExecutorGone) => void;
  onLog?: TaskLog;
}

let nextTaskId = 1;

/** The executor script: beside this bundle once built, or in dist/ when running from source. */
export function executorEntry(): string {
  const candidates = [join(__dirname, "executor.js")];
  // Running from the TypeScript sources (tests): the built script in dist/.
  if (basename(__dirname) === "executor") candidates.push(join(__dirname, "..", "..", "dist", "executor.js"));
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`the executor script is missing (looked for ${candidates.join(", ")}); build it with \`npm run build\``);
  return found;
}

export abstract class Executor {
  abstract readonly ready: Promise<void>;
  /** Resolves once the executor has ended (and its output is read) with why; never rejects. */
  abstract readonly closed: Promise<string>;
  /** The leader of the executor's process group, when it is a process. */
  abstract readonly pid: number | undefined;
  /** The process's identity (runner/processGroups.ts), read once: every code step it runs records it. */
  abstract readonly identity: string | undefined;
  /** Hashes of the bundles this executor has been sent. */
  readonly bundles = new Set<string>();
  /** Set when workflow code left it in a state not worth reusing. */
  tainted: string | undefined;
  protected killedOnPurpose = false;
  protected ended: string | undefined;
  /** The exit marker's line, when the workflow code called process.exit. */
  protected exitLine: string | undefined;
  private pending: Pending | undefined;

  constructor(protected readonly spec: ExecutorSpec) {}

  protected abstract post(message: AgentMessage): void;
  protected abstract get running(): boolean;
  /** Ends the executor (and, for a process, everything it started). */
  protected abstract end(): void;
  /** Why it ended, when neither a killing nor the workflow's process.exit explains it. */
  protected abstract describeOtherEnd(): string;

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Running and not being killed: fit to take a task. */
  get alive(): boolean {
    return !this.killedOnPurpose && this.ended === undefined && this.running;
  }

  /** Sends one task; resolves with its result, rejects with ExecutorGone if the executor ends first. */
  run(message: TaskRequest, onLog?: TaskLog): { id: number; result: Promise<EvaluateResult | CodeResult> } {
    if (this.pending) throw new Error("executor is busy");
    const id = nextTaskId++;
    const result = new Promise<EvaluateResult | CodeResult>((resolve, reject) => {
      if (!this.alive) return reject(new ExecutorGone(this.ended ?? "the executor has ended", this.killedOnPurpose));
      this.pending = { id, resolve, reject, ...(onLog ? { onLog } : {}) };
      this.post({ ...message, id } as AgentMessage);
    });
    return { id, result };
  }

  abort(id: number, reason: string): void {
    if (this.pending?.id === id && this.running) this.post({ type: "abort", id, reason });
  }

  kill(): void {
    this.killedOnPurpose = true;
    this.end();
  }

  protected receive(message: ExecutorMessage): void {
    switch (message.type) {
      case "ready":
        return;
      case "log":
        if (this.pending?.id === message.id) this.pending.onLog?.(message.stream, message.text);
        return;
      case "result": {
        const pending = this.pending;
        if (pending?.id !== message.id) return;
        this.pending = undefined;
        pending.resolve(message.result);
        return;
      }
      case "tainted":
        this.tainted = message.reason;
        return;
      case "exiting":
        this.exitLine = message.line;
        return;
    }
  }

  /** Output that bypassed the task's log (a child process of a code step): the current task's log. */
  protected output(stream: "stdout" | "stderr", text: string): void {
    if (text) this.pending?.onLog?.(stream, text);
  }

  /** Called once the executor has ended: fails the task in flight with the reason, and returns it. */
  protected settleEnd(): string {
    const where = this.exitLine ? exitOf(this.exitLine)?.where : undefined;
    this.ended = this.describeEnd();
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new ExecutorGone(this.ended, this.killedOnPurpose, where));
    return this.ended;
  }

  private describeEnd(): string {
    if (this.killedOnPurpose) return "the executor running the workflow code was stopped";
    const exit = this.exitLine ? exitOf(this.exitLine) : undefined;
    if (exit) {
      const { code, where } = exit;
      return `the workflow code called process.exit(${code})${where ? ` at ${where.file}:${where.line}:${where.column}` : ""}`;
    }
    return this.describeOtherEnd();
  }

  protected outOfMemory(): string {
    return `the workflow code ran out of memory (each executor's heap is capped at ${this.spec.memoryMb} MiB; raise CLOCKWORK_EXECUTOR_MEMORY_MB if it really needs more)`;
  }
}

function exitOf(line: string): { code: number | string; where?: Where } | undefined {
  try {
    return JSON.parse(line) as { code: number | string; where?: Where };
  } catch {
    return undefined; // a torn line: the exit status says the rest
  }
}
