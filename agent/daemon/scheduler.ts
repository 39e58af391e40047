// The scheduler loop: it only does timing. It sleeps until the earliest
// `next_fire_at` in the store (one index seek), wakes at most 30 s later
// anyway so that a suspended laptop or a clock jump is noticed, and wakes at
// once when a trigger changes. For each due schedule it asks the pure policy
// (core/schedulePolicy) what to do and claims the instant with one atomic
// store call (`Store.claimInstant`): a unique (trigger, instant) claim row,
// `next_fire_at` advanced from the value it read, and the run admitted under
// the overlap policy, all in one transaction — so another agent on the same
// store can never claim that instant too. Execution then waits in the run
// pool if it must; the fire itself never waits for another workflow.
import { missedOf, planDue, type DuePlan } from "../core/schedulePolicy";
import { messageOf } from "../errors";
import type { Events } from "../events";
import type { RunSummary } from "../protocol";
import type { InstantClaim, Owner, ScheduleRow, Store } from "../store";
import { scheduleSpec } from "./triggerOps";

/** Wake-ups are capped so that suspend and clock jumps are noticed within this long. */
export const MAX_SLEEP_MS = 30_000;
const BATCH = 200;
/** Claims in flight at once in team mode (below the store's connection pool). */
const CLAIMS_IN_FLIGHT = 8;

export interface SchedulerDeps {
  store: Store;
  events: Events;
  /** Hands a queued run to the run pool; `serialKey` keeps a trigger's runs from overlapping. */
  submit(run: RunSummary, serialKey?: string): void;
  owner: Owner;
  now?: () => number;
  maxSleepMs?: number;
  catchupWindowMs?: number;
  /**
   * Several agents share the store (team mode): each starts its pass over
   * the due schedules at a random one, so that agents claim different
   * instants at once instead of all queueing on the same claim row.
   */
  spread?: boolean;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** The tick in progress; a wake-up while it runs asks for another one after it. */
  private ticking: Promise<void> | undefined;
  private again = false;
  private readonly now: () => number;
  private readonly off: () => void;

