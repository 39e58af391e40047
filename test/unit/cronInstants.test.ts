// Instant enumeration by local day (core/cronInstants.ts) must agree with
// croner asked instant by instant, on ordinary days and on the days the
// clocks change, in zones with whole-hour, half-hour and 45-minute offsets
// and DST at midnight; and it must count exactly far past what it lists.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextFireAfter, parseCron } from "../../agent/core/cron";
import { instantsBetween, timesOfDay } from "../../agent/core/cronInstants";

const at = (iso: string) => Date.parse(iso);

/** Croner's own answer, one call per instant: the reference. */
function oneByOne(expression: string, zone: string, from: number, to: number): number[] {
  const spec = parseCron(expression, zone);
  const out: number[] = [];
  for (let t = nextFireAfter(spec, from - 1); t !== null && t < to; t = nextFireAfter(spec, t)) out.push(t);
  return out;
}

const CASES: Array<[string, string, string, string]> = [
  ["0 * * * *", "America/New_York", "2025-03-08T00:00:00Z", "2025-03-11T00:00:00Z"],
  ["0 * * * *", "America/New_York", "2025-11-01T00:00:00Z", "2025-11-04T00:00:00Z"],
  ["*/7 * * * *", "America/New_York", "2025-11-01T03:17:00Z", "2025-11-03T00:00:00Z"],
  ["30 2 * * *", "America/New_York", "2025-03-05T00:00:00Z", "2025-03-15T00:00:00Z"],
  ["30 1 * * *", "America/New_York", "2025-10-30T00:00:00Z", "2025-11-06T00:00:00Z"],
  ["*/15 * * * *", "Pacific/Chatham", "2025-04-05T00:00:00Z", "2025-04-07T00:00:00Z"],
  ["*/15 * * * *", "Pacific/Chatham", "2025-09-27T00:00:00Z", "2025-09-29T00:00:00Z"],
  ["0,30 * * * *", "Australia/Lord_Howe", "2025-04-05T00:00:00Z", "2025-04-07T00:00:00Z"],
  ["*/10 * * * *", "America/Santiago", "2025-09-06T00:00:00Z", "2025-09-08T00:00:00Z"],
  ["0 9 * * 1-5", "Europe/Berlin", "2025-01-01T00:00:00Z", "2025-04-01T00:00:00Z"],
  ["0 0 L * *", "Europe/Berlin", "2025-01-01T00:00:00Z", "2026-04-01T00:00:00Z"],
  ["*/20 * * * * *", "Europe/Berlin", "2025-03-30T00:00:00Z", "2025-03-30T03:00:00Z"],
  ["15 */2 * * *", "Asia/Kolkata", "2025-03-28T00:00:00Z", "2025-04-03T03:00:00Z"],
];

describe("instantsBetween", () => {
  for (const [expression, zone, from, to] of CASES) {
    it(`agrees with croner for "${expression}" in ${zone} from ${from} to ${to}`, () => {
      const expected = oneByOne(expression, zone, at(from), at(to));
      const span = instantsBetween(parseCron(expression, zone), at(from), at(to), 100_000);
      assert.deepEqual(span.instants, expected);
      assert.equal(span.count, expected.length);
      assert.equal(span.last, expected[expected.length - 1] ?? null);
    });
  }

  it("gives 23 hourly instants on New York's spring-forward day and 25 on its fall-back day", () => {
    const hourly = parseCron("0 * * * *", "America/New_York");
    assert.equal(instantsBetween(hourly, at("2025-03-09T05:00:00Z"), at("2025-03-10T04:00:00Z"), 0).count, 23);
    assert.equal(instantsBetween(hourly, at("2025-11-02T04:00:00Z"), at("2025-11-03T05:00:00Z"), 0).count, 25);
  });

  it("counts a year of a per-second schedule exactly while listing only what it keeps", () => {
    const span = instantsBetween(parseCron("* * * * * *", "America/New_York"), at("2025-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"), 3);
    assert.equal(span.count, 365 * 86_400);
    assert.deepEqual(span.instants, [at("2025-01-01T00:00:00Z"), at("2025-01-01T00:00:01Z"), at("2025-01-01T00:00:02Z")]);
    assert.equal(span.last, at("2025-12-31T23:59:59Z"));
  });

  it("takes the range as [from, to) and gives nothing for an empty one", () => {
    const hourly = parseCron("0 * * * *", "UTC");
    const span = instantsBetween(hourly, at("2025-01-01T00:00:00Z"), at("2025-01-01T02:00:00Z"), 10);
    assert.deepEqual(span.instants, [at("2025-01-01T00:00:00Z"), at("2025-01-01T01:00:00Z")]);
    assert.deepEqual(instantsBetween(hourly, at("2025-01-01T00:10:00Z"), at("2025-01-01T00:50:00Z"), 10), { count: 0, instants: [], last: null });
  });

  it("lists the times of day the second, minute and hour fields give", () => {
    assert.deepEqual(timesOfDay(parseCron("0,30 9-10 * * *", "UTC")), [9, 9.5, 10, 10.5].map((h) => h * 3_600_000));
    assert.equal(timesOfDay(parseCron("*/15 * * * * *", "UTC")).length, 4 * 60 * 24);
    assert.deepEqual(timesOfDay(parseCron("@daily", "UTC")), [0]);
  });
});
