// One executor process as its parent sees it: spawn it in a process group of
// its own with a memory cap, hand it one task at a time, and explain in a
// sentence why it ended when it ends on its own (process.exit, out of
// memory, a crash). Killing it kills its whole group, so whatever a code
// step started goes with it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { EXIT_MARKER, type Where, type AgentMessage, type CodeResult, type EvaluateResult, type ExecutorMessage } from "./messages";

export interface ExecutorSpec {
  /** V8 heap limit of each executor, in MiB. */
  memoryMb: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

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

type TaskMessage = Exclude<AgentMessage, { type: "abort" }>;
/** A task as the caller gives it: the id is this process's to assign. */
export type TaskRequest = TaskMessage extends infer T ? (T extends unknown ? Omit<T, "id"> : never) : never;
type Pending = {
  id: number;
  resolve: (result: EvaluateResult | CodeResult) => void;
  reject: (error: ExecutorGone) => void;
  onLog?: (stream: "stdout" | "stderr", text: string) => void;
};

const STDERR_TAIL_CHARS = 4000;
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

const PRLIMIT = ["/usr/bin/prlimit", "/bin/prlimit"].find((file) => process.platform === "linux" && existsSync(file));

export class ExecutorProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Resolves once the process has exited and its output is read; never rejects. */
  readonly closed: Promise<string>;
  /** Hashes of the bundles this executor has been sent. */
  readonly bundles = new Set<string>();
  /** Set when workflow code left it in a state not worth reusing. */
  tainted: string | undefined;
  private pending: Pending | undefined;
  private stderrTail = "";
  private killedOnPurpose = false;
  private exitReason: string | undefined;
  private exitWhere: Where | undefined;

  constructor(private readonly spec: ExecutorSpec) {
    const node = [process.execPath, `--max-old-space-size=${spec.memoryMb}`, executorEntry()];
    // Beyond the heap: array buffers and native memory. RLIMIT_DATA makes a
    // 2 GB Buffer.alloc fail with a RangeError in the workflow's code instead
    // of growing the machine's memory.
    const argv = PRLIMIT ? [PRLIMIT, `--data=${(spec.memoryMb + 512) * 1024 * 1024}`, "--", ...node] : node;
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    this.child.stdout!.setEncoding("utf8");
    this.child.stderr!.setEncoding("utf8");
    this.child.stdout!.on("data", (text: string) => this.output("stdout", text));
    this.child.stderr!.on("data", (text: string) => this.output("stderr", text));
    this.ready = new Promise((resolve, reject) => {
      this.child.once("message", () => resolve());
      this.child.once("error", (error) => reject(new ExecutorGone(`could not start an executor process: ${error.message}`, false)));
      this.child.once("exit", () => reject(new ExecutorGone(`the executor process ended while starting: ${this.describeEnd()}`, false)));
    });
    this.ready.catch(() => undefined);
    this.child.on("message", (message: ExecutorMessage) => this.receive(message));
    this.closed = new Promise((resolve) => {
      this.child.once("close", () => {
        this.exitReason = this.describeEnd();
        const pending = this.pending;
        this.pending = undefined;
        pending?.reject(new ExecutorGone(this.exitReason, this.killedOnPurpose, this.exitWhere));
        resolve(this.exitReason);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Running and not being killed: fit to take a task. */
  get alive(): boolean {
    return !this.killedOnPurpose && this.exitReason === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends one task; resolves with its result, rejects with ExecutorGone if the process ends first. */
  run(message: TaskRequest, onLog?: Pending["onLog"]): { id: number; result: Promise<EvaluateResult | CodeResult> } {
    if (this.pending) throw new Error("executor is busy");
    const id = nextTaskId++;
    const result = new Promise<EvaluateResult | CodeResult>((resolve, reject) => {
      if (!this.alive) return reject(new ExecutorGone(this.exitReason ?? "the executor process has ended", this.killedOnPurpose));
      this.pending = { id, resolve, reject, ...(onLog ? { onLog } : {}) };
      this.child.send({ ...message, id } as AgentMessage);
    });
    return { id, result };
  }

  abort(id: number, reason: string): void {
    if (this.pending?.id === id && this.child.connected) this.child.send({ type: "abort", id, reason } satisfies AgentMessage);
  }

  /** Ends the executor and everything it started (its process group). */
  kill(): void {
    this.killedOnPurpose = true;
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }

  private receive(message: ExecutorMessage): void {
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
    }
  }

  /** Output that bypassed console (a child process of a code step): the current task's log. */
  private output(stream: "stdout" | "stderr", text: string): void {
    if (stream === "stderr") this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    const visible = stream === "stderr" ? stripExitMarker(text) : text;
    if (visible) this.pending?.onLog?.(stream, visible);
  }

  /** One sentence on why the process ended. */
  private describeEnd(): string {
    if (this.killedOnPurpose) return "the executor process was stopped";
    const marker = this.stderrTail.lastIndexOf(EXIT_MARKER);
    if (marker >= 0) {
      const line = this.stderrTail.slice(marker + EXIT_MARKER.length).split("\n")[0]!;
      try {
        const { code, where } = JSON.parse(line) as { code: number | string; where?: Where };
        this.exitWhere = where;
        return `the workflow code called process.exit(${code})${where ? ` at ${where.file}:${where.line}:${where.column}` : ""}`;
      } catch {
        // A torn line: fall through to the exit status.
      }
    }
    if (/heap out of memory|Allocation failed/.test(this.stderrTail)) {
      return `the workflow code ran out of memory (each executor's heap is capped at ${this.spec.memoryMb} MiB; raise CLOCKWORK_EXECUTOR_MEMORY_MB if it really needs more)`;
    }
    const { exitCode, signalCode } = this.child;
    const tail = lastLine(this.stderrTail);
    const how = signalCode ? `was killed by ${signalCode}` : `exited with code ${exitCode}`;
    return `the executor process running the workflow code ${how}${tail ? `: ${tail}` : ""}`;
  }
}

function stripExitMarker(text: string): string {
  const at = text.indexOf(EXIT_MARKER);
  if (at < 0) return text;
  const end = text.indexOf("\n", at);
  return text.slice(0, at) + (end < 0 ? "" : text.slice(end + 1));
}

function lastLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? "").slice(0, 300);
}
