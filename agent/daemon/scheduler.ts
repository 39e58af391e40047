// The scheduler loop: it only does timing. It sleeps until the earliest
// `next_fire_at` in the store (one index seek), wakes at most 30 s later
// anyway so that a suspended laptop or a clock jump is noticed, and wakes at
// once when a trigger changes. For each due schedule it asks the pure policy
// (core/schedulePolicy) what to do and claims the instant in one transaction:
// `next_fire_at` advances from the value it read (guarded, so another agent on
// the same store cannot claim it too) together with the insert of the run
// row. Execution then waits in the run pool if it must; the fire itself never
// waits for another workflow.
import { decideOverlap, overlapSkipReason, planDue, type DuePlan } from "../core/schedulePolicy";
import { messageOf } from "../errors";
import type { Events } from "../events";
import type { RunSummary } from "../protocol";
import type { Store } from "../store";
import type { ScheduleRow } from "../store/triggers";
import { scheduleSpec } from "./triggerOps";

/** Wake-ups are capped so that suspend and clock jumps are noticed within this long. */
export const MAX_SLEEP_MS = 30_000;
const BATCH = 200;

export interface SchedulerDeps {
  store: Store;
  events: Events;
  /** Hands a queued run to the run pool; `serialKey` keeps a trigger's runs from overlapping. */
  submit(run: RunSummary, serialKey?: string): void;
  ownerPid: number;
  now?: () => number;
  maxSleepMs?: number;
  catchupWindowMs?: number;
}

type Claimed =
  | { kind: "missed" }
  | { kind: "skipped"; run: RunSummary; reason: string }
  | { kind: "start" | "queue"; run: RunSummary };

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
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
    try {
      this.fireDue();
    } catch (error) {
      this.log("error", `scheduler: ${messageOf(error)}`);
    }
    this.arm();
  }

  private arm(): void {
    if (!this.running) return;
    const maxSleep = this.deps.maxSleepMs ?? MAX_SLEEP_MS;
    let delay = maxSleep;
    try {
      const earliest = this.deps.store.triggers.earliestFire();
      if (earliest) delay = Math.min(maxSleep, Math.max(0, earliest.at - this.now()));
    } catch (error) {
      this.log("error", `scheduler: ${messageOf(error)}`);
    }
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private fireDue(): void {
    // Batches keep one tick bounded; the loop ends once a batch comes back
    // short (everything due now has been handled).
    for (;;) {
      const now = this.now();
      const due = this.deps.store.triggers.due(now, BATCH);
      for (const row of due) {
        if (!this.running) return;
        this.fireOne(row, now);
      }
      if (due.length < BATCH) return;
    }
  }

  private fireOne(row: ScheduleRow, now: number): void {
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
      this.deps.store.triggers.update(row.name, { nextFireAt: null, stateError: message });
      this.log("error", `schedule ${row.name}: ${message}`);
      return;
    }

    let claimed: Claimed | undefined;
    try {
      claimed = this.deps.store.triggers.claim(row.id, expected, plan.next, () => this.admit(row, plan));
    } catch (error) {
      this.log("error", `schedule ${row.name}: could not claim ${iso(expected)}: ${messageOf(error)}`);
      return;
    }
    // Undefined: another agent claimed this instant, or the schedule changed
    // under us (paused, edited, removed); either way it is not ours to fire.
    if (!claimed) return;

    const scheduledFor = iso(plan.scheduledFor);
    if (plan.reason && plan.fire) this.log("info", `schedule ${row.name}: ${plan.reason}`);
    if (claimed.kind === "missed") {
      this.deps.events.emit("schedule:skipped", {
        trigger: row.name,
        runId: null,
        scheduledFor,
        reason: plan.reason ?? "missed",
      });
      return;
    }
    if (claimed.kind === "skipped") {
      this.deps.events.emit("run:finished", claimed.run);
      this.deps.events.emit("schedule:skipped", {
        trigger: row.name,
        runId: claimed.run.id,
        scheduledFor,
        reason: claimed.reason,
      });
      return;
    }
    // `submit` announces the run (run:queued) and hands it to the pool.
    this.deps.submit(claimed.run, row.config.overlap === "queue" ? row.name : undefined);
    this.deps.events.emit("schedule:fired", { trigger: row.name, runId: claimed.run.id, scheduledFor });
  }

  /** Runs inside the claim transaction: the overlap decision and the run row. */
  private admit(row: ScheduleRow, plan: DuePlan): Claimed {
    if (!plan.fire) return { kind: "missed" };
    const { runs } = this.deps.store;
    const active = runs.activeRuns().filter((r) => r.triggerName === row.name);
    const state = {
      running: active.filter((r) => r.status === "running").length,
      queued: active.filter((r) => r.status === "queued").length,
    };
    const decision = decideOverlap(row.config.overlap, state);
    const base = {
      workflowName: row.workflowName,
      workflowFile: row.workflowFile,
      triggerKind: "cron" as const,
      triggerId: row.id,
      triggerName: row.name,
      scheduledFor: plan.scheduledFor,
      ownerPid: this.deps.ownerPid,
    };
    if (decision === "skip") {
      const reason = overlapSkipReason(row.config.overlap, state);
      return { kind: "skipped", reason, run: runs.insertRun({ ...base, status: "skipped", error: reason }) };
    }
    return { kind: decision, run: runs.insertRun({ ...base, status: "queued" }) };
  }

  private log(level: "info" | "warn" | "error", message: string): void {
    this.deps.events.emit("agent:log", { level, message });
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
