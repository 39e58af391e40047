// Cron schedules as pure functions: parse and validate, describe, and compute
// fire instants in a schedule's own IANA zone. Time is always passed in as
// milliseconds since the epoch; nothing here reads the clock.
//
// croner parses a pattern and matches it against local wall-clock time only
// (with a UTC offset of 0, so no time is ever missing or repeated); how those
// times become instants across daylight saving transitions is decided in one
// place, cronTimeline.ts, with the rules of docs/schedules.md: a time inside a
// spring-forward gap fires once, when the gap ends, and a repeated time fires
// on both passes only for a schedule that fires in every hour of the day.
// Neither depends on how the expression is spelled.
import { Cron } from "croner";
import { invalid, messageOf } from "../errors";
import type { CronPreview } from "../protocol";
import { describeNormalized } from "./cronDescription";
import { normalizeCron, type NormalizedCron } from "./cronSyntax";
import { lastInstantAtOrBefore, nextInstantAfter, type Timeline } from "./cronTimeline";
import { iso } from "./iso";
import { currentZoneName, listTimezones } from "./timezones";

export interface CronSpec {
  /** The normalized expression (trimmed, single-spaced, nicknames lower-case). */
  expression: string;
  /** A valid IANA zone name. */
  timezone: string;
}

/** The most fire instants one preview may ask for. */
export const MAX_PREVIEW_COUNT = 1000;

/** The machine's IANA zone in its current spelling, or UTC when the runtime does not know it. */
export function defaultTimezone(): string {
  try {
    const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    return zone ? validateTimezone(currentZoneName(zone)) : "UTC";
  } catch {
    return "UTC";
  }
}

let knownZones: Map<string, string> | undefined;

/**
 * Returns the zone's name with its usual spelling ("america/new_york" →
 * "America/New_York"), or throws invalid. The user's choice among aliases
 * ("Europe/Kyiv" or "Europe/Kiev") is kept, since both are valid.
 */
export function validateTimezone(tz: string): string {
  const name = typeof tz === "string" ? tz.trim() : "";
  if (name === "") throw invalid("timezone: empty; use an IANA zone name such as Europe/Berlin or America/New_York");
  // Refused by name rather than left to Intl, whose support for offset zones
  // ("+05:00", part of newer ECMA-402) varies between runtimes.
  if (/^[+-]\d/.test(name)) {
    throw invalid(
      `timezone: "${name}" is a UTC offset, which has no daylight saving rules; use an IANA zone name such as Europe/Berlin, or UTC or an Etc/GMT±n zone for a fixed offset`,
    );
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw invalid(
      `timezone: unknown zone "${name}"; use an IANA zone name such as Europe/Berlin, America/New_York or UTC`,
    );
  }
  // Both spellings of a renamed zone are known (Asia/Calcutta, Asia/Kolkata).
  knownZones ??= new Map([...Intl.supportedValuesOf("timeZone"), ...listTimezones()].map((zone) => [zone.toLowerCase(), zone]));
  const known = knownZones.get(name.toLowerCase());
  if (known !== undefined) return known;
  if (resolved.toLowerCase() === name.toLowerCase()) return resolved;
  return name;
}

/** Validates an expression and a zone (default: the machine's) and returns the spec to store. Throws invalid. */
export function parseCron(expression: string, timezone?: string): CronSpec {
  const zone = timezone === undefined ? defaultTimezone() : validateTimezone(timezone);
  const cron = normalizeCron(expression);
  describeNormalized(cron);
  const job = cronFor(cron);
  // Without a year field a pattern that fires at all fires within any
  // 28-year span, so one look from a fixed instant finds the impossible ones
  // ("0 0 30 2 *") without making the answer depend on today's date.
  if (job.nextRun(new Date(0)) === null) {
    throw invalid(`cron: "${cron.expression}" never fires (no date matches its day and month fields)`);
  }
  return { expression: cron.expression, timezone: zone };
}

/**
 * What a registration needs: the checks of `parseCron` and the first fire
 * strictly after `afterMs`, from one parse of the expression. A pattern
 * without a year field that fires at all fires after any instant, so the
 * first fire doubles as the check that it ever fires. The parsed pattern is
 * not cached: it is rarely asked for again soon, and each one holds tens of
 * kilobytes (croner keeps a table of every year), so caching them made the
 * agent's heap grow with every registration. Throws invalid.
 */
export function checkSchedule(expression: string, timezone: string | undefined, afterMs: number): { spec: CronSpec; next: number } {
  assertInstant(afterMs, "afterMs");
  const zone = timezone === undefined ? defaultTimezone() : validateTimezone(timezone);
  const cron = normalizeCron(expression);
  describeNormalized(cron);
  const next = nextInstantAfter(timelineOf(cron, zone), afterMs);
  if (next === null) throw invalid(`cron: "${cron.expression}" never fires (no date matches its day and month fields)`);
  return { spec: { expression: cron.expression, timezone: zone }, next };
}

