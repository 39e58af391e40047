// Backfill as pure decisions: reading the range a user typed, which
// instants it holds, what each instant already has, and whether it runs
// again under `--reprocess`. The agent (daemon/backfill.ts) reads the store
// and writes the runs; the store applies `instantAction` inside the
// transaction that admits them, so two backfills of one range never run an
// instant twice.
import { invalid } from "../errors";
import type { InstantState, Reprocess, RunStatus } from "../protocol";
import { type CronSpec } from "./cron";
import { instantsBetween, type InstantSpan } from "./cronInstants";
import { iso } from "./iso";
import { instantOfWall } from "./zoneDays";

/** The most instants one backfill runs; a longer range is refused with its count, to be split. */
export const MAX_BACKFILL_INSTANTS = 10_000;
export const REPROCESS_CHOICES: readonly Reprocess[] = ["none", "failed", "all"];

const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * One end of a range: `now`, an ISO 8601 instant with its offset, or a date
 * or date-time without one, read as wall time in the schedule's zone (a
 * time inside a DST gap means the moment the gap ends).
 */
export function parseRangeBound(text: string, zone: string, now: number, option: string): number {
  const value = text.trim();
  if (value.toLowerCase() === "now") return now;
  if (WITH_OFFSET.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  const local = LOCAL.exec(value);
  if (local) {
    const [y, mo, d, h = "0", mi = "0", s = "0"] = local.slice(1) as string[];
    const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    const back = new Date(wall);
    // Date.UTC rolls 2027-02-30 over into March; a date that does not exist is a mistake.
    if (back.getUTCDate() === Number(d) && back.getUTCMonth() === Number(mo) - 1 && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60) {
      return instantOfWall(zone, wall);
    }
  }
  throw invalid(
    `${option} "${text}" is not a time: use an ISO 8601 instant (2027-03-14T00:00:00Z, 2027-03-14T00:00-05:00), a date or date-time in the schedule's zone ${zone} (2027-03-14, 2027-03-14T06:00), or now`,
  );
}

/** The instants of [from, to), checked: a range that is empty, backwards, in the future or too long is refused, saying why. */
export function backfillInstants(args: { name: string; spec: CronSpec; from: number; to: number; now: number }): InstantSpan {
  const { name, spec, from, to, now } = args;
  const range = `[${iso(from)}, ${iso(to)})`;
  if (to <= from) throw invalid(`--to (${iso(to)}) must be after --from (${iso(from)}): a backfill covers [from, to)`);
  if (to > now + 1000) {
    throw invalid(`--to (${iso(to)}) is in the future (now is ${iso(now)}): a backfill runs past instants, the schedule fires the rest itself; use --to now`);
  }
  const span = instantsBetween(spec, from, to, MAX_BACKFILL_INSTANTS + 1);
  const what = `schedule "${name}" (${spec.expression}, ${spec.timezone})`;
  if (span.count === 0) throw invalid(`${what} gives no instants in ${range}; nothing to backfill`);
  if (span.count > MAX_BACKFILL_INSTANTS) {
    const split = span.instants[MAX_BACKFILL_INSTANTS]!;
    throw invalid(
      `${what} gives ${span.count} instants in ${range}, more than the ${MAX_BACKFILL_INSTANTS} one backfill runs; split the range, e.g. --from ${iso(from)} --to ${iso(split)}, then --from ${iso(split)}`,
    );
  }
  return span;
}

/** What an instant has, from the statuses of its runs. */
export function instantState(statuses: readonly RunStatus[]): InstantState {
  if (statuses.includes("success")) return "success";
  if (statuses.includes("queued") || statuses.includes("running")) return "active";
  if (statuses.includes("failed") || statuses.includes("cancelled")) return "failed";
  // Only skipped rows: an overlap skip, or a missed record.
  return statuses.length > 0 ? "missed" : "none";
}

/**
 * Whether a backfill runs an instant: one that never ran (no run, or only
 * skipped ones) always; a failed one with `--reprocess failed` or `all`; a
 * successful one only with `all`. One still queued or running never gets a
 * second run, so a backfill repeated while the first is going adds nothing.
 */
export function instantAction(state: InstantState, reprocess: Reprocess): { action: "run" } | { action: "keep"; reason: string } {
  switch (state) {
    case "none":
    case "missed":
      return { action: "run" };
    case "failed":
      return reprocess === "none" ? { action: "keep", reason: "its run failed; --reprocess failed runs it again" } : { action: "run" };
    case "success":
      return reprocess === "all" ? { action: "run" } : { action: "keep", reason: "it already has a successful run; --reprocess all runs it again" };
    case "active":
      return { action: "keep", reason: "a run of it is queued or running" };
  }
}
