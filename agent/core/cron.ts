// Cron schedules as pure functions: parse and validate, describe, and compute
// fire instants in a schedule's own IANA zone. Time is always passed in as
// milliseconds since the epoch; nothing here reads the clock.
//
// DST follows Vixie cron (croner implements it; the tests pin it down):
// - A fixed-time job (no * and no step in the second, minute and hour
//   fields, e.g. "30 2 * * *" or "30 2,14 * * *") whose time falls into a
//   spring-forward gap fires once, at the moment the gap ends; whose time
//   occurs twice in a fall-back overlap fires once, at the first occurrence.
// - An interval job (a * or a step in those fields, e.g. "*/15 * * * *" or
//   "0 * * * *") follows real time: times inside a gap do not exist and are
//   skipped, and a repeated hour is run through again, so an every-15-minutes
//   job keeps firing every 15 real minutes through both transitions.
import { Cron } from "croner";
import { invalid, messageOf } from "../errors";
import type { CronPreview } from "../protocol";
import { describeNormalized } from "./cronDescription";
import { normalizeCron, type NormalizedCron } from "./cronSyntax";
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
// Asking Intl about a zone builds a formatter each time, which was a tenth of
// what a registration cost; every name a caller spelled validly is kept. The
// map is bounded so that a client sending endless spellings cannot grow it.
const ZONE_CACHE_LIMIT = 1024;
const checkedZones = new Map<string, string>();

/**
 * Returns the zone's name with its usual spelling ("america/new_york" →
 * "America/New_York"), or throws invalid. The user's choice among aliases
 * ("Europe/Kyiv" or "Europe/Kiev") is kept, since both are valid.
 */
export function validateTimezone(tz: string): string {
  const name = typeof tz === "string" ? tz.trim() : "";
  const checked = checkedZones.get(name);
  if (checked !== undefined) return checked;
  const zone = checkTimezone(name);
  if (checkedZones.size >= ZONE_CACHE_LIMIT) checkedZones.clear();
  checkedZones.set(name, zone);
  return zone;
}

function checkTimezone(name: string): string {
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
  const { cron, zone, job } = checkedJob(expression, timezone);
  // Without a year field a pattern that fires at all fires within any
  // 28-year span, so one look from a fixed instant finds the impossible ones
  // ("0 0 30 2 *") without making the answer depend on today's date.
  if (job.nextRun(new Date(0)) === null) throw neverFires(cron);
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
  const { cron, zone, job } = checkedJob(expression, timezone);
  const next = nextOf(job, afterMs);
  if (next === null) throw neverFires(cron);
  return { spec: { expression: cron.expression, timezone: zone }, next };
}

function checkedJob(expression: string, timezone: string | undefined): { cron: NormalizedCron; zone: string; job: Cron } {
  const zone = timezone === undefined ? defaultTimezone() : validateTimezone(timezone);
  const cron = normalizeCron(expression);
  describeNormalized(cron);
  return { cron, zone, job: cronFor(cron, zone) };
}

function neverFires(cron: NormalizedCron) {
  return invalid(`cron: "${cron.expression}" never fires (no date matches its day and month fields)`);
}

/** The first fire strictly after `afterMs`, or null if there is none. */
export function nextFireAfter(spec: CronSpec, afterMs: number): number | null {
  return nextOf(jobFor(spec), afterMs);
}

function nextOf(job: Cron, afterMs: number): number | null {
  assertInstant(afterMs, "afterMs");
  const next = job.nextRun(new Date(afterMs));
  return next === null ? null : next.getTime();
}

/** The last fire at or before `atMs`, or null if there is none. */
export function previousFireAtOrBefore(spec: CronSpec, atMs: number): number | null {
  assertInstant(atMs, "atMs");
  // croner looks strictly before its reference; one millisecond later makes it inclusive.
  const [previous] = jobFor(spec).previousRuns(1, new Date(atMs + 1));
  return previous === undefined ? null : previous.getTime();
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

/** Whether the job counts as fixed-time for DST (see the top of this file). */
export function isFixedTime(expression: string): boolean {
  const [second, minute, hour] = normalizeCron(expression).describable.split(" ");
  return [second, minute, hour].every((field) => field !== undefined && !field.includes("*") && !field.includes("/"));
}

function assertInstant(ms: number, name: string): void {
  if (!Number.isFinite(ms)) throw invalid(`cron: ${name} must be a finite number of milliseconds, got ${ms}`);
}

// Croner objects are immutable once built and cost a parse each, and the
// scheduler asks for the same few schedules over and over, so a small cache
// keyed by zone and pattern pays off. It is bounded and cleared when full;
// kept small because each object holds a table of every year (about 80 KB):
// 512 of them were 40 MB of the agent's idle heap.
const CACHE_LIMIT = 64;
const cache = new Map<string, Cron>();

function jobFor(spec: CronSpec): Cron {
  const key = `${spec.timezone}\u0000${spec.expression}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const job = cronFor(normalizeCron(spec.expression), spec.timezone);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, job);
  return job;
}

function cronFor(cron: NormalizedCron, timezone: string): Cron {
  try {
    return new Cron(cron.pattern, {
      paused: true,
      timezone,
      mode: cron.hasSeconds ? "6-part" : "5-part",
      // OR of day-of-month and day-of-week, as in Vixie cron.
      domAndDow: false,
      // Lists and ranges of times ("30 2,14 * * *") are fixed-time jobs, as in
      // Vixie cron; croner's default would treat them as interval jobs and
      // fire them twice in a repeated hour.
      fixedTimeRule: "no-wildcard",
    });
  } catch (error) {
    throw invalid(`cron: ${messageOf(error).replace(/^Cron(Pattern|Options)?:\s*/, "")} in "${cron.expression}"`);
  }
}
