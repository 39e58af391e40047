// A pool of executor processes: where every piece of workflow code runs.
// Warm executors wait ready so that run-now does not pay a process start;
// more are started on demand up to a limit; an executor that was killed
// (timeout, cancel), ended on its own, or was tainted by stray errors is
// replaced, never reused. A task prefers an executor that already holds its
// bundle, so a module is evaluated once per executor, not once per step.
import type { BundleRef, CodeResult, CodeTaskContext, EvaluateResult } from "./messages";
import { ExecutorGone, type Executor, type ExecutorSpec, type TaskLog } from "./executor";
import { ExecutorProcess } from "./process";
import { ExecutorThread } from "./thread";

export interface ExecutorPoolOptions extends ExecutorSpec {
  /** Processes (the agent) or threads of this process (`clockwork run`); see thread.ts. Default processes. */
  kind?: "process" | "thread";
  /** Most executors alive at once; tasks beyond it wait their turn. */
  max: number;
  /** Idle executors kept ready. */
  warm: number;
  /** An idle executor beyond `warm` ends after this long. Default 60 s. */
  idleMs?: number;
  /** Something worth a line in the agent's log (an executor that died while idle). */
  log?: (message: string) => void;
}

export type { TaskLog };

export interface EvaluateOptions {
  /** The evaluation is stopped (its executor killed) after this long. */
  timeoutMs: number;
  /** Aborting it stops the evaluation at once (a newer edit supersedes it). */
  signal?: AbortSignal;
  onLog?: TaskLog;
}

export interface CodeOptions {
  /** Aborting it (timeout or cancel) asks the function to stop, then kills its executor after `graceMs`. */
  signal: AbortSignal;
  graceMs: number;
  onLog?: TaskLog;
  /** Called with the executor's pid (the leader of its process group) and its identity once it has the task. */
  onStart?: (pid: number, identity: string | undefined) => void;
}

/** After an executor failed to start, how long keeping them warm waits before trying again. */
const SPAWN_RETRY_MS = 5000;

/** How long an aborted code step gets to return before its executor is killed. */
export const CODE_ABORT_GRACE_MS = 1000;

/** Evaluation did not finish in time, or was superseded. */
export class EvaluationStopped extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvaluationStopped";
  }
}

export class ExecutorPool {
  private readonly idle: Executor[] = [];
  private readonly all = new Set<Executor>();
  private readonly waiting: Array<{ prefer?: string; take: (executor: Executor) => void; fail: (error: Error) => void }> = [];
  private readonly idleTimers = new Map<Executor, NodeJS.Timeout>();
  private starting = 0;
  private closed = false;

  constructor(private readonly options: ExecutorPoolOptions) {}

  /**
   * Starts the warm executors; optional (the first task starts one anyway).
   * After a failed start (the executor script missing, no memory) it waits
   * before trying again: keeping executors warm must never become a loop.
   */
  warmUp(): void {
    if (this.closed || Date.now() - this.lastSpawnFailure < SPAWN_RETRY_MS) return;
    const wanted = Math.min(this.options.warm - this.idle.length - this.starting, this.options.max - this.all.size - this.starting);
    for (let i = 0; i < wanted; i++) {
      void this.spawn().then(
        (executor) => executor && this.release(executor),
        (error: Error) => this.spawnFailed(error),
      );
    }
  }

  private lastSpawnFailure = 0;

  private spawnFailed(error: Error): void {
    if (Date.now() - this.lastSpawnFailure >= SPAWN_RETRY_MS) this.options.log?.(`could not start an executor: ${error.message}`);
    this.lastSpawnFailure = Date.now();
  }

  get size(): number {
    return this.all.size;
  }

  /** The pids of every executor, for tests and `status`. */
  pids(): number[] {
    return [...this.all].map((e) => e.pid).filter((pid): pid is number => pid !== undefined);
  }

