// The cron syntax Clockwork accepts, checked field by field before croner
// sees it. croner would accept more (a year field, `+` for AND, `#` in a
// range, `L` and `W` inside lists), but every schedule must also have a
// description that says exactly what the scheduler does, so the grammar here
// is the intersection of what croner runs and what the description can
// express. Errors name the field and the offending text, so a user can fix
// the expression without reading a cron manual.
import { invalid } from "../errors";

/** The nicknames croner and Vixie cron share, as the 5-field pattern each one stands for. */
export const CRON_NICKNAMES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export type CronFieldName = "second" | "minute" | "hour" | "day-of-month" | "month" | "day-of-week";

/** One parsed cron, in the forms the scheduler and the description need. */
export interface NormalizedCron {
  /** What is stored: the user's text, trimmed, single-spaced; nicknames in lower case. */
  expression: string;
  /** 5 or 6 fields with nicknames expanded: what croner runs. */
  pattern: string;
  /** 6 fields (seconds first, "0" when absent), with `?` read as `*` and day-of-week steps written out as lists: what the description describes. */
  describable: string;
  hasSeconds: boolean;
  /** Both day fields are restricted, so a day matches when either one does. */
  daysCombineWithOr: boolean;
  /** The hour field, however written, names all 24 hours: the schedule follows real time through a repeated hour. */
  everyHour: boolean;
}

interface FieldRule {
  name: CronFieldName;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const RULES: readonly FieldRule[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES },
  // 7 is Sunday as well as 0, as in Vixie cron and croner.
  { name: "day-of-week", min: 0, max: 7, names: DAY_NAMES },
];

const SYNTAX_HINT = "expected a number, a range (1-5), a list (1,5), a step (*/15 or 1-30/5) or *";

/** Splits, checks and normalizes an expression; throws ClockworkError invalid naming the field at fault. */
export function normalizeCron(input: string): NormalizedCron {
  if (typeof input !== "string") throw invalid("cron: the expression must be a string");
  const expression = input.trim().split(/\s+/).join(" ");
  if (expression === "") throw invalid("cron: the expression is empty; try \"0 9 * * 1-5\" (09:00 on weekdays)");

  let pattern = expression;
  let stored = expression;
  if (expression.startsWith("@")) {
    const nickname = expression.toLowerCase();
    if (nickname === "@reboot") {
      throw invalid(
        "cron: @reboot is not supported: schedules fire at times of day, and the agent does not know when the machine booted; use a time-based expression such as @daily",
      );
    }
    const expanded = CRON_NICKNAMES[nickname];
    if (expanded === undefined) {
      throw invalid(`cron: unknown nickname "${expression}"; use one of ${Object.keys(CRON_NICKNAMES).join(" ")}`);
    }
    pattern = expanded;
    stored = nickname;
  }

  const parts = pattern.split(" ");
  if (parts.length !== 5 && parts.length !== 6) {
    const extra = parts.length === 7 ? " (a year field is not supported)" : "";
    throw invalid(`cron: expected 5 fields (or 6 with seconds first), got ${parts.length}${extra} in "${expression}"`);
  }
  const hasSeconds = parts.length === 6;
  const six = hasSeconds ? parts : ["0", ...parts];
  const describable = six.map((text, index) => checkField(RULES[index]!, text));
  const restricted = (text: string) => text !== "*" && text !== "?";
  return {
    expression: stored,
    pattern,
    describable: describable.join(" "),
    hasSeconds,
    daysCombineWithOr: restricted(six[3]!) && restricted(six[5]!),
    everyHour: namesEveryHour(six[2]!),
  };
}

// Whether a valid hour field names all 24 hours: "*", "0-23", "*/1",
// "0-11,12-23" and so on, whatever the spelling.
function namesEveryHour(field: string): boolean {
  if (field === "*") return true;
  const rule = RULES[2]!;
  const hours = new Set(field.split(",").flatMap((item) => checkItem(rule, item, field, "").values));
  return hours.size === rule.max - rule.min + 1;
}

/** Checks one field; returns its describable form. */
function checkField(rule: FieldRule, text: string): string {
  const where = `cron: ${rule.name} field "${text}"`;
  if (text === "*") return "*";
  if (text === "?") {
    if (rule.name === "day-of-month" || rule.name === "day-of-week") return "*";
    throw invalid(`${where}: ? is only allowed in the day-of-month and day-of-week fields; use *`);
  }
  if (rule.name === "day-of-week" && text.startsWith("+")) {
    throw invalid(
      `${where}: the + (AND) modifier is not supported; when both day fields are set, a day matches if either one does (as in Vixie cron)`,
    );
  }
  if (rule.name === "day-of-month") {
    const special = checkDayOfMonthSpecial(text, where);
    if (special !== null) return special;
  }
  if (rule.name === "day-of-week") {
    const special = checkDayOfWeekSpecial(text, where);
    if (special !== null) return special;
  }

  const items = text.split(",");
  const values: number[] = [];
  let hasStep = false;
  for (const item of items) {
    if (item === "") throw invalid(`${where} has an empty list item`);
    const expandedItem = checkItem(rule, item, text, where);
    values.push(...expandedItem.values);
    hasStep ||= expandedItem.stepped;
  }
  // cronstrue calls */2 in day-of-week "every 2 days of the week", which does
  // not say which days; the explicit list does.
  if (rule.name === "day-of-week" && hasStep) {
    return [...new Set(values.map((v) => (v === 7 ? 0 : v)))].sort((a, b) => a - b).join(",");
  }
  return text;
}

