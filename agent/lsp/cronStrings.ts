// Cron expressions written in a workflow file. The SDK has no schedule field
// (schedules are registered, not declared), but files carry them anyway: in
// an object under a `cron`/`schedule` key, or as a plain string such as
// "0 9 * * 1-5" that a helper passes on. Those get a hover with what the
// expression means and a diagnostic when it is wrong. Pure.
import type { SourceScan, StringSegment } from "./sourceScan";

export interface CronString {
  segment: StringSegment;
  expression: string;
  /** Under a `cron`/`schedule` key: the author meant a cron expression, so a bad one is an error. */
  declared: boolean;
}

const CRON_KEYS = new Set(["cron", "schedule", "cronExpression"]);
const NICKNAME = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/i;
// One cron field: *, ?, numbers, names (MON, JAN), ranges, lists, steps, L/W/#.
const FIELD = /^(?:\*|\?|L|[0-9]{1,2}[LW]?|[A-Za-z]{3})(?:[-,#/](?:\*|L|[0-9]{1,2}|[A-Za-z]{3}))*$/;

/** Whether `text` has the shape of a cron expression (5 or 6 fields, at least one `*`, or a nickname). */
export function looksLikeCron(text: string): boolean {
  const trimmed = text.trim();
  if (NICKNAME.test(trimmed)) return true;
  const fields = trimmed.split(/\s+/);
  if (fields.length < 5 || fields.length > 6) return false;
  return fields.every((f) => FIELD.test(f)) && fields.some((f) => f.includes("*"));
}

export function findCronStrings(scan: SourceScan): CronString[] {
  const out: CronString[] = [];
  for (const s of scan.strings) {
    if (s.isKey || s.isStepName) continue;
    const declared = s.key !== undefined && CRON_KEYS.has(s.key);
    if (declared || looksLikeCron(s.text)) out.push({ segment: s, expression: s.text, declared });
  }
  return out;
}
