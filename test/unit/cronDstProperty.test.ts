// A property test of the cron engine across daylight saving transitions:
// random expressions (steps, ranges, wildcards, lists, names, seconds fields,
// both day fields) around the transitions of zones in both hemispheres, a
// zone with a 45-minute offset and 1-hour DST (Pacific/Chatham), one whose
// clocks move by 30 minutes (Australia/Lord_Howe) and one without DST
// (Asia/Kolkata). Every answer of nextFireAfter, previousFireAtOrBefore,
// nextFires and instantsBetween is compared with a brute-force reference
// that knows nothing of croner or of the engine's transition search: it walks
// UTC minutes (seconds, over a shorter window, for six-field expressions),
// reads each one's local wall-clock time from Intl, matches the fields itself
// and applies the rules of docs/schedules.md:
//
// - a wall-clock time skipped by a spring-forward jump fires once, at the
//   first instant after the jump;
// - a wall-clock time seen before fires again only when the schedule fires in
//   every hour of the day.
//
// Each expression is also tested respelled with plain values and ranges
// ("*/20" as "0,20,40", "*" as "0-59"): the same times must give the same
// instants, whatever the spelling.
//
// Seeded and reproducible: the seed is printed, and a failure names the seed,
// the zone, the case, the window, the expression and the first wrong answer.
// CLOCKWORK_CRON_SEED=<n> replays a run, CLOCKWORK_CRON_CASES=<n> sets the
// number of cases per zone.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nextFireAfter, nextFires, parseCron, previousFireAtOrBefore, type CronSpec } from "../../agent/core/cron";
import { instantsBetween } from "../../agent/core/cronInstants";

const SEED = Number(process.env.CLOCKWORK_CRON_SEED ?? 20270314);
const CASES_PER_ZONE = Number(process.env.CLOCKWORK_CRON_CASES ?? 40);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Minute windows reach this far either side of a transition: the whole local day of the change and its neighbours' edges. */
const MINUTE_REACH = 26 * HOUR;
/** Second windows (six-field expressions) are kept short: every second of them is walked. */
const SECOND_REACH = 40 * MINUTE;
const iso = (ms: number | null) => (ms === null ? "null" : new Date(ms).toISOString());

/** The zones, each with the instants its offset changes (checked by the walk itself) or, without DST, two ordinary instants. */
const ZONES: { zone: string; centers: string[]; changes: boolean }[] = [
  { zone: "America/New_York", changes: true, centers: ["2026-03-08T07:00Z", "2026-11-01T06:00Z", "2027-03-14T07:00Z", "2027-11-07T06:00Z"] },
  { zone: "Europe/Berlin", changes: true, centers: ["2026-03-29T01:00Z", "2026-10-25T01:00Z", "2027-03-28T01:00Z", "2027-10-31T01:00Z"] },
  { zone: "Australia/Sydney", changes: true, centers: ["2026-04-04T16:00Z", "2026-10-03T16:00Z", "2027-04-03T16:00Z", "2027-10-02T16:00Z"] },
  { zone: "America/Santiago", changes: true, centers: ["2026-04-05T03:00Z", "2026-09-06T04:00Z", "2027-04-04T03:00Z", "2027-09-05T04:00Z"] },
  { zone: "Pacific/Chatham", changes: true, centers: ["2026-04-04T14:00Z", "2026-09-26T14:00Z", "2027-04-03T14:00Z", "2027-09-25T14:00Z"] },
  { zone: "Australia/Lord_Howe", changes: true, centers: ["2026-04-04T15:00Z", "2026-10-03T15:30Z", "2027-04-03T15:00Z", "2027-10-02T15:30Z"] },
  { zone: "Asia/Kolkata", changes: false, centers: ["2026-03-08T07:00Z", "2027-11-07T06:00Z"] },
];

// ---------------------------------------------------------------------------
// Random numbers: mulberry32, seeded per zone so one zone can be replayed alone.

type Random = () => number;

