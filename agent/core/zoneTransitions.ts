// A zone's UTC offsets and the instants they change (daylight saving time,
// and the rarer changes of a zone's standard time), read from the runtime's
// own time zone data through Intl. JavaScript has no API that lists a zone's
// transitions, so each UTC year is sampled once a day, each change is
// narrowed down to its second by bisection, and the result is cached per zone
// and year. Sampling once a day assumes a zone never changes its offset twice
// within 24 hours and returns to where it was, which no zone has done since
// the tz database's rules became regular; the cron module relies on the same
// assumption when it looks for the transition a fire falls next to.
// Pure: no IO, the same answer for the same runtime.

/** One change of a zone's offset. Offsets are milliseconds to add to UTC to get local wall-clock time. */
export interface ZoneTransition {
  /** The first instant of the new offset. */
  at: number;
  /** The offset just before `at`. */
  before: number;
  /** The offset from `at` on. */
  after: number;
}

const DAY_MS = 86_400_000;
const SECOND_MS = 1000;

interface YearOffsets {
  /** The offset just before the year starts. */
  startOffset: number;
  /** The year's transitions, oldest first. */
  transitions: ZoneTransition[];
}

// A year costs about 370 Intl calls to sample, and schedules ask about the
// same few zones and years over and over. Bounded, cleared when full.
const YEAR_CACHE_LIMIT = 2048;
const years = new Map<string, YearOffsets>();
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset at an instant, in milliseconds: local wall-clock time is `ms + offsetAt(zone, ms)`. */
export function offsetAt(zone: string, ms: number): number {
  const { startOffset, transitions } = yearOffsets(zone, utcYear(ms));
  let offset = startOffset;
  for (const transition of transitions) {
    if (transition.at > ms) break;
    offset = transition.after;
  }
  return offset;
}

/** The zone's transitions with `fromMs < at <= toMs`, oldest first. */
export function transitionsBetween(zone: string, fromMs: number, toMs: number): ZoneTransition[] {
  const found: ZoneTransition[] = [];
  for (let year = utcYear(fromMs); year <= utcYear(toMs); year++) {
    for (const transition of yearOffsets(zone, year).transitions) {
      if (transition.at > fromMs && transition.at <= toMs) found.push(transition);
    }
  }
  return found;
}

function yearOffsets(zone: string, year: number): YearOffsets {
  const key = `${zone}\u0000${year}`;
  const cached = years.get(key);
  if (cached !== undefined) return cached;
  const computed = sampleYear(zone, year);
  if (years.size >= YEAR_CACHE_LIMIT) years.clear();
  years.set(key, computed);
  return computed;
}

function sampleYear(zone: string, year: number): YearOffsets {
  const start = utcYearStart(year);
  const end = utcYearStart(year + 1);
  // The first sample is the last second before the year, so a transition at
  // its very first instant is found too; every sample is a whole second.
  const samples = [start - SECOND_MS];
  for (let at = start; at < end; at += DAY_MS) samples.push(at);
  samples.push(end - SECOND_MS);
  const startOffset = rawOffset(zone, samples[0]!);
  const transitions: ZoneTransition[] = [];
  let previous = startOffset;
  for (let i = 1; i < samples.length; i++) {
    const offset = rawOffset(zone, samples[i]!);
    if (offset === previous) continue;
    transitions.push({ at: firstSecondWith(zone, samples[i - 1]!, samples[i]!, previous), before: previous, after: offset });
    previous = offset;
  }
  return { startOffset, transitions };
}

/** The first whole second in (lo, hi] whose offset is no longer `oldOffset`; the offset at `hi` differs. */
function firstSecondWith(zone: string, lo: number, hi: number, oldOffset: number): number {
  while (hi - lo > SECOND_MS) {
    const mid = lo + Math.floor((hi - lo) / (2 * SECOND_MS)) * SECOND_MS;
    if (rawOffset(zone, mid) === oldOffset) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The offset Intl reports at an instant (to the second, as the tz database has it). */
function rawOffset(zone: string, ms: number): number {
  let format = formatters.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, format);
  }
  const field: Record<string, number> = {};
  for (const part of format.formatToParts(ms)) field[part.type] = Number(part.value);
  const wall = new Date(0);
  // setUTCFullYear, not Date.UTC, which would read years 0-99 as 1900-1999.
  wall.setUTCFullYear(field.year!, field.month! - 1, field.day!);
  wall.setUTCHours(field.hour! % 24, field.minute!, field.second!, 0);
  return wall.getTime() - Math.floor(ms / SECOND_MS) * SECOND_MS;
}

function utcYear(ms: number): number {
  return new Date(ms).getUTCFullYear();
}

function utcYearStart(year: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, 0, 1);
  return date.getTime();
}
