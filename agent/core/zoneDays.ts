// Local calendar days of an IANA zone, as UTC instants: where a day starts
// and ends and whether its UTC offset stays the same all day. Instant
// enumeration (cronInstants.ts) walks time day by day with these. Offsets
// and their changes come from zoneTransitions.ts, the one reader of them.
// Pure: Intl answers from the zone database, nothing reads the clock.
import { offsetAt, transitionsBetween } from "./zoneTransitions";

const DAY_MS = 86_400_000;

export interface ZoneDay {
  /** The local date's midnight written as if it were UTC (Date.UTC(y, m, d)): local wall time = instant + offset. */
  wallStart: number;
  /** The first instant of the local date (its midnight, or the end of a gap that swallowed it). */
  start: number;
  /** The first instant of the next local date. */
  end: number;
  /** The offset at `start` and just before `end` (ms, local minus UTC). */
  offsetAtStart: number;
  offsetAtEnd: number;
  /** The offset is the same all day and both ends are true local midnights: local time = UTC + offsetAtStart throughout. */
  regular: boolean;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The local wall time of `ms` in `zone`, written as if it were UTC, to the second. */
export function wallTime(zone: string, ms: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/**
 * The instant a local wall time names: for a time inside a gap (a clock
 * jumping forward over it), the instant the gap ends; for a repeated time,
 * one of its two instants (the same one every time, which is all day
 * boundaries need).
 */
export function instantOfWall(zone: string, wall: number): number {
  const guess = wall - offsetAt(zone, wall - offsetAt(zone, wall));
  if (wallTime(zone, guess) === wall) return guess;
  // In a gap: the instants the offsets before and after it would give
  // bracket the jump; the gap ends where the offset changes.
  const a = wall - offsetAt(zone, wall - DAY_MS);
  const b = wall - offsetAt(zone, wall + DAY_MS);
  return offsetChange(zone, Math.min(a, b), Math.max(a, b) + 1) ?? guess;
}

/** The local day that contains `ms`. */
export function zoneDay(zone: string, ms: number): ZoneDay {
  const wall = wallTime(zone, ms);
  const wallStart = wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
  let start = instantOfWall(zone, wallStart);
  let end = instantOfWall(zone, wallStart + DAY_MS);
  // A midnight inside a gap, or arithmetic that missed `ms`: keep the day
  // around `ms` anyway, marked irregular so nobody assumes its shape.
  let exact = start + offsetAt(zone, start) === wallStart && end + offsetAt(zone, end) === wallStart + DAY_MS;
  if (start > ms) {
    start = ms;
    exact = false;
  }
  if (end <= ms) {
    end = ms + 1000;
    exact = false;
  }
  const offsetAtStart = offsetAt(zone, start);
  const offsetAtEnd = offsetAt(zone, end - 1);
  return { wallStart, start, end, offsetAtStart, offsetAtEnd, regular: exact && offsetAtStart === offsetAtEnd && end - start === DAY_MS };
}

/**
 * The local day that contains `ms`, a day after `previous` (a regular one)
 * or later: when the offset where that day would start and end is the one
 * `previous` ended with, the day is `previous` moved by whole days (two
 * zone lookups instead of a dozen); otherwise it is worked out afresh.
 */
export function zoneDayFrom(zone: string, previous: ZoneDay | null, ms: number): ZoneDay {
  if (!previous?.regular || ms < previous.end) return zoneDay(zone, ms);
  const days = Math.floor((ms - previous.end) / DAY_MS);
  const start = previous.end + days * DAY_MS;
  const offset = previous.offsetAtEnd;
  if (offsetAt(zone, start) !== offset || offsetAt(zone, start + DAY_MS - 1) !== offset) return zoneDay(zone, ms);
  // The same offset as at a local midnight, a whole number of days later: a local midnight again.
  return { wallStart: previous.wallStart + (days + 1) * DAY_MS, start, end: start + DAY_MS, offsetAtStart: offset, offsetAtEnd: offset, regular: true };
}

/**
 * The instant within [from, to) where the offset changes from its value at
 * `from` (to the second), or null when it does not change there.
 */
export function offsetChange(zone: string, from: number, to: number): number | null {
  return transitionsBetween(zone, from, to - 1)[0]?.at ?? null;
}
