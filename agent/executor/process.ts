// An executor process: spawned in a process group of its own with a memory
// cap, so killing it ends whatever a code step started too, and nothing the
// workflow code does to its process reaches the parent.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { setPriority } from "node:os";
import { processIdentity } from "../runner/processGroups";
import { EXIT_MARKER, type AgentMessage, type ExecutorMessage } from "./messages";
import { Executor, ExecutorGone, executorEntry, type ExecutorSpec } from "./executor";

const STDERR_TAIL_CHARS = 4000;
const EXECUTOR_NICENESS = 5;
const PRLIMIT = ["/usr/bin/prlimit", "/bin/prlimit"].find((file) => process.platform === "linux" && existsSync(file));

export class ExecutorProcess extends Executor {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly closed: Promise<string>;
  private stderrTail = "";

  constructor(spec: ExecutorSpec) {
    super(spec);
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
      // Structured clone: the copy of a workflow's exports keeps its dates, NaN and the like.
      serialization: "advanced",
    });
    // Workflow code yields the CPU to the agent's own work (accepting
    // webhooks, firing schedules) when the two compete.
    if (this.child.pid !== undefined) {
      try {
        setPriority(this.child.pid, EXECUTOR_NICENESS);
      } catch {
        // Not allowed here: the executor runs at the agent's priority.
      }
    }
    this.child.stdout!.setEncoding("utf8");
    this.child.stderr!.setEncoding("utf8");
    this.child.stdout!.on("data", (text: string) => this.output("stdout", text));
    this.child.stderr!.on("data", (text: string) => this.stderr(text));
    this.ready = new Promise((resolve, reject) => {
      this.child.once("message", () => resolve());
      this.child.once("error", (error) => reject(new ExecutorGone(`could not start an executor process: ${error.message}`, false)));
      this.child.once("exit", () => reject(new ExecutorGone("the executor process ended while starting", false)));
    });
    this.ready.catch(() => undefined);
    this.child.on("message", (message: ExecutorMessage) => this.receive(message));
    this.closed = new Promise((resolve) => this.child.once("close", () => resolve(this.settleEnd())));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private knownIdentity: string | undefined;
  get identity(): string | undefined {
    if (this.knownIdentity === undefined && this.child.pid !== undefined) this.knownIdentity = processIdentity(this.child.pid);
    return this.knownIdentity;
  }

  protected get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.connected;
  }

  protected post(message: AgentMessage): void {
    this.child.send(message);
  }

  protected end(): void {
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

  /** stderr: the exit marker is taken out (it is for us), the rest goes to the task's log. */
  private stderr(text: string): void {
    this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    const at = text.indexOf(EXIT_MARKER);
    if (at >= 0) {
      const end = text.indexOf("\n", at);
      this.exitLine = text.slice(at + EXIT_MARKER.length, end < 0 ? undefined : end);
      text = text.slice(0, at) + (end < 0 ? "" : text.slice(end + 1));
    }
    this.output("stderr", text);
  }

  protected describeOtherEnd(): string {
    if (/heap out of memory|Allocation failed/.test(this.stderrTail)) return this.outOfMemory();
    const { exitCode, signalCode } = this.child;
    const lines = this.stderrTail.split("\n").map((l) => l.trim()).filter(Boolean);
    const tail = (lines[lines.length - 1] ?? "").slice(0, 300);
    const how = signalCode ? `was killed by ${signalCode}` : `exited with code ${exitCode}`;
    return `the executor process running the workflow code ${how}${tail ? `: ${tail}` : ""}`;
  }
}
