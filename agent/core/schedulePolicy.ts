// What a schedule does when an instant is due: whether to fire (and for
// which instant), where its next fire moves, and what to do when the previous
// fire is still running. Pure: the scheduler passes the clock in.
//
// Decisions (documented for users in docs/schedules.md):
// - Never a burst. However many instants were missed, one call fires at most
//   once, and the next fire is always moved past `now`.
// - A fire is on time when the scheduler gets to it within the grace period
//   (DEFAULT_GRACE_MS, one minute: the resolution of classic cron) after its
//   first due instant. On-time fires happen under either catch-up policy.
// - Later than that, the schedule was missed (agent down, machine asleep):
//   `catchup: once` fires once, for the most recent missed instant, if that
//   instant lies within the catch-up window (DEFAULT_CATCHUP_WINDOW_MS, 24 h,
//   like a daily job that should still run if the laptop slept through it);
//   `catchup: skip` fires nothing.
import type { CatchupPolicy, OverlapPolicy } from "../protocol";
import { nextFireAfter, previousFireAtOrBefore, type CronSpec } from "./cron";
import { reasonDuration } from "./durationText";
import { iso } from "./iso";

/** How long after its due instant a missed fire still counts for `catchup: once`. */
export const DEFAULT_CATCHUP_WINDOW_MS = 24 * 60 * 60 * 1000;
/** How late a fire may be and still count as on time, under either policy. */
export const DEFAULT_GRACE_MS = 60 * 1000;
/** Counting missed instants stops here; `missed` is then a lower bound. Only second-level schedules get near it. */
export const MISSED_COUNT_LIMIT = 1000;

export interface DuePlan {
  /** Start a run now. */
  fire: boolean;
  /** The instant the run is for (`{run.scheduled_for}`); when not firing, the most recent missed instant. */
  scheduledFor: number;
  /** The new next_fire_at: the first instant strictly after `now`, or null when the schedule never fires again. */
  next: number | null;
  /** Due instants that will never get a run (not counting the one fired). */
  missed: number;
  /** Why, when this was anything but one ordinary on-time fire. */
  reason?: string;
}

export interface PlanDueArgs {
  spec: CronSpec;
  nextFireAt: number;
  now: number;
  catchup: CatchupPolicy;
  catchupWindowMs?: number;
  graceMs?: number;
}

/**
 * Called when a schedule's next_fire_at <= now. Decides whether to fire (and
 * for which instant) and what next_fire_at becomes. Never a burst: however
 * many instants were missed, at most one fire.
 */
export function planDue(args: PlanDueArgs): DuePlan {
  const { spec, nextFireAt, now, catchup } = args;
  const catchupWindowMs = args.catchupWindowMs ?? DEFAULT_CATCHUP_WINDOW_MS;
  const graceMs = args.graceMs ?? DEFAULT_GRACE_MS;
  if (nextFireAt > now) {
    return { fire: false, scheduledFor: nextFireAt, next: nextFireAt, missed: 0, reason: "not due yet" };
  }

  const due = dueInstants(spec, nextFireAt, now);
  const latest = due.latest;
  const count = due.count;
  const plural = (n: number) => `${n}${due.exact ? "" : "+"} fire${n === 1 && due.exact ? "" : "s"}`;

  if (now - nextFireAt <= graceMs) {
    const plan: DuePlan = { fire: true, scheduledFor: latest, next: due.next, missed: count - 1 };
    if (count > 1) plan.reason = `late by ${reasonDuration(now - nextFireAt)}: fired once for the latest due instant, ${plural(count - 1)} dropped`;
    return plan;
  }
  if (catchup === "skip") {
    return {
      fire: false,
      scheduledFor: latest,
      next: due.next,
      missed: count,
      reason: `missed ${plural(count)} since ${iso(nextFireAt)}; catchup: skip fires none of them`,
    };
  }
  if (now - latest <= catchupWindowMs) {
    return {
      fire: true,
      scheduledFor: latest,
      next: due.next,
      missed: count - 1,
      reason: `catch-up: fired once for ${iso(latest)} after missing ${plural(count)} since ${iso(nextFireAt)}`,
    };
  }
  return {
    fire: false,
    scheduledFor: latest,
    next: due.next,
    missed: count,
    reason: `missed ${plural(count)}; the latest (${iso(latest)}) is older than the catch-up window of ${reasonDuration(catchupWindowMs)}`,
  };
}

/** The due instants in [nextFireAt, now]: how many, the latest, and the first one after now. */
function dueInstants(spec: CronSpec, nextFireAt: number, now: number) {
  let latest = nextFireAt;
  let count = 1;
  let cursor: number | null = nextFireAfter(spec, nextFireAt);
  while (cursor !== null && cursor <= now && count < MISSED_COUNT_LIMIT) {
    latest = cursor;
    count++;
    cursor = nextFireAfter(spec, cursor);
  }
  if (cursor !== null && cursor <= now) {
    // Too many to count one by one (a second-level schedule after a long
    // sleep): jump straight to the latest instant and the next one.
    const previous = previousFireAtOrBefore(spec, now);
    if (previous !== null && previous > latest) latest = previous;
    return { latest, count, exact: false, next: nextFireAfter(spec, now) };
  }
  return { latest, count, exact: true, next: cursor };
}

export type OverlapDecision = "start" | "queue" | "skip";

/**
 * What to do with a fire while earlier runs of the same schedule are running
 * or waiting. `queue` keeps at most one waiting: a fire that finds one
 * already queued is skipped, since the queued run will do the same work.
 */
export function decideOverlap(policy: OverlapPolicy, state: { running: number; queued: number }): OverlapDecision {
  if (policy === "parallel") return "start";
  const busy = state.running > 0 || state.queued > 0;
  if (!busy) return "start";
  if (policy === "queue" && state.queued === 0) return "queue";
  return "skip";
}

/** The reason recorded on a `skipped` run, so a user sees why it did not run. */
export function overlapSkipReason(policy: OverlapPolicy, state: { running: number; queued: number }): string {
  if (policy === "queue") {
    return "skipped: a run of this schedule is already waiting in the queue (overlap: queue keeps at most one waiting)";
  }
  const runs = state.running === 1 ? "the previous run is" : `${state.running} earlier runs are`;
  return `skipped: ${runs} still running (overlap: skip)`;
}

/** Pause/resume keep the cadence: on resume the next fire is the next instant of the same cron after now (no backlog). */
export function nextOnResume(spec: CronSpec, now: number): number | null {
  return nextFireAfter(spec, now);
}