  constructor(private readonly deps: SchedulerDeps) {
    this.now = deps.now ?? Date.now;
    this.off = deps.events.on("triggers:changed", () => this.rearm());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** Stops firing; a tick in progress finishes its current claim. */
  stop(): void {
    this.running = false;
    this.off();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Something changed in the trigger table: look again now. */
  rearm(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  /** Fires everything due now, then sleeps until the next fire (at most MAX_SLEEP_MS). */
  tick(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = (async () => {
      do {
        this.again = false;
        try {
          await this.fireDue();
        } catch (error) {
          this.log("error", `scheduler: ${messageOf(error)}`);
        }
      } while (this.again && this.running);
      await this.arm();
    })().finally(() => (this.ticking = undefined));
  }

  /** Resolves once the tick in progress (if any) is done: tests and shutdown wait on it. */
  settled(): Promise<void> {
    return this.ticking ?? Promise.resolve();
  }

  private async arm(): Promise<void> {
    if (!this.running) return;
    const maxSleep = this.deps.maxSleepMs ?? MAX_SLEEP_MS;
    let delay = maxSleep;
    try {
      const earliest = await this.deps.store.triggers.earliestFire();
      if (earliest) delay = Math.min(maxSleep, Math.max(0, earliest.at - this.now()));
    } catch (error) {
      this.log("error", `scheduler: ${messageOf(error)}`);
    }
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private async fireDue(): Promise<void> {
    // Batches keep one tick bounded; the loop ends once a batch comes back
    // short (everything due now has been handled).
    for (;;) {
      const now = this.now();
      const due = await this.deps.store.triggers.due(now, BATCH);
      if (this.deps.spread) {
        await this.fireConcurrently(rotate(due), now);
      } else {
        for (const row of due) {
          if (!this.running) return;
          await this.fireOne(row, now);
        }
      }
      if (due.length < BATCH) return;
    }
  }

  /**
   * Team mode: claims go over the network to a shared database, so several
   * are in flight at once; each is still its own transaction.
   */
  private async fireConcurrently(rows: ScheduleRow[], now: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < rows.length && this.running) await this.fireOne(rows[next++]!, now);
    };
    await Promise.all(Array.from({ length: Math.min(CLAIMS_IN_FLIGHT, rows.length) }, worker));
  }

  private async fireOne(row: ScheduleRow, now: number): Promise<void> {
    const expected = row.nextFireAt!;
    let plan: DuePlan;
    try {
      plan = planDue({
        spec: scheduleSpec(row.config),
        nextFireAt: expected,
        now,
        catchup: row.config.catchup,
        ...(this.deps.catchupWindowMs === undefined ? {} : { catchupWindowMs: this.deps.catchupWindowMs }),
      });
    } catch (error) {
      // A stored expression that no longer evaluates must not spin the loop.
      const message = `schedule cannot be evaluated: ${messageOf(error)}`;
      await this.deps.store.triggers.update(row.name, { nextFireAt: null, stateError: message });
      this.log("error", `schedule ${row.name}: ${message}`);
      return;
    }

    let claimed: Awaited<ReturnType<Store["claimInstant"]>>;
    try {
      claimed = await this.deps.store.claimInstant(this.claimOf(row, expected, plan));
    } catch (error) {
      this.log("error", `schedule ${row.name}: could not claim ${iso(expected)}: ${messageOf(error)}`);
      return;
    }
    // Undefined: another agent claimed this instant, or the schedule changed
    // under us (paused, edited, removed); either way it is not ours to fire.
    if (!claimed) return;

    const scheduledFor = iso(plan.scheduledFor);
    if (plan.reason && plan.fire) this.log("info", `schedule ${row.name}: ${plan.reason}`);
    const admission = claimed.admission;
    if (!admission) {
      // A missed record is a finished run row: clients list it like one.
      if (claimed.missedRecord) this.deps.events.emit("run:finished", claimed.missedRecord);
      this.deps.events.emit("schedule:skipped", { trigger: row.name, runId: claimed.missedRecord?.id ?? null, scheduledFor, reason: plan.reason ?? "missed" });
      return;
    }
    if (admission.status === "skipped") {
      this.deps.events.emit("run:finished", admission.run);
      this.deps.events.emit("schedule:skipped", { trigger: row.name, runId: admission.run.id, scheduledFor, reason: admission.reason });
      return;
    }
    // `submit` announces the run (run:queued) and hands it to the pool.
    this.deps.submit(admission.run, admission.serialKey);
    this.deps.events.emit("schedule:fired", { trigger: row.name, runId: admission.run.id, scheduledFor });
  }

  /**
   * The claim of a due instant: its run (carrying the instants missed
   * before it), or, when nothing fires, a `skipped` record of the missed
   * instants so a user sees them and backfill can pick them up.
   */
  private claimOf(row: ScheduleRow, expected: number, plan: DuePlan): InstantClaim {
    const base = { workflowName: row.workflowName, workflowFile: row.workflowFile, triggerKind: "cron" as const, triggerId: row.id, triggerName: row.name, owner: this.deps.owner };
    const missed = missedOf(plan);
    if (plan.fire) {
      return { triggerId: row.id, expected, next: plan.next, run: { ...base, scheduledFor: plan.scheduledFor, overlap: row.config.overlap, missed } };
    }
    const missedRecord = missed && { ...base, scheduledFor: plan.missedLast ?? plan.scheduledFor, missed, error: plan.reason ?? "missed" };
    return { triggerId: row.id, expected, next: plan.next, run: null, missedRecord };
  }

  private log(level: "info" | "warn" | "error", message: string): void {
    this.deps.events.emit("agent:log", { level, message });
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function rotate<T>(items: T[]): T[] {
  const start = Math.floor(Math.random() * items.length);
  return [...items.slice(start), ...items.slice(0, start)];
}