/** The first fire strictly after `afterMs`, or null if there is none. */
export function nextFireAfter(spec: CronSpec, afterMs: number): number | null {
  assertInstant(afterMs, "afterMs");
  return nextInstantAfter(timelineFor(spec), afterMs);
}

/** The last fire at or before `atMs`, or null if there is none. */
export function previousFireAtOrBefore(spec: CronSpec, atMs: number): number | null {
  assertInstant(atMs, "atMs");
  return lastInstantAtOrBefore(timelineFor(spec), atMs);
}

/** Up to `count` fires strictly after `afterMs`, in order. */
export function nextFires(spec: CronSpec, afterMs: number, count: number): number[] {
  const fires: number[] = [];
  let cursor = afterMs;
  for (let i = 0; i < count; i++) {
    const next = nextFireAfter(spec, cursor);
    if (next === null) break;
    fires.push(next);
    cursor = next;
  }
  return fires;
}

/** What the scheduler does, in words ("At 09:00, Monday through Friday"). Throws invalid for a bad expression. */
export function describeCron(expression: string): string {
  return describeNormalized(normalizeCron(expression));
}

/**
 * Description and next fires for an editor or the CLI; bad input comes back
 * as `{ ok: false, error, field }`, never thrown. The zone is checked on its
 * own first, so a wrong zone is never blamed on a correct expression.
 */
export function cronPreview(
  expression: string,
  timezone: string | undefined,
  count: number,
  nowMs: number,
): CronPreview {
  const text = typeof expression === "string" ? expression : String(expression);
  const failed = (field: "expression" | "timezone" | "count", zone: string, error: unknown): CronPreview => ({
    ok: false,
    expression: text,
    timezone: zone,
    error: messageOf(error),
    field,
  });
  let zone: string;
  try {
    zone = timezone === undefined || timezone.trim() === "" ? defaultTimezone() : validateTimezone(timezone);
  } catch (error) {
    return failed("timezone", timezone ?? "", error);
  }
  if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW_COUNT) {
    return failed("count", zone, `count: must be a whole number from 1 to ${MAX_PREVIEW_COUNT}, got ${count}`);
  }
  try {
    const spec = parseCron(text, zone);
    return {
      ok: true,
      expression: spec.expression,
      timezone: spec.timezone,
      description: describeCron(spec.expression),
      next: nextFires(spec, nowMs, count).map((ms) => iso(ms)),
    };
  } catch (error) {
    return failed("expression", zone, error);
  }
}

/**
 * Whether the job is fixed-time for DST: it does not fire in every hour of
 * the day, so a repeated local time fires once (see cronTimeline.ts).
 */
export function isFixedTime(expression: string): boolean {
  return !normalizeCron(expression).everyHour;
}

function assertInstant(ms: number, name: string): void {
  if (!Number.isFinite(ms)) throw invalid(`cron: ${name} must be a finite number of milliseconds, got ${ms}`);
}

// A timeline holds a croner object, immutable once built and costing a parse,
// and the scheduler asks for the same few schedules over and over, so a
// small cache keyed by zone and pattern pays off. Bounded, cleared when
// full, and kept small because each croner object holds a table of every
// year (tens of KB): 512 of them were 40 MB of the agent's idle heap.
const CACHE_LIMIT = 64;
const cache = new Map<string, Timeline>();

function timelineFor(spec: CronSpec): Timeline {
  const key = `${spec.timezone}\u0000${spec.expression}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const timeline = timelineOf(normalizeCron(spec.expression), spec.timezone);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, timeline);
  return timeline;
}

function timelineOf(cron: NormalizedCron, zone: string): Timeline {
  const job = cronFor(cron);
  return {
    zone,
    everyHour: cron.everyHour,
    clock: {
      nextAfter: (wall) => job.nextRun(new Date(wall))?.getTime() ?? null,
      // croner looks strictly before its reference; one millisecond later makes it inclusive.
      lastAtOrBefore: (wall) => job.previousRuns(1, new Date(wall + 1))[0]?.getTime() ?? null,
    },
  };
}

/** The pattern on the local wall clock: croner at UTC offset 0, where no time is missing or repeated. */
function cronFor(cron: NormalizedCron): Cron {
  try {
    return new Cron(cron.pattern, {
      paused: true,
      utcOffset: 0,
      mode: cron.hasSeconds ? "6-part" : "5-part",
      // OR of day-of-month and day-of-week, as in Vixie cron.
      domAndDow: false,
    });
  } catch (error) {
    throw invalid(`cron: ${messageOf(error).replace(/^Cron(Pattern|Options)?:\s*/, "")} in "${cron.expression}"`);
  }
}
