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
  // Waiting runs by id, in submission order (a Map keeps insertion order).
  // Under a burst of webhooks tens of thousands can wait; taking the first
  // one out of an array shifted the whole array each time a run started.
  private readonly waitingRuns = new Map<string, Waiting>();
  private readonly runningRuns = new Map<string, Running>();
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: RunPoolOptions) {}

  get running(): number {
    return this.runningRuns.size;
  }

  get waiting(): number {
    return this.waitingRuns.size;
  }

  /** How many more runs it would start now. */
  get free(): number {
    return Math.max(0, this.options.limit - this.runningRuns.size - this.waitingRuns.size);
  }

  /** Every run it holds, running or waiting. */
  ids(): string[] {
    return [...this.runningRuns.keys(), ...this.waitingRuns.keys()];
  }

  has(runId: string): boolean {
    return this.runningRuns.has(runId) || this.waitingRuns.has(runId);
  }

  submit(runId: string, serialKey?: string): void {
    // Stopping: the row stays queued for the next start.
    if (this.draining) return;
    this.waitingRuns.set(runId, serialKey === undefined ? { runId } : { runId, serialKey });
    this.pump();
  }

  /**
   * Cancels a run this pool holds: a waiting run is dropped (recorded
   * cancelled), a running one is aborted (its executor records cancelled).
   */
  cancel(runId: string, reason = "requested"): "waiting" | "running" | undefined {
    if (this.waitingRuns.delete(runId)) {
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
   * Graceful stop: waiting runs are let go (their rows stay queued, and
   * the count is returned); running runs get `graceMs` to finish, then are
   * aborted with `graceEnded` as the reason, and this resolves once every
   * executor has recorded its outcome. `cutShort` ends the grace early (a
   * second SIGTERM), with the reason it resolves to.
   */
  async drain(graceMs: number, cutShort?: Promise<string>, graceEnded = `the agent was stopping and its grace period of ${graceMs} ms ended`): Promise<number> {
    this.draining = true;
    // Accepted runs that have not started keep their queued rows: the next
    // agent start runs them (an accepted run always runs).
    const kept = this.waitingRuns.size;
    this.waitingRuns.clear();
    if (this.runningRuns.size === 0) return kept;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(graceEnded), graceMs)));
    const reason = await Promise.race([this.whenIdle().then(() => graceEnded), graceOver, ...(cutShort ? [cutShort] : [])]);
    clearTimeout(timer);
    for (const running of this.runningRuns.values()) running.controller.abort(new Error(reason));
    await this.whenIdle();
    return kept;
  }

  /** Resolves when nothing runs and nothing waits. */
  whenIdle(): Promise<void> {
    if (this.runningRuns.size === 0 && this.waitingRuns.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    for (const candidate of this.waitingRuns.values()) {
      if (this.runningRuns.size >= this.options.limit) break;
      if (candidate.serialKey !== undefined && this.keyBusy(candidate.serialKey)) continue;
      // Deleting the entry being visited is safe: iteration goes on with the next.
      this.waitingRuns.delete(candidate.runId);
      this.start(candidate);
    }
    if (this.runningRuns.size === 0 && this.waitingRuns.size === 0) {
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