function randomFor(seed: number, zone: string): Random {
  let state = seed >>> 0;
  for (const char of zone) state = Math.imul(state ^ char.charCodeAt(0), 0x9e3779b1) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (random: Random, from: number, to: number) => from + Math.floor(random() * (to - from + 1));
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

// ---------------------------------------------------------------------------
// Wall-clock time, straight from Intl: local time written as if it were UTC.

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallAt(zone: string, ms: number): number {
  let format = formatters.get(zone);
  if (!format) {
    const options = { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" } as const;
    format = new Intl.DateTimeFormat("en-US", options);
    formatters.set(zone, format);
  }
  const part: Record<string, number> = {};
  for (const { type, value } of format.formatToParts(ms)) part[type] = Number(value);
  return Date.UTC(part.year!, part.month! - 1, part.day!, part.hour! % 24, part.minute!, part.second!) + (ms % 1000);
}

interface Window {
  zone: string;
  center: number;
  /** Wall-clock time of every minute from `minuteStart - 1 minute` on. */
  minuteStart: number;
  minuteWalls: number[];
  /** Local hours around the center, and (more often) the skipped or repeated ones: the generator favours them. */
  nearHours: number[];
  changeHours: number[];
}

/**
 * Walls of every UTC minute of the window. Intl is asked once per half hour
 * and, where the offset differs at a half hour's two ends, once per minute
 * inside it: a zone's offset does not change and change back within 30 minutes.
 */
function buildWindow(zone: string, center: number, changes: boolean): Window {
  const minuteStart = center - MINUTE_REACH;
  const minuteWalls: number[] = [];
  for (let block = minuteStart - MINUTE; block < center + MINUTE_REACH; block += 30 * MINUTE) {
    const offsetAtStart = wallAt(zone, block) - block;
    const steady = wallAt(zone, block + 30 * MINUTE) - (block + 30 * MINUTE) === offsetAtStart;
    for (let minute = block; minute < block + 30 * MINUTE && minute < center + MINUTE_REACH; minute += MINUTE) {
      minuteWalls.push(steady ? minute + offsetAtStart : wallAt(zone, minute));
    }
  }
  const jumps = minuteWalls.flatMap((wall, i) => (i > 0 && wall - minuteWalls[i - 1]! !== MINUTE ? [minuteStart + (i - 1) * MINUTE] : []));
  assert.deepEqual(jumps, changes ? [center] : [], `${zone}: the offset should change ${changes ? `exactly at ${iso(center)}` : "nowhere"} in the window`);
  if (changes) {
    // The second walk derives seconds from minutes: the change must fall on a whole minute.
    assert.equal(wallAt(zone, center - 1000), wallAt(zone, center - MINUTE) + 59_000, `${zone}: the change at ${iso(center)} is not on a whole minute`);
  }
  /** The hours of the wall-clock times from `a` to `b`. */
  const hoursBetween = (a: number, b: number) => {
    const hours = new Set<number>();
    for (let wall = Math.floor(a / HOUR) * HOUR; wall <= b; wall += HOUR) hours.add(new Date(wall).getUTCHours());
    return [...hours];
  };
  const nearHours = hoursBetween(wallAt(zone, center - 2 * HOUR), wallAt(zone, center + 2 * HOUR));
  // The skipped or repeated wall-clock times run from the wall after the last second before the change to the wall at it.
  const changed = [wallAt(zone, center - 1000) + 1000, wallAt(zone, center)].sort((a, b) => a - b);
  const changeHours = changes ? hoursBetween(changed[0]!, changed[1]! - 1000) : nearHours;
  return { zone, center, minuteStart, minuteWalls, nearHours, changeHours };
}

// ---------------------------------------------------------------------------
// The reference matcher: its own reading of the fields, Vixie's OR of the day fields.

interface Fields {
  second: boolean[];
  minute: boolean[];
  hour: boolean[];
  dayOfMonth: boolean[];
  lastDayOfMonth: boolean;
  month: boolean[];
  dayOfWeek: boolean[];
  daysStar: [boolean, boolean];
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function fieldSet(text: string, min: number, max: number, names?: string[]): boolean[] {
  const set: boolean[] = Array(max + 1).fill(false);
  const value = (token: string) => (names?.includes(token.toUpperCase()) ? names.indexOf(token.toUpperCase()) + (min === 1 ? 1 : 0) : Number(token));
  for (const item of text.split(",")) {
    const [base = "", step = "1"] = item.split("/");
    const [from, to] = base === "*" || base === "?" ? [min, max] : base.includes("-") ? base.split("-").map(value) : [value(base), value(base)];
    for (let v = from!; v <= to!; v += Number(step)) set[v] = true;
  }
  return set;
}

function parseFields(expression: string): Fields {
  const parts = expression.split(" ");
  const [second, minute, hour, dom, month, dow] = parts.length === 6 ? parts : ["0", ...parts];
  // A step over the whole day-of-week field runs over 0-6 (docs/schedules.md); elsewhere 7 is Sunday too.
  const dayOfWeek = fieldSet(dow!, 0, dow!.startsWith("*") || dow === "?" ? 6 : 7, DAYS);
  if (dayOfWeek[7]) dayOfWeek[0] = true;
  return {
    second: fieldSet(second!, 0, 59),
    minute: fieldSet(minute!, 0, 59),
    hour: fieldSet(hour!, 0, 23),
    dayOfMonth: dom === "L" ? Array(32).fill(false) : fieldSet(dom!, 1, 31),
    lastDayOfMonth: dom === "L",
    month: fieldSet(month!, 1, 12, MONTHS),
    dayOfWeek,
    daysStar: [dom === "*" || dom === "?", dow === "*" || dow === "?"],
  };
}

function matches(fields: Fields, wall: number): boolean {
  const d = new Date(wall);
  if (!fields.second[d.getUTCSeconds()] || !fields.minute[d.getUTCMinutes()] || !fields.hour[d.getUTCHours()]) return false;
  if (!fields.month[d.getUTCMonth() + 1]) return false;
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  const domOk = fields.dayOfMonth[d.getUTCDate()]! || (fields.lastDayOfMonth && d.getUTCDate() === lastDay);
  const dowOk = fields.dayOfWeek[d.getUTCDay()]!;
  const [domStar, dowStar] = fields.daysStar;
  if (domStar && dowStar) return true;
  if (domStar) return dowOk;
  if (dowStar) return domOk;
  return domOk || dowOk;
}

// ---------------------------------------------------------------------------
// The reference: walk the instants one step at a time and apply the documented rules.

/**
 * Fires among `start + i * step` for the given walls (walls[0] is the wall of
 * `start - step`). A skipped wall-clock time that matches fires at the first
 * instant after the jump; a wall-clock time at or before one already passed
 * fires only when the schedule fires in every hour.
 */
function referenceFires(fields: Fields, walls: number[], start: number, step: number): Reference {
  const everyHour = fields.hour.every(Boolean);
  const reference: Reference = { fires: [], gapFires: 0, repeatsFired: 0, repeatsSkipped: 0 };
  let previous = walls[0]!;
  let latest = previous;
  for (let i = 1; i < walls.length; i++) {
    const wall = walls[i]!;
    const repeated = wall <= latest;
    let fire = matches(fields, wall);
    if (fire && repeated) {
      if (everyHour) reference.repeatsFired++;
      else reference.repeatsSkipped++;
      fire = everyHour;
    }
    for (let skipped = previous + step; !fire && skipped < wall; skipped += step) {
      fire = matches(fields, skipped);
      if (fire) reference.gapFires++;
    }
    if (fire) reference.fires.push(start + (i - 1) * step);
    latest = Math.max(latest, wall);
    previous = wall;
  }
  return reference;
}

interface Reference {
  fires: number[];
  /** Fires for a skipped wall-clock time that the schedule's own times did not already give. */
  gapFires: number;
  /** Repeated wall-clock times that fired again, or did not. */
  repeatsFired: number;
  repeatsSkipped: number;
}

/** The walk for one expression: every minute of the window, or every second near its center. */
function walk(fields: Fields, hasSeconds: boolean, window: Window): Reference & { from: number; to: number } {
  const { minuteStart, minuteWalls } = window;
  if (!hasSeconds) return { from: minuteStart, to: minuteStart + (minuteWalls.length - 1) * MINUTE, ...referenceFires(fields, minuteWalls, minuteStart, MINUTE) };
  const from = window.center - SECOND_REACH;
  const to = window.center + SECOND_REACH;
  const walls: number[] = [];
  for (let ms = from - 1000; ms < to; ms += 1000) {
    const minute = Math.floor((ms - minuteStart) / MINUTE);
    walls.push(minuteWalls[minute + 1]! + (ms - (minuteStart + minute * MINUTE)));
  }
  return { from, to, ...referenceFires(fields, walls, from, 1000) };
}

// ---------------------------------------------------------------------------
// Random expressions, favouring the hours and minutes around the transition.

function timeField(random: Random, max: number, near: number[], nearest = near): string {
  const value = () => {
    const which = random();
    return which < 0.55 ? pick(random, nearest) : which < 0.8 ? pick(random, near) : int(random, 0, max);
  };
  const range = () => {
    const a = value();
    const b = Math.min(max, a + int(random, 0, Math.ceil(max / 4)));
    return `${a}-${b}`;
  };
  const steps = max === 23 ? [1, 2, 3, 4, 6, 12] : [1, 2, 5, 7, 10, 15, 15, 20, 20, 30, 30, 45];
  const item = (): string => {
    const form = random();
    if (form < 0.45) return String(value());
    if (form < 0.6) return range();
    if (form < 0.85) return `*/${pick(random, steps)}`;
    return `${range()}/${pick(random, steps.slice(0, 4))}`;
  };
  const form = random();
  if (form < (max === 23 ? 0.22 : 0.04)) return "*";
  if (form < 0.75) return item();
  return Array.from({ length: int(random, 2, 3) }, item).join(",");
}

function dayOfMonthField(random: Random, localDay: number): string {
  const form = random();
  if (form < 0.62) return "*";
  if (form < 0.67) return "?";
  if (form < 0.8) return String(Math.max(1, localDay + int(random, -1, 1)));
  if (form < 0.87) return `${Math.max(1, localDay - int(random, 0, 3))}-${Math.min(31, localDay + int(random, 0, 3))}`;
  if (form < 0.91) return "L";
  if (form < 0.95) return `*/${int(random, 2, 5)}`;
  return `1,${localDay},${Math.min(28, localDay + 7)}`;
}

function monthField(random: Random, localMonth: number): string {
  const form = random();
  if (form < 0.7) return "*";
  if (form < 0.8) return String(localMonth);
  if (form < 0.87) return MONTHS[localMonth - 1]!;
  if (form < 0.94) return `${Math.max(1, localMonth - 1)}-${Math.min(12, localMonth + 1)}`;
  return `${localMonth},${(localMonth % 12) + 1}`;
}

function dayOfWeekField(random: Random, localWeekday: number): string {
  return pick(random, ["*", "*", "*", "*", "*", "?", String(localWeekday), localWeekday === 0 ? "7" : DAYS[localWeekday]!, "1-5", "MON-FRI", "*/2", "0,6", "SAT,SUN", `${(localWeekday + 1) % 7}`]);
}

function randomExpression(random: Random, window: Window): { expression: string; hasSeconds: boolean } {
  const local = new Date(wallAt(window.zone, window.center));
  const nearMinutes = [0, 0, 15, 30, 30, 44, 45, 46, 59, local.getUTCMinutes()];
  // Half the cases name the day of the change for sure, so the time fields meet the transition often.
  const days =
    random() < 0.5
      ? `${pick(random, ["*", "*", "?", String(local.getUTCDate())])} ${pick(random, ["*", "*", MONTHS[local.getUTCMonth()]!])} ${pick(random, ["*", "*", "?", DAYS[local.getUTCDay()]!])}`
      : `${dayOfMonthField(random, local.getUTCDate())} ${monthField(random, local.getUTCMonth() + 1)} ${dayOfWeekField(random, local.getUTCDay())}`;
  const time = `${timeField(random, 59, nearMinutes)} ${timeField(random, 23, window.nearHours, window.changeHours)}`;
  const hasSeconds = random() < 0.2;
  const seconds = hasSeconds ? `${timeField(random, 59, [0, 0, 30, 59])} ` : "";
  return { expression: `${seconds}${time} ${days}`, hasSeconds };
}

/** The same times in plain values and ranges: "*" as "0-59", "*\/20" as "0,20,40". */
function respelled(expression: string, fields: Fields): string {
  const plain = (set: boolean[]) => {
    const runs: string[] = [];
    for (let v = 0; v < set.length; v++) {
      if (!set[v]) continue;
      let end = v;
      while (set[end + 1]) end++;
      runs.push(end === v ? String(v) : `${v}-${end}`);
      v = end;
    }
    return runs.join(",");
  };
  const parts = expression.split(" ");
  const days = parts.slice(-3).join(" ");
  const time = `${plain(fields.minute)} ${plain(fields.hour)}`;
  return parts.length === 6 ? `${plain(fields.second)} ${time} ${days}` : `${time} ${days}`;
}

// ---------------------------------------------------------------------------
// The comparison.

interface Case {
  label: string;
  spec: CronSpec;
  from: number;
  to: number;
  fires: number[];
}

function checkCase(random: Random, { label, spec, from, to, fires }: Case, center: number): void {
  const where = (what: string) => `${label}\n  ${what}\n  expected (reference): ${fires.length} fires, first ${fires.slice(0, 4).map(iso).join(" ")}`;
  const span = instantsBetween(spec, from, to, Number.POSITIVE_INFINITY);
  const listed = span.instants;
  assert.equal(span.count, fires.length, where(`instantsBetween counted ${span.count}`));
  const diff = Array.from({ length: Math.max(listed.length, fires.length) }, (_, i) => i).find((i) => listed[i] !== fires[i]);
  assert.ok(
    diff === undefined,
    where(`instantsBetween(${iso(from)}, ${iso(to)}): ${listed.length} instants; #${diff} is ${iso(listed[diff!] ?? null)}, expected ${iso(fires[diff!] ?? null)}`),
  );
  const around = [center - 1, center, center + 1, center - 30 * MINUTE, center + 30 * MINUTE, center + 39 * MINUTE];
  const probes = [...around, ...Array.from({ length: 6 }, () => int(random, from, to - 1))].filter((probe) => probe >= from && probe < to);
  for (const probe of probes) {
    const expectedNext = fires.find((ms) => ms > probe) ?? null;
    const next = nextFireAfter(spec, probe);
    const nextOk = expectedNext === null ? next === null || next >= to : next === expectedNext;
    assert.ok(nextOk, where(`nextFireAfter(${iso(probe)}) = ${iso(next)}, expected ${expectedNext === null ? `none before ${iso(to)}` : iso(expectedNext)}`));
    const expectedPrevious = fires.findLast((ms) => ms <= probe) ?? null;
    const previous = previousFireAtOrBefore(spec, probe);
    const previousOk = expectedPrevious === null ? previous === null || previous < from : previous === expectedPrevious;
    assert.ok(previousOk, where(`previousFireAtOrBefore(${iso(probe)}) = ${iso(previous)}, expected ${expectedPrevious === null ? `none after ${iso(from)}` : iso(expectedPrevious)}`));
  }
  const preview = nextFires(spec, from - 1, Math.min(5, fires.length));
  assert.deepEqual(preview.map(iso), fires.slice(0, preview.length).map(iso), where(`nextFires(${iso(from - 1)}, 5)`));
}

describe(`cron fires across DST transitions match a brute-force reference (seed ${SEED}, ${CASES_PER_ZONE} expressions per zone)`, () => {
  for (const { zone, centers, changes } of ZONES) {
    it(`in ${zone}`, (t) => {
      t.diagnostic(`seed ${SEED}: replay with CLOCKWORK_CRON_SEED=${SEED}`);
      const random = randomFor(SEED, zone);
      const windows = centers.map((center) => buildWindow(zone, Date.parse(center), changes));
      const seen = { instants: 0, gap: 0, repeatsFired: 0, repeatsSkipped: 0, seconds: 0 };
      for (let n = 0; n < CASES_PER_ZONE; n++) {
        const window = pick(random, windows);
        let generated = randomExpression(random, window);
        let spec: CronSpec | undefined;
        while (spec === undefined) {
          try {
            spec = parseCron(generated.expression, zone);
          } catch {
            generated = randomExpression(random, window); // February 30th and the like: never fires.
          }
        }
        const fields = parseFields(generated.expression);
        const { from, to, fires, gapFires, repeatsFired, repeatsSkipped } = walk(fields, generated.hasSeconds, window);
        seen.instants += fires.length;
        seen.gap += gapFires > 0 ? 1 : 0;
        seen.repeatsFired += repeatsFired > 0 ? 1 : 0;
        seen.repeatsSkipped += repeatsSkipped > 0 ? 1 : 0;
        seen.seconds += generated.hasSeconds ? 1 : 0;
        // The respelled text is already normalized, so it is used as a spec directly: parseCron costs more than the checks.
        for (const expression of [spec.expression, respelled(spec.expression, fields)]) {
          const label = `seed ${SEED}, ${zone}, case ${n}, window around ${iso(window.center)}: "${expression}"${expression === spec.expression ? "" : ` (respelled from "${spec.expression}")`}`;
          checkCase(random, { label, spec: { expression, timezone: zone }, from, to, fires }, window.center);
        }
      }
      t.diagnostic(
        `${CASES_PER_ZONE} expressions (${seen.seconds} with seconds), each in two spellings, ${seen.instants} reference instants; ` +
          `${seen.gap} fire for a skipped time, ${seen.repeatsSkipped} skip and ${seen.repeatsFired} fire a repeated time`,
      );
      // The generator aims at the transitions; a change that stops it reaching them would leave the rules untested.
      if (changes) assert.ok(seen.gap > 0 && seen.repeatsSkipped > 0 && seen.repeatsFired > 0, `seed ${SEED}, ${zone}: the cases missed a rule: ${JSON.stringify(seen)}`);
    });
  }
});
