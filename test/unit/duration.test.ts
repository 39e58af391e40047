import assert from "node:assert/strict";
import { test } from "node:test";
import { formatBytes, parseDuration } from "../../agent/core/duration";
import { terminalDuration } from "../../agent/core/durationText";

test("durations are milliseconds or a number with ms, s, m or h", () => {
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("2h"), 7_200_000);
});

test("anything else is refused with the forms that are accepted", () => {
  for (const bad of ["30", "5 minutes", "-1s", "1d", "", "s", -5, Number.NaN, null, {}]) {
    assert.throws(() => parseDuration(bad), /duration/, `accepted ${String(bad)}`);
  }
  assert.throws(() => parseDuration("5x"), /"5x" is not a duration: use milliseconds \(a number\) or a string such as "500ms", "30s"/);
});

test("durations print short and readable", () => {
  assert.equal(terminalDuration(12), "12ms");
  assert.equal(terminalDuration(1234), "1.2s");
  assert.equal(terminalDuration(42_000), "42s");
  assert.equal(terminalDuration(185_000), "3m 05s");
  assert.equal(terminalDuration(3_720_000), "1h 02m");
});

test("sizes print in B, KiB and MiB", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(3 * 1024 * 1024 + 200 * 1024), "3.2 MiB");
});
