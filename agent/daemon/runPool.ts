// Executes run rows concurrently, at most `limit` at a time. A run waiting for
// a slot keeps its `queued` row; the row was written when the trigger fired,
// so a slow workflow delays other runs' execution only when every slot is
// busy, and never delays another schedule's fire.
//
// A run submitted with a `serialKey` (a trigger with overlap `queue`) waits
// until no other run with that key is running, so its trigger's runs never
// overlap. Waiting runs start in submission order whenever they can.
import type { RunSummary } from "../protocol";

export interface RunPoolOptions {
  limit: number;
  /** Executes one run row to the end; must not throw (executeRun never does). */
  execute(runId: string, signal: AbortSignal): Promise<RunSummary | undefined>;
  /** Records a waiting run as cancelled: it was cancelled, or the agent is stopping. */
  dropWaiting(runId: string, reason: string): void;
}

interface Waiting {
  runId: string;
  serialKey?: string;
}

interface Running {
  serialKey?: string;
  controller: AbortController;
  done: Promise<void>;
}

export class RunPool {
  private readonly waitingList: Waiting[] = [];
  private readonly runningRuns = new Map<string, Running>();
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: RunPoolOptions) {}

  get running(): number {
    return this.runningRuns.size;
  }

  get waiting(): number {
    return this.waitingList.length;
  }

  has(runId: string): boolean {
    return this.runningRuns.has(runId) || this.waitingList.some((w) => w.runId === runId);
  }

  submit(runId: string, serialKey?: string): void {
    if (this.draining) {
      this.options.dropWaiting(runId, "cancelled before it started: the agent was stopping");
      return;
    }
    this.waitingList.push(serialKey === undefined ? { runId } : { runId, serialKey });
    this.pump();
  }

  /**
   * Cancels a run this pool holds: a waiting run is dropped (recorded
   * cancelled), a running one is aborted (its executor records cancelled).
   */
  cancel(runId: string, reason = "requested"): "waiting" | "running" | undefined {
    const index = this.waitingList.findIndex((w) => w.runId === runId);
    if (index >= 0) {
      this.waitingList.splice(index, 1);
      this.options.dropWaiting(runId, `cancelled before it started: ${reason}`);
      return "waiting";
    }
    const running = this.runningRuns.get(runId);
    if (running) {
      running.controller.abort(new Error(reason));
      return "running";
    }
    return undefined;
  }

  /**
   * Graceful stop: waiting runs are dropped at once; running runs get
   * `graceMs` to finish, then are aborted, and this resolves once every
   * executor has recorded its outcome. `cutShort` ends the grace early (a
   * second SIGTERM).
   */
  async drain(graceMs: number, cutShort?: Promise<void>): Promise<void> {
    this.draining = true;
    for (const w of this.waitingList.splice(0)) {
      this.options.dropWaiting(w.runId, "cancelled before it started: the agent was stopping");
    }
    if (this.runningRuns.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([this.whenIdle(), graceOver, ...(cutShort ? [cutShort] : [])]);
    clearTimeout(timer);
    for (const running of this.runningRuns.values()) {
      running.controller.abort(new Error(`the agent was stopping and the grace period (${graceMs} ms) ended`));
    }
    await this.whenIdle();
  }

  /** Resolves when nothing runs and nothing waits. */
  whenIdle(): Promise<void> {
    if (this.runningRuns.size === 0 && this.waitingList.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    for (let i = 0; i < this.waitingList.length && this.runningRuns.size < this.options.limit; ) {
      const candidate = this.waitingList[i]!;
      if (candidate.serialKey !== undefined && this.keyBusy(candidate.serialKey)) {
        i++;
        continue;
      }
      this.waitingList.splice(i, 1);
      this.start(candidate);
    }
    if (this.runningRuns.size === 0 && this.waitingList.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private keyBusy(key: string): boolean {
    for (const running of this.runningRuns.values()) if (running.serialKey === key) return true;
    return false;
  }

  private start(entry: Waiting): void {
    const controller = new AbortController();
    const done = this.options
      .execute(entry.runId, controller.signal)
      .catch(() => undefined)
      .then(() => {
        this.runningRuns.delete(entry.runId);
        this.pump();
      });
    const running: Running = { controller, done };
    if (entry.serialKey !== undefined) running.serialKey = entry.serialKey;
    this.runningRuns.set(entry.runId, running);
  }
}
