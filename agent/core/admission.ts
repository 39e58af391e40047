// Admission: whether a run asked for now is queued or recorded as skipped,
// and which other runs it must not overlap. The one rule every starter
// follows — the scheduler's claims, webhooks, watchers, run-now — applied by
// the store inside the transaction that writes the run's row. Pure.
import type { BackfillResult, OverlapPolicy } from "../protocol";
import { decideOverlap, overlapSkipReason } from "./schedulePolicy";

export interface ActiveOfTrigger {
  running: number;
  queued: number;
}

export type AdmissionDecision = { status: "queued"; serialKey?: string } | { status: "skipped"; reason: string };

/**
 * `parallel` (the default, and any run without a trigger) always queues.
 * `skip` and `queue` look at the trigger's active runs; a queued run of a
 * `queue` trigger carries the trigger's name as its serial key, so the pool
 * starts it only once the one before has finished.
 */
export function decideAdmission(overlap: OverlapPolicy | undefined, triggerName: string | null | undefined, active: ActiveOfTrigger): AdmissionDecision {
  const policy = overlap ?? "parallel";
  if (policy === "parallel" || !triggerName) return { status: "queued" };
  if (decideOverlap(policy, active) === "skip") return { status: "skipped", reason: overlapSkipReason(policy, active) };
  return policy === "queue" ? { status: "queued", serialKey: triggerName } : { status: "queued" };
}

/** Whether admission must count the trigger's active runs at all. */
export const needsActiveCount = (overlap: OverlapPolicy | undefined, triggerName: string | null | undefined): boolean =>
  (overlap ?? "parallel") !== "parallel" && !!triggerName;

/**
 * The serial key of a queued run resumed after a restart: a trigger that
 * never runs two at once (`queue`, `skip`) gets its resumed runs one after
 * another, in order.
 */
export function resumedSerialKey(overlap: OverlapPolicy | undefined, triggerName: string | null): string | undefined {
  return triggerName && (overlap === "queue" || overlap === "skip") ? triggerName : undefined;
}

export type BackfillConcurrency = BackfillResult["concurrency"];

/**
 * How a backfill's runs are spread. `--max-parallel N` wins; otherwise the
 * schedule's overlap policy: `parallel` runs them as the agent's
 * concurrency allows, `skip` and `queue` one at a time. They are queued,
 * never skipped: a backfill is deliberate, so the policy orders its runs
 * instead of dropping them.
 */
export function backfillConcurrency(overlap: OverlapPolicy, maxParallel?: number): BackfillConcurrency {
  if (maxParallel !== undefined) return { kind: "limited", max: maxParallel };
  return overlap === "parallel" ? { kind: "parallel" } : { kind: "serial" };
}

/**
 * The serial key of the `index`-th backfill run (oldest first). One at a
 * time shares the schedule's own key, so backfill runs never overlap its
 * fires either; `limited` deals the runs into N lanes, each in order.
 */
export function backfillSerialKey(concurrency: BackfillConcurrency, triggerName: string, index: number): string | undefined {
  switch (concurrency.kind) {
    case "serial":
      return triggerName;
    case "limited":
      // A space never appears in a trigger name, so no trigger's own key is a lane's.
      return `${triggerName} backfill lane ${index % concurrency.max}`;
    case "parallel":
      return undefined;
  }
}