  async evaluate(bundle: BundleRef, options: EvaluateOptions): Promise<EvaluateResult> {
    const executor = await this.acquire(bundle.hash, options.signal);
    const { result } = executor.run({ type: "evaluate", bundle: this.ref(executor, bundle) }, options.onLog);
    let stopped: string | undefined;
    const stop = (why: string) => {
      stopped ??= why;
      executor.kill();
    };
    const timer = setTimeout(
      () => stop(`evaluating the file did not finish within ${options.timeoutMs} ms (an endless loop or a wait at the top level?); raise CLOCKWORK_EVAL_TIMEOUT if it really needs longer`),
      options.timeoutMs,
    );
    const onAbort = () => stop("evaluation was superseded");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return (await result) as EvaluateResult;
    } catch (error) {
      if (stopped) throw new EvaluationStopped(stopped);
      if (error instanceof ExecutorGone) {
        return { ok: false, error: `evaluating the file ended its executor: ${error.message}`, ...(error.where ? { where: error.where } : {}) };
      }
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      this.release(executor);
    }
  }

  /**
   * Calls code step `index` of the bundle. Resolves with the function's
   * outcome; rejects with ExecutorGone when its executor ended (killed after
   * an abort, or on its own: process.exit, out of memory).
   */
  async runCode(bundle: BundleRef, step: { index: number; name: string }, context: CodeTaskContext, options: CodeOptions): Promise<CodeResult> {
    const executor = await this.acquire(bundle.hash, options.signal);
    if (executor.pid !== undefined) options.onStart?.(executor.pid, executor.identity);
    const task = executor.run({ type: "code", bundle: this.ref(executor, bundle), ...step, context }, options.onLog);
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      const reason = options.signal.reason;
      executor.abort(task.id, typeof reason === "string" ? reason : reason instanceof Error ? reason.message : "aborted");
      killTimer = setTimeout(() => executor.kill(), options.graceMs);
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort, { once: true });
    try {
      return (await task.result) as CodeResult;
    } finally {
      clearTimeout(killTimer);
      options.signal.removeEventListener("abort", onAbort);
      // An aborted task's function may still hold timers or children: never reuse its executor.
      if (options.signal.aborted) executor.kill();
      this.release(executor);
    }
  }

  /** Kills every executor; waiting tasks fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.fail(new ExecutorGone("the agent is stopping", true));
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    const closing = [...this.all].map((executor) => {
      executor.kill();
      return executor.closed;
    });
    this.idle.length = 0;
    await Promise.all(closing);
  }

  private ref(executor: Executor, bundle: BundleRef): BundleRef {
    if (executor.bundles.has(bundle.hash)) return { file: bundle.file, hash: bundle.hash };
    executor.bundles.add(bundle.hash);
    return bundle;
  }

  private acquire(prefer: string | undefined, signal?: AbortSignal): Promise<Executor> {
    if (this.closed) return Promise.reject(new ExecutorGone("the agent is stopping", true));
    const i = this.idle.findIndex((e) => prefer !== undefined && e.bundles.has(prefer));
    const found = i >= 0 ? this.idle.splice(i, 1)[0] : this.idle.pop();
    if (found) {
      this.clearIdleTimer(found);
      this.warmUp();
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const waiter = { prefer, take: resolve, fail: reject };
      this.waiting.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            reject(new ExecutorGone("stopped before an executor was free", true));
          }
        },
        { once: true },
      );
      if (this.all.size + this.starting < this.options.max) {
        void this.spawn().then((executor) => executor && this.release(executor), (error: Error) => this.failFirstWaiter(error));
      }
    });
  }

  private failFirstWaiter(error: Error): void {
    this.spawnFailed(error);
    this.waiting.shift()?.fail(error);
  }

  private async spawn(): Promise<Executor | undefined> {
    this.starting++;
    let executor: Executor;
    try {
      executor = this.options.kind === "thread" ? new ExecutorThread(this.options) : new ExecutorProcess(this.options);
      this.all.add(executor);
      void executor.closed.then((reason) => this.forget(executor, reason));
      await executor.ready;
    } finally {
      this.starting--;
    }
    if (this.closed) {
      executor.kill();
      return undefined;
    }
    return executor;
  }

  /** Back to the pool, to a waiting task, or away when it is not fit for reuse. */
  private release(executor: Executor): void {
    if (!executor.alive || executor.tainted || executor.busy) {
      executor.kill();
      this.refill();
      return;
    }
    if (this.closed) {
      executor.kill();
      return;
    }
    const i = this.waiting.findIndex((w) => w.prefer !== undefined && executor.bundles.has(w.prefer));
    const waiter = i >= 0 ? this.waiting.splice(i, 1)[0] : this.waiting.shift();
    if (waiter) return waiter.take(executor);
    this.idle.push(executor);
    if (this.idle.length > this.options.warm) {
      this.idleTimers.set(
        executor,
        setTimeout(() => this.retire(executor), this.options.idleMs ?? 60_000),
      );
    }
  }

  private retire(executor: Executor): void {
    this.idleTimers.delete(executor);
    const at = this.idle.indexOf(executor);
    if (at < 0 || this.idle.length <= this.options.warm) return;
    this.idle.splice(at, 1);
    executor.kill();
  }

  private clearIdleTimer(executor: Executor): void {
    const timer = this.idleTimers.get(executor);
    if (timer) clearTimeout(timer);
    this.idleTimers.delete(executor);
  }

  private forget(executor: Executor, reason: string): void {
    this.all.delete(executor);
    this.clearIdleTimer(executor);
    const at = this.idle.indexOf(executor);
    if (at >= 0) {
      this.idle.splice(at, 1);
      if (!this.closed) this.options.log?.(`an idle executor ended: ${reason}`);
    }
    this.refill();
  }

  /** Tasks waiting while there is room: start an executor for them; keep the warm ones. */
  private refill(): void {
    if (this.closed) return;
    const room = this.options.max - this.all.size - this.starting;
    const wanted = Math.min(room, this.waiting.length);
    for (let i = 0; i < wanted; i++) {
      void this.spawn().then((executor) => executor && this.release(executor), (error: Error) => this.failFirstWaiter(error));
    }
    this.warmUp();
  }
}
