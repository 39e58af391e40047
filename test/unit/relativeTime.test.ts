import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { editorDuration } from "../../agent/core/durationText";
import { nextChangeIn, relativeTime, runDuration, shortTime } from "../../agent/core/relativeTime";

const NOW = Date.parse("2025-05-12T10:00:00Z");
const s = 1000;
const min = 60 * s;
const h = 60 * min;

describe("relativeTime", () => {
  it("says now within five seconds either way", () => {
    assert.equal(relativeTime(NOW + 4 * s, NOW), "now");
    assert.equal(relativeTime(NOW - 4 * s, NOW), "now");
  });

  it("counts seconds, minutes, hours and days into the future, truncating like a countdown", () => {
    assert.equal(relativeTime(NOW + 42 * s, NOW), "in 42 s");
    assert.equal(relativeTime(NOW + 3 * min + 50 * s, NOW), "in 3 min");
    assert.equal(relativeTime(NOW + 2 * h + 10 * min, NOW), "in 2 h 10 min");
    assert.equal(relativeTime(NOW + 2 * h, NOW), "in 2 h");
    assert.equal(relativeTime(NOW + 11 * h + 59 * min, NOW), "in 11 h");
    assert.equal(relativeTime(NOW + 24 * h + 30 * min, NOW), "in 1 day");
    assert.equal(relativeTime(NOW + 30 * h + 30 * min, NOW), "in 1 day 6 h");
    assert.equal(relativeTime(NOW + 80 * h, NOW), "in 3 days");
  });

  it("says ago for instants in the past", () => {
    assert.equal(relativeTime(NOW - 4 * min - 59 * s, NOW), "4 min ago");
    assert.equal(relativeTime(NOW - 3 * 24 * h, NOW), "3 days ago");
  });
});

describe("nextChangeIn", () => {
  it("wakes exactly when a countdown in minutes drops to the next value", () => {
    const target = NOW + 3 * min + 20 * s;
    const delay = nextChangeIn(target, NOW);
    assert.equal(relativeTime(target, NOW + delay - 1), "in 3 min");
    assert.equal(relativeTime(target, NOW + delay), "in 2 min");
  });

  it("ticks by the second in the last minute", () => {
    const target = NOW + 30 * s + 300;
    const delay = nextChangeIn(target, NOW);
    assert.equal(delay, 301);
    assert.notEqual(relativeTime(target, NOW + delay), relativeTime(target, NOW));
  });

  it("wakes when a past instant's minute count grows", () => {
    const target = NOW - 4 * min - 10 * s;
    const delay = nextChangeIn(target, NOW);
    assert.equal(relativeTime(target, NOW + delay - 1), "4 min ago");
    assert.equal(relativeTime(target, NOW + delay), "5 min ago");
  });

  it("never sleeps longer than a minute, even days ahead", () => {
    assert.ok(nextChangeIn(NOW + 5 * 24 * h + 30 * s, NOW) <= min);
  });
});

describe("editorDuration", () => {
  it("uses the unit a person would", () => {
    assert.equal(editorDuration(850), "850 ms");
    assert.equal(editorDuration(4_260), "4.2 s");
    assert.equal(editorDuration(42_000), "42 s");
    assert.equal(editorDuration(3 * min + 5 * s), "3 min 5 s");
    assert.equal(editorDuration(2 * h + 4 * min), "2 h 4 min");
    assert.equal(editorDuration(-1), "");
  });
});

describe("runDuration", () => {
  it("measures a finished run between start and finish and a running run up to now", () => {
    const startedAt = new Date(NOW - 10 * s).toISOString();
    assert.equal(runDuration({ startedAt, finishedAt: new Date(NOW - 4 * s).toISOString() }, NOW), 6 * s);
    assert.equal(runDuration({ startedAt, finishedAt: null }, NOW), 10 * s);
    assert.equal(runDuration({ startedAt: null, finishedAt: null }, NOW), null);
  });
});

describe("shortTime", () => {
  it("shows only the time today, the weekday this week and the date further away, in the given zone", () => {
    assert.equal(shortTime(Date.parse("2025-05-12T14:30:00Z"), NOW, "UTC"), "14:30");
    assert.equal(shortTime(Date.parse("2025-05-14T09:00:00Z"), NOW, "UTC"), "Wed 09:00");
    assert.equal(shortTime(Date.parse("2025-06-01T09:00:00Z"), NOW, "UTC"), "1 Jun 09:00");
    assert.equal(shortTime(Date.parse("2025-05-12T14:30:00Z"), NOW, "Asia/Tokyo"), "23:30");
  });
});
