// Parsing, validation, descriptions and previews of cron expressions.
// DST behaviour has its own file (cronDst.test.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  cronPreview,
  defaultTimezone,
  describeCron,
  isFixedTime,
  nextFireAfter,
  nextFires,
  parseCron,
  previousFireAtOrBefore,
  validateTimezone,
} from "../../agent/core/cron";
import { instantsBetween } from "../../agent/core/cronInstants";
import { ClockworkError } from "../../agent/errors";

const at = (iso: string) => Date.parse(iso);
const isoList = (list: number[]) => list.map((ms) => new Date(ms).toISOString());

function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ClockworkError, `expected a ClockworkError, got ${String(error)}`);
    assert.equal(error.kind, "Invalid");
    return error.message;
  }
  assert.fail("expected the call to throw");
}

describe("parseCron", () => {
  it("accepts 5 fields, 6 fields with seconds first, and every nickname", () => {
    for (const expression of ["0 9 * * 1-5", "*/10 * * * * *", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]) {
      assert.equal(parseCron(expression, "UTC").expression, expression);
    }
  });

  it("stores the expression trimmed and single-spaced, and nicknames in lower case", () => {
    assert.deepEqual(parseCron("  0   9 *  * 1-5 ", "UTC"), { expression: "0 9 * * 1-5", timezone: "UTC" });
    assert.equal(parseCron("@Daily", "UTC").expression, "@daily");
  });

  it("stores the machine's zone explicitly when no zone is given", () => {
    assert.equal(parseCron("0 9 * * *").timezone, defaultTimezone());
  });

  it("stores a zone with its usual spelling", () => {
    assert.equal(parseCron("0 9 * * *", "america/new_york").timezone, "America/New_York");
  });

  const rejected: Array<[string, RegExp]> = [
    ["61 * * * *", /^cron: minute field "61" is out of range 0-59$/],
    ["* * *", /^cron: expected 5 fields \(or 6 with seconds first\), got 3/],
    ["0 0 0 1 1 * 2030", /got 7 \(a year field is not supported\)/],
    ["@reboot", /^cron: @reboot is not supported/],
    ["@fortnightly", /unknown nickname "@fortnightly"; use one of @yearly/],
    ["", /the expression is empty/],
    ["0 24 * * *", /hour field "24" is out of range 0-23/],
    ["0 0 0 * *", /day-of-month field "0" is out of range 1-31/],
    ["0 0 * 13 *", /month field "13" is out of range 1-12/],
    ["0 0 * * 8", /day-of-week field "8" is out of range 0-7/],
    ["60 0 * * * *", /second field "60" is out of range 0-59/],
    ["1,2,99 * * * *", /minute field "1,2,99": 99 is out of range 0-59/],
    ["0-70 * * * *", /minute field "0-70": 70 is out of range 0-59/],
    ["0 22-2 * * *", /hour field "22-2": the range 22-2 runs backwards/],
    ["5/5 * * * *", /minute field "5\/5": a step needs \* or a range before it/],
    ["*/0 * * * *", /the step in "\*\/0" must be a whole number of at least 1/],
    ["*/61 * * * *", /minute field "\*\/61": the step 61 is larger than the field's 60 values/],
    ["0 0 * * */8", /day-of-week field "\*\/8": the step 8 is larger than the field's 7 values/],
    ["1,,2 * * * *", /minute field "1,,2" has an empty list item/],
    ["x * * * *", /minute field "x" is not valid/],
    ["0 0 * * FOO", /unknown name "FOO"; use SUN-SAT/],
    ["0 0 * FOO *", /unknown name "FOO"; use JAN-DEC/],
    ["? 0 * * *", /\? is only allowed in the day-of-month and day-of-week fields/],
    ["0 12 1 * +MON", /the \+ \(AND\) modifier is not supported/],
    ["0 9 * * 1-5#2", /need exactly one weekday and must be the whole field/],
    ["0 9 * * MON#6", /the occurrence after # must be 1-5/],
    ["0 0 L,15 * *", /must be the whole day-of-month field/],
    ["0 0 30 2 *", /never fires/],
    ["0 0 31 4,6,9,11 *", /never fires/],
  ];
  for (const [expression, message] of rejected) {
    it(`rejects ${JSON.stringify(expression)} with a message that says what is wrong`, () => {
      assert.match(invalidMessage(() => parseCron(expression, "UTC")), message);
    });
  }

  it("rejects an unknown zone, naming it", () => {
    assert.match(invalidMessage(() => parseCron("0 9 * * *", "Mars/Olympus")), /^timezone: unknown zone "Mars\/Olympus"/);
  });

  it("either accepts and describes a generated expression or refuses it with a cron: message, never a raw error", () => {
    // Seeded, so every run checks the same few thousand expressions.
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
    const num = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
    const field = (min: number, max: number, extra: string[]) => {
      const a = num(min, max);
      return pick([
        "*",
        String(a),
        `${a}-${num(a, max)}`,
        `${a},${num(min, max)},${num(min, max)}`,
        `*/${num(1, Math.min(12, max - min + 2))}`,
        `${a}-${num(a, max)}/${num(1, 5)}`,
        ...extra,
      ]);
    };
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const fields = [
        field(0, 59, []),
        field(0, 23, []),
        field(1, 31, ["L", "LW", "15W", "?", "L,15", "32"]),
        field(1, 12, ["JAN-MAR", "*/3"]),
        field(0, 7, ["MON-FRI", "5#2", "FRIL", "?", "SUN,SAT", "+MON", "1-5#2"]),
      ];
      const expression = (random() < 0.3 ? [field(0, 59, [])] : []).concat(fields).join(" ");
      try {
        parseCron(expression, "Europe/Berlin");
        accepted++;
        const description = describeCron(expression);
        assert.doesNotMatch(description, /undefined|null|NaN|, ,| {2}/, `${expression} => ${description}`);
      } catch (error) {
        assert.ok(error instanceof ClockworkError, `${expression}: ${String(error)}`);
        assert.match(error.message, /^cron: (minute|hour|day-of-month|day-of-week|second|month) field|^cron: ".*" never fires/, expression);
      }
    }
    assert.ok(accepted > 2000, `most generated expressions are valid (${accepted})`);
  });

  it("accepts a leap-day schedule, which fires only in leap years", () => {
    const spec = parseCron("0 0 29 2 *", "UTC");
    assert.deepEqual(isoList(nextFires(spec, at("2026-01-01T00:00:00Z"), 2)), ["2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"]);
  });
});

describe("validateTimezone and defaultTimezone", () => {
  it("fixes the case of a zone name", () => {
    assert.equal(validateTimezone("europe/berlin"), "Europe/Berlin");
    assert.equal(validateTimezone(" utc "), "UTC");
  });

  it("keeps the alias the user chose, as both spellings are valid", () => {
    assert.equal(validateTimezone("Europe/Kyiv"), "Europe/Kyiv");
    assert.equal(validateTimezone("Europe/Kiev"), "Europe/Kiev");
  });

  it("knows both spellings of a renamed zone, whichever the runtime lists", () => {
    assert.equal(validateTimezone("asia/kolkata"), "Asia/Kolkata");
    assert.equal(validateTimezone("Asia/Calcutta"), "Asia/Calcutta");
    assert.equal(validateTimezone("America/Argentina/Buenos_Aires"), "America/Argentina/Buenos_Aires");
  });

  it("refuses offsets, empty strings and made-up zones", () => {
    for (const zone of ["+05:00", "UTC+2", "", "Mars/Olympus"]) {
      assert.match(invalidMessage(() => validateTimezone(zone)), /^timezone: /);
    }
    assert.match(invalidMessage(() => validateTimezone("+05:00")), /is a UTC offset, which has no daylight saving rules/);
    assert.match(invalidMessage(() => validateTimezone("-0300")), /is a UTC offset/);
  });

  it("returns the machine's zone from TZ in its current spelling, in a form validateTimezone accepts", () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = "Asia/Tokyo";
      assert.equal(defaultTimezone(), "Asia/Tokyo");
      process.env.TZ = "Asia/Calcutta";
      assert.equal(defaultTimezone(), "Asia/Kolkata");
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    assert.equal(validateTimezone(defaultTimezone()), defaultTimezone());
  });
});

describe("nextFireAfter and nextFires", () => {
  const weekdays = () => parseCron("0 9 * * 1-5", "Europe/Berlin");

  it("returns the first fire strictly after the given instant", () => {
    const nine = at("2026-01-05T08:00:00Z"); // Monday 09:00 in Berlin (CET)
    assert.equal(nextFireAfter(weekdays(), nine - 1), nine);
    assert.equal(nextFireAfter(weekdays(), nine), at("2026-01-06T08:00:00Z"));
    assert.equal(nextFireAfter(weekdays(), nine - 0.5), nine);
  });

  it("skips weekends for a weekday schedule and uses the schedule's zone", () => {
    assert.deepEqual(isoList(nextFires(weekdays(), at("2026-01-08T12:00:00Z"), 3)), [
      "2026-01-09T08:00:00.000Z",
      "2026-01-12T08:00:00.000Z",
      "2026-01-13T08:00:00.000Z",
    ]);
    const tokyo = parseCron("0 9 * * 1-5", "Asia/Tokyo");
    assert.equal(new Date(nextFireAfter(tokyo, at("2026-01-08T12:00:00Z"))!).toISOString(), "2026-01-09T00:00:00.000Z");
  });

  it("steps through a seconds-level schedule second by second", () => {
    const spec = parseCron("*/20 * * * * *", "UTC");
    assert.deepEqual(isoList(nextFires(spec, at("2026-01-01T00:00:05.250Z"), 3)), [
      "2026-01-01T00:00:20.000Z",
      "2026-01-01T00:00:40.000Z",
      "2026-01-01T00:01:00.000Z",
    ]);
  });

  it("reads a 5-field expression as minutes, never as seconds", () => {
    const spec = parseCron("*/20 * * * *", "UTC");
    assert.deepEqual(isoList(nextFires(spec, at("2026-01-01T00:00:05Z"), 2)), ["2026-01-01T00:20:00.000Z", "2026-01-01T00:40:00.000Z"]);
  });

  it("treats 7 and 0 both as Sunday", () => {
    const sunday = "2026-01-04T12:00:00.000Z";
    assert.equal(new Date(nextFireAfter(parseCron("0 12 * * 7", "UTC"), at("2026-01-01T00:00:00Z"))!).toISOString(), sunday);
    assert.equal(new Date(nextFireAfter(parseCron("0 12 * * 0", "UTC"), at("2026-01-01T00:00:00Z"))!).toISOString(), sunday);
  });

  it("rejects a non-finite instant instead of returning nonsense", () => {
    assert.match(invalidMessage(() => nextFireAfter(weekdays(), Number.NaN)), /finite number/);
  });
});

describe("previousFireAtOrBefore", () => {
  it("includes a fire exactly at the given instant", () => {
    const spec = parseCron("0 9 * * *", "UTC");
    assert.equal(previousFireAtOrBefore(spec, at("2026-01-02T09:00:00Z")), at("2026-01-02T09:00:00Z"));
    assert.equal(previousFireAtOrBefore(spec, at("2026-01-02T08:59:59.999Z")), at("2026-01-01T09:00:00Z"));
    assert.equal(previousFireAtOrBefore(spec, at("2026-01-02T09:00:00.400Z")), at("2026-01-02T09:00:00Z"));
  });
});

describe("describeCron", () => {
  // Each row pins the wording and the fires it describes, so a change in
  // either cronstrue or croner that makes them disagree fails here.
  const table: Array<{ expression: string; description: string; fires: string[] }> = [
    {
      expression: "0 9 * * 1-5",
      description: "At 09:00, Monday through Friday",
      fires: ["2026-01-01T09:00:00.000Z", "2026-01-02T09:00:00.000Z", "2026-01-05T09:00:00.000Z"],
    },
    {
      // The 1st of the month OR any Monday, never "the 1st if it is a Monday".
      expression: "0 9 1 * 1",
      description: "At 09:00, on day 1 of the month or on Monday",
      fires: ["2026-01-01T09:00:00.000Z", "2026-01-05T09:00:00.000Z", "2026-01-12T09:00:00.000Z"],
    },
    {
      expression: "0 9 1,15 * MON-FRI",
      description: "At 09:00, on day 1 and 15 of the month or Monday through Friday",
      fires: ["2026-01-01T09:00:00.000Z", "2026-01-02T09:00:00.000Z", "2026-01-05T09:00:00.000Z"],
    },
    {
      expression: "0 9 1 * 5#2",
      description: "At 09:00, on day 1 of the month or on the second Friday of the month",
      fires: ["2026-01-01T09:00:00.000Z", "2026-01-09T09:00:00.000Z", "2026-02-01T09:00:00.000Z"],
    },
    {
      expression: "0 0 L * 5",
      description: "At 00:00, on the last day of the month or on Friday",
      fires: ["2026-01-02T00:00:00.000Z", "2026-01-09T00:00:00.000Z", "2026-01-16T00:00:00.000Z"],
    },
    {
      // A step in day-of-week is spelled out: "every 2 days of the week" would not say which days.
      expression: "0 9 * * */2",
      description: "At 09:00, only on Sunday, Tuesday, Thursday, and Saturday",
      fires: ["2026-01-01T09:00:00.000Z", "2026-01-03T09:00:00.000Z", "2026-01-04T09:00:00.000Z"],
    },
    {
      expression: "0 9 ? * ?",
      description: "At 09:00",
      fires: ["2026-01-01T09:00:00.000Z", "2026-01-02T09:00:00.000Z", "2026-01-03T09:00:00.000Z"],
    },
    {
      expression: "0 0 * * FRIL",
      description: "At 00:00, on the last Friday of the month",
      fires: ["2026-01-30T00:00:00.000Z", "2026-02-27T00:00:00.000Z", "2026-03-27T00:00:00.000Z"],
    },
    {
      expression: "0 0 15W * *",
      description: "At 00:00, on the weekday nearest day 15 of the month",
      fires: ["2026-01-15T00:00:00.000Z", "2026-02-16T00:00:00.000Z", "2026-03-16T00:00:00.000Z"],
    },
    {
      expression: "@weekly",
      description: "At 00:00, only on Sunday",
      fires: ["2026-01-04T00:00:00.000Z", "2026-01-11T00:00:00.000Z", "2026-01-18T00:00:00.000Z"],
    },
    {
      expression: "*/15 * * * * *",
      description: "Every 15 seconds",
      fires: ["2026-01-01T00:00:15.000Z", "2026-01-01T00:00:30.000Z", "2026-01-01T00:00:45.000Z"],
    },
  ];
  for (const row of table) {
    it(`describes ${JSON.stringify(row.expression)} as the scheduler runs it`, () => {
      assert.equal(describeCron(row.expression), row.description);
      assert.deepEqual(isoList(nextFires(parseCron(row.expression, "UTC"), at("2026-01-01T00:00:00Z"), 3)), row.fires);
    });
  }

  it("says 'or' exactly when the scheduler fires on days matching only one of the two day fields", () => {
    const start = at("2026-01-01T00:00:00Z");
    for (const expression of ["0 9 13 * 5", "0 9 */10 * 1", "0 9 1 * 1-5", "0 9 1 * 5#2", "0 9 * * 5", "0 9 13 * *", "0 9 ? * 5"]) {
      const fires = nextFires(parseCron(expression, "UTC"), start, 60).map((ms) => new Date(ms));
      const [, , , dom, , dow] = ["0", ...expression.split(" ")];
      const bothRestricted = dom !== "*" && dom !== "?" && dow !== "*" && dow !== "?";
      // Under AND, every fire would match both fields; under OR, some match only one.
      const dayOnly = fires.some((d) => !matchesDow(d, dow!) && matchesDom(d, dom!));
      const weekdayOnly = fires.some((d) => matchesDow(d, dow!) && !matchesDom(d, dom!));
      assert.equal(bothRestricted && dayOnly && weekdayOnly, bothRestricted, `${expression} fires as an OR`);
      assert.equal(describeCron(expression).includes(" or "), bothRestricted, `${expression}: ${describeCron(expression)}`);
    }
  });

  it("throws invalid for an expression it refuses to parse", () => {
    assert.match(invalidMessage(() => describeCron("@reboot")), /@reboot is not supported/);
  });
});

// Enough of cron to check the OR rule on the expressions above.
function matchesDom(date: Date, field: string): boolean {
  if (field === "*" || field === "?") return true;
  if (field.startsWith("*/")) return (date.getUTCDate() - 1) % Number(field.slice(2)) === 0;
  return field.split(",").map(Number).includes(date.getUTCDate());
}
function matchesDow(date: Date, field: string): boolean {
  if (field === "*" || field === "?") return true;
  const day = date.getUTCDay();
  if (field.includes("#")) {
    const [weekday, nth] = field.split("#").map(Number);
    return day === weekday && Math.ceil(date.getUTCDate() / 7) === nth;
  }
  const [from, to] = field.split("-").map(Number);
  return to === undefined ? day === from : day >= from! && day <= to;
}

describe("instantsBetween", () => {
  const hourly = parseCron("0 * * * *", "America/New_York");
  const list = (from: string, to: string) => instantsBetween(hourly, at(from), at(to), Number.POSITIVE_INFINITY).instants;

  it("lists every fire in [from, to), oldest first: the start counts, the end does not", () => {
    assert.deepEqual(isoList(list("2026-06-01T10:00:00Z", "2026-06-01T13:00:00Z")), [
      "2026-06-01T10:00:00.000Z",
      "2026-06-01T11:00:00.000Z",
      "2026-06-01T12:00:00.000Z",
    ]);
  });

  it("gives an hourly schedule 23 instants on the local day the clocks spring forward and 25 on the day they fall back", () => {
    assert.equal(list("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z").length, 23);
    assert.equal(list("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z").length, 25);
  });

  it("is empty when the range is empty or backwards", () => {
    assert.deepEqual(list("2026-06-01T10:00:00Z", "2026-06-01T10:00:00Z"), []);
    assert.deepEqual(list("2026-06-01T12:00:00Z", "2026-06-01T10:00:00Z"), []);
  });

  it("keeps only the first `keep` instants but counts every one, so a caller can refuse a range with too many", () => {
    const everySecond = parseCron("* * * * * *", "UTC");
    const span = instantsBetween(everySecond, at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z"), 10_001);
    assert.equal(span.instants.length, 10_001);
    assert.equal(span.count, 86_400);
  });

  it("refuses bounds that are not instants, and a negative keep", () => {
    assert.match(invalidMessage(() => instantsBetween(hourly, Number.NaN, 0, 1)), /fromMs must be a finite number/);
    assert.match(invalidMessage(() => instantsBetween(hourly, 0, Number.POSITIVE_INFINITY, 1)), /toMs must be a finite number/);
    assert.match(invalidMessage(() => instantsBetween(hourly, 0, 1, -1)), /keep must be/);
  });
});

describe("isFixedTime", () => {
  it("counts a schedule as an interval job when it fires in every hour of the day, however the hour field is written", () => {
    for (const expression of ["*/15 * * * *", "0 * * * *", "0 0-23 * * *", "0 */1 * * *", "0 0-11,12-23 * * *", "*/10 * * * * *", "@hourly"]) {
      assert.ok(!isFixedTime(expression), expression);
    }
  });

  it("counts every other schedule as fixed-time, wildcards and steps in the minutes included", () => {
    for (const expression of ["30 2 * * *", "30 2,14 * * *", "0 30 2 * * *", "0,30 2 * * *", "* 2 * * *", "*/20 2 * * *", "0 */2 * * *", "0 0-22 * * *", "@daily"]) {
      assert.ok(isFixedTime(expression), expression);
    }
  });
});

describe("cronPreview", () => {
  const now = at("2026-01-01T00:00:00Z");

  it("returns the description and the next fires as ISO 8601 instants", () => {
    assert.deepEqual(cronPreview("0 9 * * 1-5", "Europe/Berlin", 2, now), {
      ok: true,
      expression: "0 9 * * 1-5",
      timezone: "Europe/Berlin",
      description: "At 09:00, Monday through Friday",
      next: ["2026-01-01T08:00:00.000Z", "2026-01-02T08:00:00.000Z"],
    });
  });

  it("uses the machine's zone when none is given, and says which", () => {
    const preview = cronPreview("@daily", undefined, 1, now);
    assert.ok(preview.ok);
    assert.equal(preview.timezone, defaultTimezone());
  });

  it("returns bad input as an error value instead of throwing", () => {
    assert.deepEqual(cronPreview("61 * * * *", "UTC", 5, now), {
      ok: false,
      expression: "61 * * * *",
      timezone: "UTC",
      error: 'cron: minute field "61" is out of range 0-59',
      field: "expression",
    });
    const zone = cronPreview("0 9 * * *", "Mars/Olympus", 5, now);
    assert.equal(zone.ok, false);
    assert.equal(zone.timezone, "Mars/Olympus");
    assert.ok(!zone.ok && zone.error.startsWith('timezone: unknown zone "Mars/Olympus"'));
    assert.ok(!zone.ok && zone.field === "timezone");
    const count = cronPreview("0 9 * * *", "UTC", 0, now);
    assert.ok(!count.ok && /count: must be a whole number from 1/.test(count.error) && count.field === "count");
    const notString = cronPreview(42 as unknown as string, "UTC", 1, now);
    assert.equal(notString.ok, false);
  });
});
