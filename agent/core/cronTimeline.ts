// Where a schedule's wall-clock times become instants: the one place the
// daylight saving rules of docs/schedules.md live. The pattern matcher knows
// nothing about zones (it matches local wall-clock time written as if it were
// UTC, "wall" below); this module walks the zone's offsets and applies:
//
// - Spring forward (a gap): every matching local time inside the gap fires
//   once, at the gap's end, the first valid instant after it. "20 2 * * *",
//   "0,20,40 2 * * *", "*/20 2 * * *" and "* 2 * * *" all fire once at 03:00
//   on the day New York skips 02:00-02:59.
// - Fall back (an overlap): a schedule that fires in every hour of the day
//   (`everyHour`: its hour field, however written, covers 0-23) follows real
//   time and fires a repeated time on both passes; any other schedule fires a
//   repeated time once, at its first occurrence.
//
// Both rules depend only on which times a schedule names, never on how the
// expression spells them.
//
// Upstream note (croner 11). Given a timezone, croner decides how to treat a
// DST transition from the spelling of the pattern (its `fixedTimeRule`
// option): a pattern with a `*` or a step in the seconds, minutes or hours
// ("interval job") skips times inside a gap and fires repeated times twice;
// any other ("fixed-time job") fires a gap's times at its end and repeated
// times once. Two spellings of the same times therefore disagree:
//
//   const opts = { timezone: "America/New_York", fixedTimeRule: "no-wildcard" };
//   const from = new Date("2027-03-14T05:00:00Z");
//   new Cron("0,20,40 2 * * *", opts).nextRun(from); // 2027-03-14T07:00:00Z (03:00 EDT)
//   new Cron("*/20 2 * * *", opts).nextRun(from);    // 2027-03-15T06:00:00Z (the day is skipped)
//
// and on 2027-11-07 "0,20,40 1 * * *" fires 3 times, "*/20 1 * * *" 6 times.
// With the default rule ("single-value") the list joins the step instead, and
// "20 2 * * *" disagrees with "0,20,40 2 * * *". No option makes the answer
// depend on the times alone, so croner is used here only as a wall-clock
// matcher (a UTC offset of 0, where no time is missing or repeated), and the
// zone's offsets come from zoneTransitions.ts.
import { offsetAt, transitionsBetween, type ZoneTransition } from "./zoneTransitions";

/** A cron pattern's matches on the local wall clock, written as if local time were UTC. */
export interface WallClock {
  /** The first matching wall-clock time strictly after `wall`, or null. */
  nextAfter(wall: number): number | null;
  /** The last matching wall-clock time at or before `wall`, or null. */
  lastAtOrBefore(wall: number): number | null;
}

/** A schedule on the real timeline: its wall-clock matches, its zone, and its overlap rule. */
export interface Timeline {
  clock: WallClock;
  zone: string;
  /** The schedule fires in every hour of the day, so it fires repeated times on both passes. */
  everyHour: boolean;
}

const DAY_MS = 86_400_000;

/** The first fire strictly after `afterMs`, or null if there is none. */
export function nextInstantAfter(timeline: Timeline, afterMs: number): number | null {
  const { clock, zone } = timeline;
  // Fires are looked for in (cursor, ...) under one offset at a time; the
  // offset holds until the next transition after `spanStart`.
  let cursor = afterMs;
  let spanStart = afterMs;
  let offset = offsetAt(zone, afterMs);
  let firstNewWall = firstWallNotRepeated(timeline, lastTransitionWithinDay(zone, afterMs));
  for (;;) {
    const wall = clock.nextAfter(Math.max(cursor + offset, firstNewWall - 1));
    if (wall === null) return null;
    const instant = wall - offset;
    const [change] = transitionsBetween(zone, spanStart, instant);
    if (change === undefined) return instant;
    if (gapHasMatch(clock, change)) return change.at;
    cursor = change.at - 1;
    spanStart = change.at;
    offset = change.after;
    firstNewWall = firstWallNotRepeated(timeline, change);
  }
}

/** The last fire at or before `atMs`, or null if there is none. */
export function lastInstantAtOrBefore(timeline: Timeline, atMs: number): number | null {
  const { clock, zone } = timeline;
  let cursor = atMs;
  let offset = offsetAt(zone, atMs);
  for (;;) {
    const wall = clock.lastAtOrBefore(cursor + offset);
    if (wall === null) return null;
    const instant = wall - offset;
    const change = transitionsBetween(zone, instant, cursor).at(-1);
    if (change !== undefined) {
      // No match between the transition and the cursor; the gap's end may fire.
      if (gapHasMatch(clock, change)) return change.at;
      cursor = change.at - 1;
      offset = change.before;
      continue;
    }
    const spanChange = lastTransitionWithinDay(zone, instant);
    if (spanChange === undefined || wall >= firstWallNotRepeated(timeline, spanChange)) return instant;
    // A second pass over a repeated time: every earlier wall time under this
    // offset repeats too, so the answer lies before the transition.
    cursor = spanChange.at - 1;
    offset = spanChange.before;
  }
}

/** Whether a spring-forward transition skips a matching wall-clock time (which then fires at `at`). */
function gapHasMatch(clock: WallClock, change: ZoneTransition): boolean {
  if (change.after <= change.before) return false;
  const wall = clock.nextAfter(change.at + change.before - 1);
  return wall !== null && wall < change.at + change.after;
}

/**
 * The first wall-clock time after a transition that had not happened before
 * it; -Infinity when every time fires (no fall-back, or an every-hour schedule).
 */
function firstWallNotRepeated(timeline: Timeline, change: ZoneTransition | undefined): number {
  if (timeline.everyHour || change === undefined || change.after >= change.before) return -Infinity;
  return change.at + change.before;
}

/** The latest transition in the day up to `ms`: the only one whose repeated times can reach `ms`. */
function lastTransitionWithinDay(zone: string, ms: number): ZoneTransition | undefined {
  return transitionsBetween(zone, ms - DAY_MS, ms).at(-1);
}
