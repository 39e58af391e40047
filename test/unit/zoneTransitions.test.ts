import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { offsetAt, transitionsBetween } from "../../agent/core/zoneTransitions";

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const listed = (zone: string, fromIso: string, toIso: string) =>
  transitionsBetween(zone, at(fromIso), at(toIso)).map(({ at: ms, before, after }) => [new Date(ms).toISOString(), before / HOUR, after / HOUR]);

describe("zone transitions", () => {
  it("finds both of New York's changes in a year, to the second, with the offsets either side", () => {
    assert.deepEqual(listed("America/New_York", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"), [
      ["2026-03-08T07:00:00.000Z", -5, -4],
      ["2026-11-01T06:00:00.000Z", -4, -5],
    ]);
  });

  it("finds changes of less than an hour, in a zone 45 minutes off the hour", () => {
    assert.deepEqual(listed("Pacific/Chatham", "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z"), [["2026-09-26T14:00:00.000Z", 12.75, 13.75]]);
    assert.deepEqual(listed("Australia/Lord_Howe", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"), [["2026-10-03T15:30:00.000Z", 10.5, 11]]);
  });

  it("lists transitions across several years, oldest first, with fromMs excluded and toMs included", () => {
    const all = transitionsBetween("Europe/Berlin", at("2026-03-29T01:00:00Z"), at("2027-03-28T01:00:00Z")).map((t) => new Date(t.at).toISOString());
    assert.deepEqual(all, ["2026-10-25T01:00:00.000Z", "2027-03-28T01:00:00.000Z"]);
  });

  it("finds none in a zone without daylight saving time", () => {
    assert.deepEqual(listed("Asia/Kolkata", "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"), []);
    assert.equal(offsetAt("Asia/Kolkata", at("2027-07-01T00:00:00Z")), 5.5 * HOUR);
  });

  it("gives the new offset from the transition's first instant on", () => {
    assert.equal(offsetAt("America/New_York", at("2026-03-08T06:59:59.999Z")), -5 * HOUR);
    assert.equal(offsetAt("America/New_York", at("2026-03-08T07:00:00Z")), -4 * HOUR);
  });

  it("keeps the seconds of a local mean time offset (New York before 1883: -4:56:02)", () => {
    assert.equal(offsetAt("America/New_York", at("1880-06-01T00:00:00Z")), -(4 * HOUR + 56 * 60_000 + 2000));
  });
});
