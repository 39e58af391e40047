// Starting, cancelling and awaiting runs inside the agent. Every start writes
// the run row first (queued, or skipped with the reason when the trigger's
// overlap policy says so: core/admission.ts, applied by the store in the
// same transaction) and only then hands it to the run pool, so a run is
// visible in history from the moment it was asked for.
import { resumedSerialKey } from "../core/admission";
import { conflict, invalid, messageOf } from "../errors";
import { loadForReplay, replayStart } from "../runner/replay";
import type { Events } from "../events";
import { FINISHED_STATUSES, type RunSummary, type TriggerContext } from "../protocol";
import type { Admission, AdmissionRequest, Owner, Store } from "../store";
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
  owner: Owner;
  isStopping: () => boolean;
  /**
   * Whether another process that owns a run is alive to be asked to cancel
   * it. Default: its pid answers on this machine. In team mode the owner
   * may be an agent on another host (its heartbeat tells).
   */
  ownerAlive?: (owner: Owner) => Promise<boolean>;
}

type Pending = { request: AdmissionRequest; resolve: (run: RunSummary) => void; reject: (error: unknown) => void };

export class RunControl {
  private batch: Pending[] = [];

  constructor(private readonly deps: RunControlDeps) {}

  /** The agent, as the owner of the runs it executes. */
  get owner(): Owner {
    return this.deps.owner;
  }

  /** Loads a workflow file, or throws Invalid with why it does not load (before runs are queued for it). */
  async checkLoads(file: string): Promise<void> {
    if (this.deps.isStopping()) throw stoppingError();
    try {
      await this.deps.loader.load(file);
    } catch (error) {
      throw invalid(`${file} does not load: ${messageOf(error)}`);
    }
  }

  /**
   * Writes the run's row — together with the rows of every other run asked
   * for in the same turn of the event loop, in one transaction — and
   * resolves once it is committed; then a queued run goes to the pool and a
   * skipped one is announced finished. Under a burst of webhooks the commit
   * was most of what accepting one cost. A run whose row cannot be written
   * rejects alone.
   */
  startRun(input: StartRunInput): Promise<RunSummary> {
    if (this.deps.isStopping()) return Promise.reject(stoppingError());
    return new Promise((resolve, reject) => {
      this.batch.push({ request: this.request(input), resolve, reject });
      if (this.batch.length === 1) setImmediate(() => void this.flushBatch());
    });
  }

