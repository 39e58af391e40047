// Daylight saving time, in the two zones the docs promise:
// America/New_York springs forward on 2026-03-08 (02:00 EST → 03:00 EDT, at
// 07:00Z) and falls back on 2026-11-01 (02:00 EDT → 01:00 EST, at 06:00Z);
// Europe/Berlin springs forward on 2026-03-29 (02:00 CET → 03:00 CEST, at
// 01:00Z) and falls back on 2026-10-25 (03:00 CEST → 02:00 CET, at 01:00Z).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nextFireAfter, nextFires, parseCron, previousFireAtOrBefore } from "../../agent/core/cron";

const NY = "America/New_York";
const BERLIN = "Europe/Berlin";
const at = (iso: string) => Date.parse(iso);
const fires = (expression: string, zone: string, fromIso: string, count: number) =>
  nextFires(parseCron(expression, zone), at(fromIso), count).map((ms) => new Date(ms).toISOString());
const firesBetween = (expression: string, zone: string, fromIso: string, toIso: string) =>
  fires(expression, zone, fromIso, 500).filter((iso) => iso < new Date(at(toIso)).toISOString());
const gaps = (list: string[]) => list.slice(1).map((iso, i) => (at(iso) - at(list[i]!)) / 60_000);

describe("a fixed-time job in a spring-forward gap", () => {
  it("fires once, when the gap ends, in New York (daily 02:30 runs at 03:00 EDT)", () => {
    assert.deepEqual(fires("30 2 * * *", NY, "2026-03-06T12:00:00Z", 4), [
      "2026-03-07T07:30:00.000Z", // 02:30 EST
      "2026-03-08T07:00:00.000Z", // 03:00 EDT: the gap's end
      "2026-03-09T06:30:00.000Z", // 02:30 EDT
      "2026-03-10T06:30:00.000Z",
    ]);
  });

  it("fires once, when the gap ends, in Berlin (daily 02:30 runs at 03:00 CEST)", () => {
    assert.deepEqual(fires("30 2 * * *", BERLIN, "2026-03-27T12:00:00Z", 4), [
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:00:00.000Z", // 03:00 CEST: the gap's end
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("fires once at the gap's end even when several of its times fall into the gap", () => {
    assert.deepEqual(firesBetween("0,30 2 * * *", NY, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"), ["2026-03-08T07:00:00.000Z"]);
    assert.deepEqual(firesBetween("0,15,45 2 * * *", BERLIN, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"), ["2026-03-29T01:00:00.000Z"]);
  });

  it("treats a list of times as fixed times, as Vixie cron does", () => {
    assert.deepEqual(fires("30 2,14 * * *", NY, "2026-03-07T20:00:00Z", 2), ["2026-03-08T07:00:00.000Z", "2026-03-08T18:30:00.000Z"]);
  });

  it("behaves the same with a seconds field", () => {
    assert.deepEqual(fires("0 30 2 * * *", BERLIN, "2026-03-28T12:00:00Z", 2), ["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
  });

  it("is not moved when its time is outside the gap", () => {
    assert.deepEqual(fires("30 3 * * *", NY, "2026-03-07T12:00:00Z", 2), ["2026-03-08T07:30:00.000Z", "2026-03-09T07:30:00.000Z"]);
    assert.deepEqual(fires("30 1 * * *", NY, "2026-03-07T12:00:00Z", 2), ["2026-03-08T06:30:00.000Z", "2026-03-09T05:30:00.000Z"]);
  });
});

describe("a fixed-time job in a fall-back overlap", () => {
  it("fires once, at the first occurrence, in New York (01:30 at 05:30Z, not again at 06:30Z)", () => {
    assert.deepEqual(fires("30 1 * * *", NY, "2026-10-31T12:00:00Z", 2), ["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]);
  });

  it("fires once, at the first occurrence, in Berlin (02:30 at 00:30Z, not again at 01:30Z)", () => {
    assert.deepEqual(fires("30 2 * * *", BERLIN, "2026-10-24T12:00:00Z", 2), ["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
  });

  it("does not fire the second occurrence when asked right after the first fire", () => {
    const spec = parseCron("30 1 * * *", NY);
    assert.equal(nextFireAfter(spec, at("2026-11-01T05:30:00Z")), at("2026-11-02T06:30:00Z"));
  });

  it("does not fire the second occurrence when asked from inside the repeated hour (an agent restarted at 01:10 EST)", () => {
    const spec = parseCron("30 1 * * *", NY);
    assert.equal(nextFireAfter(spec, at("2026-11-01T06:10:00Z")), at("2026-11-02T06:30:00Z"));
  });

  it("fires a list of times once each", () => {
    assert.deepEqual(firesBetween("30 1,2 * * *", NY, "2026-11-01T04:00:00Z", "2026-11-02T00:00:00Z"), [
      "2026-11-01T05:30:00.000Z", // 01:30 EDT
      "2026-11-01T07:30:00.000Z", // 02:30 EST
    ]);
  });

  it("counts the first occurrence as the latest fire when looking back from the second", () => {
    assert.equal(previousFireAtOrBefore(parseCron("30 1 * * *", NY), at("2026-11-01T07:00:00Z")), at("2026-11-01T05:30:00Z"));
    assert.equal(previousFireAtOrBefore(parseCron("30 2 * * *", NY), at("2026-03-08T08:00:00Z")), at("2026-03-08T07:00:00Z"));
  });
});

describe("an interval job across DST transitions", () => {
  it("keeps firing every 15 real minutes through New York's fall-back, repeated hour included", () => {
    const list = firesBetween("*/15 * * * *", NY, "2026-11-01T04:50:00Z", "2026-11-01T07:10:00Z");
    assert.equal(list[0], "2026-11-01T05:00:00.000Z");
    assert.equal(list.at(-1), "2026-11-01T07:00:00.000Z");
    assert.deepEqual(gaps(list), Array(list.length - 1).fill(15));
  });

  it("keeps firing every 15 real minutes through New York's spring-forward", () => {
    const list = firesBetween("*/15 * * * *", NY, "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z");
    assert.deepEqual(gaps(list), Array(list.length - 1).fill(15));
    assert.ok(list.includes("2026-03-08T06:45:00.000Z") && list.includes("2026-03-08T07:00:00.000Z"), "01:45 EST is followed by 03:00 EDT");
  });

  it("keeps firing every 15 real minutes through both of Berlin's transitions", () => {
    for (const [from, to] of [
      ["2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z"],
      ["2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"],
    ] as const) {
      const list = firesBetween("*/15 * * * *", BERLIN, from, to);
      assert.equal(list.length, 7, `${from}: ${list.join(" ")}`);
      assert.deepEqual(gaps(list), Array(6).fill(15));
    }
  });

  it("fires an hourly job every real hour: twice at 01:00 on fall-back day, and 01:00 then 03:00 on spring-forward day", () => {
    assert.deepEqual(firesBetween("0 * * * *", NY, "2026-11-01T04:30:00Z", "2026-11-01T07:30:00Z"), [
      "2026-11-01T05:00:00.000Z", // 01:00 EDT
      "2026-11-01T06:00:00.000Z", // 01:00 EST
      "2026-11-01T07:00:00.000Z", // 02:00 EST
    ]);
    assert.deepEqual(firesBetween("@hourly", NY, "2026-03-08T05:30:00Z", "2026-03-08T07:30:00Z"), [
      "2026-03-08T06:00:00.000Z", // 01:00 EST
      "2026-03-08T07:00:00.000Z", // 03:00 EDT, one real hour later
    ]);
  });

  it("keeps a seconds-level job on a steady beat across the spring-forward instant", () => {
    const list = firesBetween("*/20 * * * * *", NY, "2026-03-08T06:59:50Z", "2026-03-08T07:00:50Z");
    assert.deepEqual(list, ["2026-03-08T07:00:00.000Z", "2026-03-08T07:00:20.000Z", "2026-03-08T07:00:40.000Z"]);
    const across = firesBetween("*/20 * * * * *", NY, "2026-03-08T06:59:00Z", "2026-03-08T07:01:00Z");
    assert.deepEqual(gaps(across).map((minutes) => Math.round(minutes * 60)), Array(across.length - 1).fill(20));
  });

  it("fires once at the gap's end for a wildcard job confined to the missing hour", () => {
    // Every minute of 02:00-02:59: that hour does not exist on 2026-03-08 in New York.
    assert.deepEqual(fires("* 2 * * *", NY, "2026-03-08T05:00:00Z", 2), ["2026-03-08T07:00:00.000Z", "2026-03-09T06:00:00.000Z"]);
  });
});

describe("the same times, however the expression spells them", () => {
  // New York, 2027: 02:00 EST → 03:00 EDT on 03-14 at 07:00Z; 02:00 EDT → 01:00 EST on 11-07 at 06:00Z.
  const spring = ["20 2 * * *", "0,20,40 2 * * *", "*/20 2 * * *", "0-59/20 2 * * *", "0-40 2 * * *", "* 2 * * *", "*/30 * 2 * * *", "0 0,20,40 2 * * *"];

  it("fires each spelling of a time inside the gap once, at 03:00 EDT (07:00Z), on 2027-03-14", () => {
    for (const expression of spring) {
      assert.deepEqual(firesBetween(expression, NY, "2027-03-14T05:00:00Z", "2027-03-15T05:00:00Z"), ["2027-03-14T07:00:00.000Z"], expression);
    }
  });

  it("gives every spelling of 02:00, 02:20 and 02:40 the same instants over the spring-forward weekend", () => {
    const expected = firesBetween("0,20,40 2 * * *", NY, "2027-03-12T00:00:00Z", "2027-03-17T00:00:00Z");
    assert.equal(expected.length, 13); // 3 a day, and 1 on the day the hour is missing
    for (const expression of ["*/20 2 * * *", "0-59/20 2 * * *", "0-40/20 2 * * *", "0,20-40/20 2-2 * * *"]) {
      assert.deepEqual(firesBetween(expression, NY, "2027-03-12T00:00:00Z", "2027-03-17T00:00:00Z"), expected, expression);
    }
  });

  it("fires each repeated time once for every spelling of a schedule confined to the repeated hour, on 2027-11-07", () => {
    for (const expression of ["0,20,40 1 * * *", "*/20 1 * * *", "0-59/20 1 * * *", "0 */20 1 * * *"]) {
      assert.deepEqual(
        firesBetween(expression, NY, "2027-11-07T04:00:00Z", "2027-11-08T04:00:00Z"),
        ["2027-11-07T05:00:00.000Z", "2027-11-07T05:20:00.000Z", "2027-11-07T05:40:00.000Z"], // 01:00-01:40 EDT, not again in EST
        expression,
      );
    }
  });

  it("fires both passes for every spelling of an every-hour schedule, on 2027-11-07", () => {
    const expected = ["2027-11-07T05:20:00.000Z", "2027-11-07T06:20:00.000Z", "2027-11-07T07:20:00.000Z"]; // 01:20 EDT, 01:20 EST, 02:20 EST
    for (const expression of ["20 * * * *", "20 0-23 * * *", "20 */1 * * *", "20 0-11,12-23 * * *"]) {
      assert.deepEqual(firesBetween(expression, NY, "2027-11-07T05:00:00Z", "2027-11-07T08:00:00Z"), expected, expression);
    }
  });

  it("looks back to the gap's end for every spelling", () => {
    for (const expression of spring) {
      assert.equal(previousFireAtOrBefore(parseCron(expression, NY), at("2027-03-14T07:00:59Z")), at("2027-03-14T07:00:00Z"), expression);
    }
  });
});

describe("transitions elsewhere", () => {
  it("runs a midnight job at 01:00 on the day midnight does not exist (America/Santiago)", () => {
    assert.deepEqual(fires("@daily", "America/Santiago", "2026-09-04T12:00:00Z", 3), [
      "2026-09-05T04:00:00.000Z", // 00:00 -04
      "2026-09-06T04:00:00.000Z", // 01:00 -03: the clocks went from 24:00 to 01:00
      "2026-09-07T03:00:00.000Z", // 00:00 -03
    ]);
  });

  it("moves a time inside a half-hour gap to the gap's end (Australia/Lord_Howe)", () => {
    assert.deepEqual(fires("15 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z", 3), [
      "2026-10-02T15:45:00.000Z", // 02:15 +10:30
      "2026-10-03T15:30:00.000Z", // 02:30 +11: the gap ran from 02:00 to 02:30
      "2026-10-04T15:15:00.000Z", // 02:15 +11
    ]);
  });
});

describe("clocks that move by other than an hour", () => {
  it("fires an hourly job at the gap's end for the missing hour in Pacific/Chatham (02:45 → 03:45)", () => {
    assert.deepEqual(firesBetween("0 * * * *", "Pacific/Chatham", "2026-09-26T13:00:00Z", "2026-09-26T15:00:00Z"), [
      "2026-09-26T13:15:00.000Z", // 02:00 +12:45
      "2026-09-26T14:00:00.000Z", // 03:45 +13:45: the gap's end, for the missing 03:00
      "2026-09-26T14:15:00.000Z", // 04:00 +13:45
    ]);
  });

  it("fires an hourly job at 02:30 for the missing 02:00 in Australia/Lord_Howe (02:00 → 02:30)", () => {
    assert.deepEqual(firesBetween("0 * * * *", "Australia/Lord_Howe", "2026-10-03T14:00:00Z", "2026-10-03T16:30:00Z"), [
      "2026-10-03T14:30:00.000Z", // 01:00 +10:30
      "2026-10-03T15:30:00.000Z", // 02:30 +11: the gap's end
      "2026-10-03T16:00:00.000Z", // 03:00 +11
    ]);
  });
});

describe("daily and weekly jobs outside the transitions", () => {
  it("keep their local time when the offset changes", () => {
    assert.deepEqual(fires("0 9 * * 1", BERLIN, "2026-03-20T00:00:00Z", 3), [
      "2026-03-23T08:00:00.000Z", // 09:00 CET
      "2026-03-30T07:00:00.000Z", // 09:00 CEST
      "2026-04-06T07:00:00.000Z",
    ]);
  });
});
