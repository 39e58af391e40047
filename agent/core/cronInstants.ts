// Every instant a schedule gives in a range of time, counted exactly and
// listed up to a limit: what backfill runs and what a missed-instants report
// says. Pure; time is passed in.
//
// Asking croner for each instant costs about a millisecond (its zone
// arithmetic), so a year of an hourly schedule would take seconds and a
// week of a per-second one minutes. Instead this walks the range one local
// day at a time. On an ordinary day (one UTC offset all day) a schedule
// either does not fire at all or fires at exactly the times of day its
// second, minute and hour fields list, so one croner call per day says
// which, and the instants are those times on that date. Days with an offset
// change are where the DST rules of core/cron.ts apply; there croner answers
// for every instant near the change, and the rest of the day is ordinary
// again on either side of it. Each day's first instant is checked against
// croner's, so the shortcut can never silently disagree with the scheduler.
import { invalid } from "../errors";
import { nextFireAfter, type CronSpec } from "./cron";
import { normalizeCron, timeFieldValues } from "./cronSyntax";
import { offsetChange, zoneDayFrom, type ZoneDay } from "./zoneDays";

export interface InstantSpan {
  /** Every instant in the range, counted exactly. */
  count: number;
  /** The first `keep` of them, oldest first. */
  instants: number[];
  /** The latest instant in the range, or null when there is none. */
  last: number | null;
}

/** A day with at most this many fires is walked instant by instant when its offset changes. */
const WALK_LIMIT = 48;
/** Around an offset change, croner answers for this much more than the affected time on either side. */
const CHANGE_MARGIN_MS = 60_000;

/** The instants of `spec` in [fromMs, toMs), oldest first; `keep` bounds the list, never the count. */
export function instantsBetween(spec: CronSpec, fromMs: number, toMs: number, keep: number): InstantSpan {
  for (const [name, ms] of [["fromMs", fromMs], ["toMs", toMs]] as const) {
    if (!Number.isFinite(ms)) throw invalid(`cron: ${name} must be a finite number of milliseconds, got ${ms}`);
  }
  if (!(keep >= 0)) throw invalid(`cron: keep must be a number of instants of at least 0, got ${keep}`);
  const span = new Collector(keep);
  const times = timesOfDay(spec);
  let cursor = fromMs;
  let day: ZoneDay | null = null;
  while (cursor < toMs) {
    const first = nextFireAfter(spec, cursor - 1);
    if (first === null || first >= toMs) break;
    day = zoneDayFrom(spec.timezone, day, first);
    const end = Math.min(day.end, toMs);
    addDay(span, spec, times, day, first, end);
    cursor = day.end;
  }
  return span.result();
}

/** Times of day (ms after local midnight) the second, minute and hour fields give, ascending. */
export function timesOfDay(spec: CronSpec): number[] {
  const [second, minute, hour] = normalizeCron(spec.expression).describable.split(" ") as [string, string, string];
  const seconds = timeFieldValues("second", second);
  const minutes = timeFieldValues("minute", minute);
  const times: number[] = [];
  for (const h of timeFieldValues("hour", hour)) for (const m of minutes) for (const s of seconds) times.push(((h * 60 + m) * 60 + s) * 1000);
  return times;
}

/** Adds the instants of one local day from `first` (croner's first instant at or after the range start) to `end`. */
function addDay(span: Collector, spec: CronSpec, times: number[], day: ZoneDay, first: number, end: number): void {
  if (day.regular) {
    // Croner fired on this date, so the date matches: every listed time fires.
    if (addTimes(span, times, day.wallStart - day.offsetAtStart, first, end, first)) return;
    return walk(span, spec, first, end);
  }
  const change = offsetChange(spec.timezone, day.start, day.end);
  if (times.length <= WALK_LIMIT || change === null) return walk(span, spec, first, end);
  // Clocks going forward: only the instant of the change is special (times
  // in the gap fire there, or not at all). Going back: the repeated local
  // times after the change may fire again or not, by the DST rules.
  const repeated = Math.max(0, day.offsetAtStart - day.offsetAtEnd);
  const near = [Math.max(first, change - CHANGE_MARGIN_MS), Math.min(end, change + repeated + CHANGE_MARGIN_MS)] as const;
  if (first < near[0] && !addTimes(span, times, day.wallStart - day.offsetAtStart, first, near[0], first)) return walk(span, spec, first, end);
  if (near[0] < near[1]) walk(span, spec, near[0], near[1]);
  if (near[1] < end) addTimes(span, times, day.wallStart - day.offsetAtEnd, near[1], end, null);
}

/**
 * Adds `base + t` for every time of day t landing in [from, to). With
 * `expectedFirst`, first checks that the earliest of them is croner's first
 * instant, and adds nothing (returning false) when it is not.
 */
function addTimes(span: Collector, times: number[], base: number, from: number, to: number, expectedFirst: number | null): boolean {
  const lo = lowerBound(times, from - base);
  const hi = lowerBound(times, to - base);
  if (expectedFirst !== null && (lo >= hi || base + times[lo]! !== expectedFirst)) return false;
  span.addRun(hi - lo, (i) => base + times[lo + i]!);
  return true;
}

/** Croner's instants from `from` (inclusive) to `to` (exclusive), one call each. */
function walk(span: Collector, spec: CronSpec, from: number, to: number): void {
  let at = nextFireAfter(spec, from - 1);
  while (at !== null && at < to) {
    span.addRun(1, () => at!);
    at = nextFireAfter(spec, at);
  }
}

/** The first index whose value is at least `value`. */
function lowerBound(values: readonly number[], value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Collector {
  private count = 0;
  private last: number | null = null;
  private readonly instants: number[] = [];

  constructor(private readonly keep: number) {}

  /** Adds `n` ascending instants, the i-th given by `at(i)`; only those the list keeps are computed. */
  addRun(n: number, at: (i: number) => number): void {
    if (n <= 0) return;
    for (let i = 0; i < n && this.instants.length < this.keep; i++) this.instants.push(at(i));
    this.count += n;
    this.last = at(n - 1);
  }

  result(): InstantSpan {
    return { count: this.count, instants: this.instants, last: this.last };
  }
}