  private async flushBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    if (this.deps.isStopping()) {
      for (const item of batch) item.reject(stoppingError());
      return;
    }
    let outcomes;
    try {
      outcomes = await this.deps.store.admit(batch.map((item) => item.request));
    } catch (error) {
      // The commit itself failed: none of the rows exists.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) return item.reject(outcome.error);
      item.resolve(this.release(outcome.admission));
    });
  }

  private request(input: StartRunInput): AdmissionRequest {
    const request: AdmissionRequest = {
      workflowName: input.workflowName,
      workflowFile: input.workflowFile,
      triggerKind: input.triggerKind,
      owner: this.deps.owner,
    };
    if (input.overlap !== undefined) request.overlap = input.overlap;
    if (input.triggerId !== undefined) request.triggerId = input.triggerId;
    if (input.triggerName !== undefined) request.triggerName = input.triggerName;
    if (input.context !== undefined) request.context = input.context;
    if (input.deliveryId !== undefined) request.deliveryId = input.deliveryId;
    if (input.replayOf !== undefined) request.replayOf = input.replayOf;
    if (input.scheduledFor !== undefined) request.scheduledFor = input.scheduledFor;
    return request;
  }

  /** After the row is committed: a skipped run is announced finished, a queued one goes to the pool. */
  release(admission: Admission): RunSummary {
    if (admission.status === "skipped") {
      this.deps.events.emit("run:finished", admission.run);
      return admission.run;
    }
    this.submit(admission.run, admission.serialKey);
    return admission.run;
  }

  /**
   * Hands an already queued row (accepted before a restart, or taken from
   * the team's queue) to the pool, with the serial key it was admitted
   * with. Without one (none given, or a row from before keys were kept),
   * its trigger's overlap policy decides: a trigger that never runs two at
   * once (queue, skip) gets its resumed runs one after another, in order.
   */
  async resume(run: RunSummary, serialKey: string | null): Promise<void> {
    if (serialKey !== null) return this.submit(run, serialKey);
    const trigger = run.triggerName === null ? undefined : await this.deps.store.triggers.get(run.triggerName);
    const overlap = trigger?.type === "schedule" && run.triggerKind !== "manual" ? trigger.config.overlap : undefined;
    this.submit(run, resumedSerialKey(overlap, run.triggerName));
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

  async fireTrigger(name: string, context?: TriggerContext): Promise<RunSummary> {
    const row = await this.deps.store.triggers.require(name);
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

  /**
   * A new run of the original's workflow file, as its trigger started it
   * (runner/replay.ts): `{trigger.*}` and `{run.scheduled_for}` resolve as
   * they did. Batched and admitted like every other start.
   */
  async replayRun(idOrPrefix: string, body?: unknown): Promise<RunSummary> {
    const original = await this.deps.store.runs.getRun(idOrPrefix);
    const workflow = await loadForReplay(this.deps.loader, original);
    const trigger = original.triggerName === null ? undefined : await this.deps.store.triggers.get(original.triggerName);
    const start = replayStart(original, body, trigger?.id ?? null);
    const input: StartRunInput = { workflowName: workflow.name, workflowFile: workflow.file, triggerKind: start.triggerKind, context: start.context, replayOf: start.replayOf! };
    if (start.triggerName !== null) input.triggerName = start.triggerName;
    if (start.triggerId !== null) input.triggerId = start.triggerId;
    if (start.scheduledFor !== null) input.scheduledFor = start.scheduledFor;
    return this.startRun(input);
  }

  async cancelRun(idOrPrefix: string): Promise<RunSummary> {
    const { runs } = this.deps.store;
    const run = await runs.getRun(idOrPrefix);
    const summary = (await runs.getSummary(run.id))!;
    if (isFinished(summary)) return summary;

    const giveUp = new AbortController();
    const timer = setTimeout(() => giveUp.abort(), CANCEL_WAIT_MS);
    const finished = this.waitForRun(run.id, giveUp.signal)
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
    if (this.deps.pool.cancel(run.id, "requested by a client") === undefined) {
      const owner = await runs.ownerOf(run.id);
      const alive = owner !== null && owner.id !== this.deps.owner.id && (await (this.deps.ownerAlive ?? pidAlive)(owner));
      if (alive) {
        // Executing in another process (`clockwork run` in a terminal, another agent in team mode): ask it,
        // and keep the request with the run for an agent that does not hear the asking.
        await runs.requestCancel(run.id);
        this.deps.events.emit("run:cancelRequested", { runId: run.id });
      } else {
        // Nobody is executing it (its process is gone): record the outcome here.
        const cancelled = await runs.finishRun(run.id, "cancelled", "cancelled by request; the process running it was gone");
        if (cancelled) this.deps.events.emit("run:finished", cancelled);
      }
    }
    return (await finished) ?? (await runs.getSummary(run.id))!;
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
      this.deps.store.runs.getSummary(runId).then((now) => {
        if (!now) {
          off();
          return reject(new Error(`no run ${runId}`));
        }
        if (isFinished(now)) done(now);
      }, reject);
    });
  }
}

const pidAlive = async (owner: Owner) => isPidAlive(owner.pid);

function stoppingError() {
  return conflict("the agent is stopping and accepts no new runs; try again once it has restarted");
}

export const isFinished = (run: RunSummary) => FINISHED_STATUSES.includes(run.status);
