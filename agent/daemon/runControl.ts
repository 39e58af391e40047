// Starting, cancelling and awaiting runs inside the agent. Every start writes
// the run row first (queued, or skipped with the reason when the trigger's
// overlap policy says so) and only then hands it to the run pool, so a run is
// visible in history from the moment it was asked for.
import { decideOverlap, overlapSkipReason } from "../core/schedulePolicy";
import { conflict, invalid, messageOf } from "../errors";
import type { Events } from "../events";
import { FINISHED_STATUSES, type RunSummary, type TriggerContext } from "../protocol";
import type { Store } from "../store";
import type { NewRun } from "../store/runs";
import type { WorkflowLoader } from "../workflow/load";
import { isPidAlive } from "./lock";
import type { RunPool } from "./runPool";
import type { StartRunInput } from "./services";

/** How long `cancelRun` waits for a running run to record its outcome before answering. */
const CANCEL_WAIT_MS = 10_000;

export interface RunControlDeps {
  store: Store;
  events: Events;
  pool: RunPool;
  loader: WorkflowLoader;
  ownerPid: number;
  isStopping: () => boolean;
}

export class RunControl {
  constructor(private readonly deps: RunControlDeps) {}

  startRun(input: StartRunInput): RunSummary {
    if (this.deps.isStopping()) throw stoppingError();
    const admitted = this.deps.store.transaction(() => this.admit(input));
    return this.release(admitted);
  }

  /**
   * Like startRun, but the row is written together with the rows of every
   * other run asked for in the same turn of the event loop: one transaction
   * for the lot, committed before any of the promises resolves. Under a burst
   * of webhooks the commit (each writes the table's and five indexes' pages
   * to the WAL) was most of what accepting one cost. A run whose row cannot
   * be written rejects alone: admitting one writes a single INSERT, and
   * SQLite undoes a failed statement without touching the rest of the
   * transaction (errors that do abort it make the commit fail, and then every
   * promise of the batch rejects).
   */
  startRunSoon(input: StartRunInput): Promise<RunSummary> {
    if (this.deps.isStopping()) return Promise.reject(stoppingError());
    return new Promise((resolve, reject) => {
      this.batch.push({ input, resolve, reject });
      if (this.batch.length === 1) setImmediate(() => this.flushBatch());
    });
  }

  private batch: Array<{ input: StartRunInput; resolve: (run: RunSummary) => void; reject: (error: unknown) => void }> = [];