/** `L` (last day) and `nW` (nearest weekday) must stand alone: croner allows them in lists, the description does not. */
function checkDayOfMonthSpecial(text: string, where: string): string | null {
  const upper = text.toUpperCase();
  if (upper === "L" || upper === "LW") return upper;
  if (!/[LW]/.test(upper)) return null;
  const nearest = /^(\d+)W$/.exec(upper);
  if (nearest) {
    const day = Number(nearest[1]);
    if (day < 1 || day > 31) throw invalid(`${where}: ${day} is out of range 1-31`);
    return `${day}W`;
  }
  throw invalid(`${where}: L, LW and nW (nearest weekday, e.g. 15W) must be the whole day-of-month field`);
}

/** `n#k` (k-th weekday n of the month) and `nL` (last weekday n) must stand alone. */
function checkDayOfWeekSpecial(text: string, where: string): string | null {
  if (!text.includes("#") && !/L$/i.test(text) && !/L,|L-/i.test(text)) return null;
  const match = /^([A-Za-z]{3}|\d+)(?:#(\d+|L)|L)$/i.exec(text);
  if (!match || text.includes(",") || text.includes("-")) {
    throw invalid(`${where}: # (nth weekday, e.g. MON#2) and L (last weekday, e.g. FRIL) need exactly one weekday and must be the whole field`);
  }
  const day = weekdayNumber(match[1]!, where);
  const nth = match[2];
  if (nth === undefined || nth.toUpperCase() === "L") return `${day}L`;
  const n = Number(nth);
  if (n < 1 || n > 5) throw invalid(`${where}: the occurrence after # must be 1-5 (MON#2 is the second Monday)`);
  return `${day}#${n}`;
}

function weekdayNumber(token: string, where: string): number {
  const named = DAY_NAMES.indexOf(token.toUpperCase());
  if (named >= 0) return named;
  if (!/^\d+$/.test(token)) throw invalid(`${where}: "${token}" is not a weekday; use 0-7 or SUN-SAT`);
  const value = Number(token);
  if (value > 7) throw invalid(`${where}: ${value} is out of range 0-7`);
  return value === 7 ? 0 : value;
}

/** One list item: `*`, `n`, `a-b`, each with an optional `/step`. */
function checkItem(rule: FieldRule, item: string, field: string, where: string): { values: number[]; stepped: boolean } {
  const slash = item.split("/");
  if (slash.length > 2) throw invalid(`${where}: "${item}" has more than one /; ${SYNTAX_HINT}`);
  const [base = "", stepText] = slash;
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
      throw invalid(`${where}: the step in "${item}" must be a whole number of at least 1`);
    }
    step = Number(stepText);
    // Day-of-week has 7 days although it accepts 0-7 (7 is Sunday again).
    const span = rule.name === "day-of-week" ? 7 : rule.max - rule.min + 1;
    if (step > span) throw invalid(`${where}: the step ${step} is larger than the field's ${span} values`);
    if (base !== "*" && !base.includes("-")) {
      throw invalid(`${where}: a step needs * or a range before it, as in */${step} or ${base || rule.min}-${rule.max}/${step}`);
    }
  }
  let from: number;
  let to: number;
  if (base === "*") {
    // croner steps day-of-week over 0-6, so */2 is Sunday, Tuesday, Thursday, Saturday.
    from = rule.min;
    to = rule.name === "day-of-week" ? 6 : rule.max;
  } else {
    const range = base.split("-");
    if (range.length > 2) throw invalid(`${where}: "${base}" is not a valid range; ${SYNTAX_HINT}`);
    from = valueOf(rule, range[0]!, field, where);
    to = range.length === 2 ? valueOf(rule, range[1]!, field, where) : from;
    if (from > to) {
      throw invalid(`${where}: the range ${base} runs backwards; write it as two parts, e.g. ${range[0]}-${rule.max},${rule.min}-${range[1]}`);
    }
  }
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return { values, stepped: stepText !== undefined };
}

function valueOf(rule: FieldRule, token: string, field: string, where: string): number {
  if (token === "") throw invalid(`${where}: a range is missing a number; ${SYNTAX_HINT}`);
  if (rule.names && /^[A-Za-z]+$/.test(token)) {
    const index = rule.names.indexOf(token.toUpperCase());
    if (index < 0) throw invalid(`${where}: unknown name "${token}"; use ${rule.names[0]}-${rule.names[rule.names.length - 1]}`);
    return rule.min === 1 ? index + 1 : index;
  }
  if (!/^\d+$/.test(token)) throw invalid(`${where} is not valid: ${SYNTAX_HINT}`);
  const value = Number(token);
  if (value < rule.min || value > rule.max) {
    const which = field === token ? "" : `: ${value}`;
    throw invalid(`${where}${which} is out of range ${rule.min}-${rule.max}`);
  }
  return value;
}

/**
 * The values a checked second, minute or hour field (as in `describable`)
 * stands for, ascending: what instant enumeration (core/cronInstants.ts)
 * needs to list the times of day a schedule fires without asking croner
 * once per instant.
 */
export function timeFieldValues(name: "second" | "minute" | "hour", text: string): number[] {
  const rule = RULES.find((r) => r.name === name)!;
  const where = `cron: ${name} field "${text}"`;
  if (text === "*") return Array.from({ length: rule.max - rule.min + 1 }, (_, i) => rule.min + i);
  const values = new Set<number>();
  for (const item of text.split(",")) for (const v of checkItem(rule, item, text, where).values) values.add(v);
  return [...values].sort((a, b) => a - b);
}
