import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateTimezone } from "../../agent/core/cron";
import { currentZoneName, listTimezones, RENAMED_ZONES } from "../../agent/core/timezones";

describe("listTimezones", () => {
  it("offers the current spelling of renamed zones and never the old one", () => {
    const zones = listTimezones();
    for (const [old, current] of Object.entries(RENAMED_ZONES)) {
      assert.ok(zones.includes(current), `${current} is listed`);
      assert.ok(!zones.includes(old), `${old} is not listed`);
    }
  });

  it("lists UTC once, sorted, with no duplicates", () => {
    const zones = listTimezones();
    assert.equal(zones.filter((z) => z === "UTC").length, 1);
    assert.deepEqual(zones, [...new Set(zones)].sort((a, b) => a.localeCompare(b)));
  });

  it("lists only zones the agent's own validation accepts, unchanged", () => {
    for (const zone of listTimezones()) assert.equal(validateTimezone(zone), zone);
  });

  it("hands out a copy, so a caller cannot change the list", () => {
    listTimezones().length = 0;
    assert.ok(listTimezones().length > 300);
  });
});

describe("currentZoneName", () => {
  it("renames old spellings and leaves every other name alone", () => {
    assert.equal(currentZoneName("Asia/Calcutta"), "Asia/Kolkata");
    assert.equal(currentZoneName("Europe/Kiev"), "Europe/Kyiv");
    assert.equal(currentZoneName("Europe/Berlin"), "Europe/Berlin");
    assert.equal(currentZoneName("Europe/Bratislava"), "Europe/Bratislava");
  });
});
