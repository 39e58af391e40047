// An executor thread: the same executor script in a worker thread of this
// process. `clockwork run` uses it: a short-lived process in the user's
// terminal, where a second Node start would double the time to the first
// step. It gives the same clear endings for process.exit, throws, endless
// loops (terminate() stops them) and a full heap (resourceLimits); what it
// cannot do — interrupt a blocking native call, cap native memory, give
// code steps their own process group — matters less in a process that ends
// with its one run. The agent's executors are processes (process.ts).
import { Worker } from "node:worker_threads";
import type { AgentMessage, ExecutorMessage } from "./messages";
import { Executor, ExecutorGone, executorEntry, type ExecutorSpec } from "./executor";

export class ExecutorThread extends Executor {
  readonly ready: Promise<void>;
  readonly closed: Promise<string>;
  readonly pid = undefined;
  readonly identity = undefined;
  private readonly worker: Worker;
  private exited = false;
  private failure: Error | undefined;

  constructor(spec: ExecutorSpec) {
    super(spec);
    this.worker = new Worker(executorEntry(), {
      ...(spec.env ? { env: spec.env } : {}),
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once("message", () => resolve());
      this.worker.once("exit", () => reject(new ExecutorGone("the executor thread ended while starting", false)));
    });
    this.ready.catch(() => undefined);
    this.worker.on("message", (message: ExecutorMessage) => this.receive(message));
    this.worker.on("error", (error) => (this.failure = error));
    this.closed = new Promise((resolve) =>
      this.worker.once("exit", () => {
        this.exited = true;
        resolve(this.settleEnd());
      }),
    );
    // Not unref'd: while a task is out, this thread is what keeps the
    // process waiting for it. `clockwork run` ends it when its run is done.
  }

  protected get running(): boolean {
    return !this.exited;
  }

  protected post(message: AgentMessage): void {
    this.worker.postMessage(message);
  }

  protected end(): void {
    void this.worker.terminate();
  }

  protected describeOtherEnd(): string {
    const code = (this.failure as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ERR_WORKER_OUT_OF_MEMORY") return this.outOfMemory();
    return `the executor thread running the workflow code ended${this.failure ? `: ${this.failure.message}` : ""}`;
  }
}
