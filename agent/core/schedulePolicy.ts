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
// - Every due instant that gets no run is reported, exactly counted, with
//   the oldest MISSED_LIST_LIMIT listed: on the catch-up run, or on the
//   `skipped` record the scheduler writes when nothing fires.
import type { CatchupPolicy, MissedInstants, OverlapPolicy } from "../protocol";
import { nextFireAfter, previousFireAtOrBefore, type CronSpec } from "./cron";
import { instantsBetween } from "./cronInstants";
import { reasonDuration } from "./durationText";
import { iso } from "./iso";

/** How long after its due instant a missed fire still counts for `catchup: once`. */
export const DEFAULT_CATCHUP_WINDOW_MS = 24 * 60 * 60 * 1000;
/** How late a fire may be and still count as on time, under either policy. */
export const DEFAULT_GRACE_MS = 60 * 1000;
/** How many missed instants a report lists (the count is always exact). */
export const MISSED_LIST_LIMIT = 50;

export interface DuePlan {
  /** Start a run now. */
  fire: boolean;
  /** The instant the run is for (`{run.scheduled_for}`); when not firing, the most recent missed instant. */
  scheduledFor: number;
  /** The new next_fire_at: the first instant strictly after `now`, or null when the schedule never fires again. */
  next: number | null;
  /** Due instants that will never get a run (not counting the one fired), counted exactly. */
  missed: number;
  /** The oldest of them, oldest first, at most MISSED_LIST_LIMIT. */
  missedInstants: number[];
  /** The latest of them; null when none was missed. */
  missedLast: number | null;
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
    return { fire: false, scheduledFor: nextFireAt, next: nextFireAt, missed: 0, missedInstants: [], missedLast: null, reason: "not due yet" };
  }

  const due = dueInstants(spec, nextFireAt, now);
  const latest = due.latest;
  const count = due.count;
  const plural = (n: number) => `${n} fire${n === 1 ? "" : "s"}`;
  const fired = (reason?: string): DuePlan => ({ fire: true, scheduledFor: latest, next: due.next, ...missedBesides(due, latest), ...(reason ? { reason } : {}) });
  const dropped = (reason: string): DuePlan => ({ fire: false, scheduledFor: latest, next: due.next, ...missedBesides(due, null), reason });

  if (now - nextFireAt <= graceMs) {
    return fired(count > 1 ? `late by ${reasonDuration(now - nextFireAt)}: fired once for the latest due instant, ${plural(count - 1)} dropped` : undefined);
  }
  if (catchup === "skip") return dropped(`missed ${plural(count)} since ${iso(nextFireAt)}; catchup: skip fires none of them`);
  if (now - latest <= catchupWindowMs) {
    return fired(`catch-up: fired once for ${iso(latest)} after missing ${plural(count)} since ${iso(nextFireAt)}`);
  }
  return dropped(`missed ${plural(count)}; the latest (${iso(latest)}) is older than the catch-up window of ${reasonDuration(catchupWindowMs)}`);
}

interface DueInstants {
  count: number;
  /** The oldest, at most MISSED_LIST_LIMIT + 1 (one more, in case the fired one is among them). */
  oldest: number[];
  latest: number;
  /** The due instant before the latest; null when only one is due. */
  beforeLatest: number | null;
  /** The first instant after now. */
  next: number | null;
}

/** The due instants in [nextFireAt, now]: how many (exactly), the oldest, the latest, and the first one after now. */
function dueInstants(spec: CronSpec, nextFireAt: number, now: number): DueInstants {
  // The usual case, one instant due, costs one cron evaluation.
  const following = nextFireAfter(spec, nextFireAt);
  if (following === null || following > now) return { count: 1, oldest: [nextFireAt], latest: nextFireAt, beforeLatest: null, next: following };
  const span = instantsBetween(spec, nextFireAt, now + 1, MISSED_LIST_LIMIT + 1);
  // `nextFireAt` is due by definition, even if the schedule was edited since it was computed.
  if (span.count === 0 || span.instants[0] !== nextFireAt) {
    span.count += 1;
    span.instants.unshift(nextFireAt);
    span.last = Math.max(span.last ?? nextFireAt, nextFireAt);
  }
  const latest = span.last!;
  let beforeLatest: number | null = null;
  if (span.count >= 2) {
    beforeLatest = span.instants.length >= span.count ? span.instants[span.count - 2]! : (previousFireAtOrBefore(spec, latest - 1) ?? nextFireAt);
  }
  return { count: span.count, oldest: span.instants, latest, beforeLatest, next: nextFireAfter(spec, now) };
}

/** The missed part of a plan: every due instant but `fired` (the latest, when one fires). */
function missedBesides(due: DueInstants, fired: number | null): Pick<DuePlan, "missed" | "missedInstants" | "missedLast"> {
  const missed = fired === null ? due.count : due.count - 1;
  if (missed === 0) return { missed: 0, missedInstants: [], missedLast: null };
  const listed = due.oldest.filter((at) => at !== fired).slice(0, MISSED_LIST_LIMIT);
  return { missed, missedInstants: listed, missedLast: fired === null ? due.latest : due.beforeLatest };
}

/** A plan's missed instants as a run records them; null when none was missed. */
export function missedOf(plan: Pick<DuePlan, "missed" | "missedInstants" | "missedLast">): MissedInstants | null {
  if (plan.missed === 0 || plan.missedLast === null) return null;
  return { count: plan.missed, instants: plan.missedInstants.map((at) => iso(at)), last: iso(plan.missedLast) };
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