  private flushBatch(): void {
    const batch = this.batch;
    this.batch = [];
    if (this.deps.isStopping()) {
      for (const item of batch) item.reject(stoppingError());
      return;
    }
    let outcomes: Array<{ ok: true; admitted: Admitted } | { ok: false; error: unknown }>;
    try {
      outcomes = this.deps.store.transaction(() =>
        batch.map((item) => {
          try {
            return { ok: true as const, admitted: this.admit(item.input) };
          } catch (error) {
            return { ok: false as const, error };
          }
        }),
      );
    } catch (error) {
      // The commit itself failed: none of the rows exists.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) return item.reject(outcome.error);
      try {
        item.resolve(this.release(outcome.admitted));
      } catch (error) {
        item.reject(error);
      }
    });
  }

  /** Writes the run row (queued, or skipped when the overlap policy says so); call inside a transaction. */
  private admit(input: StartRunInput): Admitted {
    const { runs } = this.deps.store;
    const overlap = input.overlap ?? "parallel";
    const base: NewRun = {
      workflowName: input.workflowName,
      workflowFile: input.workflowFile,
      triggerKind: input.triggerKind,
      ownerPid: this.deps.ownerPid,
    };
    if (input.triggerId !== undefined) base.triggerId = input.triggerId;
    if (input.triggerName !== undefined) base.triggerName = input.triggerName;
    if (input.context !== undefined) base.context = input.context;
    if (input.deliveryId !== undefined) base.deliveryId = input.deliveryId;
    const serialKey = overlap === "queue" ? input.triggerName : undefined;

    if (overlap === "parallel" || input.triggerName === undefined) {
      return { skipped: false, run: runs.insertRun({ ...base, status: "queued" }), serialKey };
    }
    const active = runs.activeRuns().filter((r) => r.triggerName === input.triggerName);
    const state = {
      running: active.filter((r) => r.status === "running").length,
      queued: active.filter((r) => r.status === "queued").length,
    };
    if (decideOverlap(overlap, state) === "skip") {
      const reason = overlapSkipReason(overlap, state);
      return { skipped: true, run: runs.insertRun({ ...base, status: "skipped", error: reason }), serialKey };
    }
    return { skipped: false, run: runs.insertRun({ ...base, status: "queued" }), serialKey };
  }

  /** After the row is committed: a skipped run is announced finished, a queued one goes to the pool. */
  private release(admitted: Admitted): RunSummary {
    if (admitted.skipped) {
      this.deps.events.emit("run:finished", admitted.run);
      return admitted.run;
    }
    this.submit(admitted.run, admitted.serialKey);
    return admitted.run;
  }

  /**
   * Hands an already queued row (accepted before a restart) to the pool,
   * under its trigger's overlap policy: a trigger that never runs two at
   * once (queue, skip) gets its resumed runs one after another, in order.
   */
  resume(run: RunSummary): void {
    const trigger = run.triggerName === null ? undefined : this.deps.store.triggers.get(run.triggerName);
    const overlap = trigger?.type === "schedule" ? trigger.config.overlap : undefined;
    const serial = run.triggerKind !== "manual" && (overlap === "queue" || overlap === "skip");
    this.submit(run, serial ? run.triggerName! : undefined);
  }

  /** Announces a queued run row and hands it to the pool. */
  submit(run: RunSummary, serialKey?: string): void {
    this.deps.events.emit("run:queued", run);
    this.deps.pool.submit(run.id, serialKey);
  }

  async startFile(file: string, context?: TriggerContext): Promise<RunSummary> {
    let workflow: { file: string; name: string };
    try {
      workflow = await this.deps.loader.load(file);
    } catch (error) {
      throw invalid(`workflow does not load: ${messageOf(error)}`);
    }
    const input: StartRunInput = { workflowName: workflow.name, workflowFile: workflow.file, triggerKind: "manual" };
    if (context !== undefined) input.context = context;
    return this.startRun(input);
  }

  fireTrigger(name: string, context?: TriggerContext): RunSummary {
    const row = this.deps.store.triggers.require(name);
    const input: StartRunInput = {
      workflowName: row.workflowName,
      workflowFile: row.workflowFile,
      triggerKind: "manual",
      triggerId: row.id,
      triggerName: row.name,
    };
    if (context !== undefined) input.context = context;
    return this.startRun(input);
  }

  async cancelRun(idOrPrefix: string): Promise<RunSummary> {
    const { runs } = this.deps.store;
    const run = runs.getRun(idOrPrefix);
    const summary = runs.getSummary(run.id)!;
    if (isFinished(summary)) return summary;

    const giveUp = new AbortController();
    const timer = setTimeout(() => giveUp.abort(), CANCEL_WAIT_MS);
    const finished = this.waitForRun(run.id, giveUp.signal)
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
    if (this.deps.pool.cancel(run.id, "requested by a client") === undefined) {
      const owner = runs.ownerOf(run.id);
      if (owner !== null && owner !== this.deps.ownerPid && isPidAlive(owner)) {
        // Executing in another process (`clockwork run` in a terminal): ask it.
        this.deps.events.emit("run:cancelRequested", { runId: run.id });
      } else {
        // Nobody is executing it (its process is gone): record the outcome here.
        const cancelled = runs.finishRun(run.id, "cancelled", "cancelled by request; the process running it was gone");
        if (cancelled) this.deps.events.emit("run:finished", cancelled);
      }
    }
    return (await finished) ?? runs.getSummary(run.id)!;
  }

  /** Resolves when the run has finished; rejects if `signal` aborts first. */
  waitForRun(runId: string, signal?: AbortSignal): Promise<RunSummary> {
    return new Promise((resolve, reject) => {
      const done = (run: RunSummary) => {
        off();
        signal?.removeEventListener("abort", abort);
        resolve(run);
      };
      const abort = () => {
        off();
        reject(signal?.reason ?? new Error("aborted"));
      };
      const off = this.deps.events.on("run:finished", (run) => {
        if (run.id === runId) done(run);
      });
      if (signal?.aborted) return abort();
      signal?.addEventListener("abort", abort, { once: true });
      // Checked after subscribing, so a finish in between is not missed.
      const now = this.deps.store.runs.getSummary(runId);
      if (!now) {
        off();
        return reject(new Error(`no run ${runId}`));
      }
      if (isFinished(now)) done(now);
    });
  }
}

interface Admitted {
  skipped: boolean;
  run: RunSummary;
  serialKey: string | undefined;
}

function stoppingError() {
  return conflict("the agent is stopping and accepts no new runs; try again once it has restarted");
}

export const isFinished = (run: RunSummary) => FINISHED_STATUSES.includes(run.status);
