// The cron editor validates with the agent: the zones it offers come from
// clockwork/cron/timezones, and clockwork/cron/preview gives the same answer
// as registering, naming the field that is wrong.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AgentClient } from "../../agent/cli/client";
import { CronPreviewRequest, RegisterSchedule, Timezones } from "../../agent/protocol";
import { AgentProcess, removeDir, shellWorkflow, tempHome, writeWorkflow } from "./agent-harness";

describe("zones and previews from the agent", { timeout: 60_000 }, () => {
  let home: string;
  let agent: AgentProcess;
  let client: AgentClient;
  let file: string;

  before(async () => {
    home = tempHome("cron-validation");
    file = writeWorkflow(home, "z.workflow.ts", shellWorkflow("z", "true"));
    agent = await AgentProcess.start(home, { TZ: "Asia/Kolkata" });
    client = await agent.connect();
  });

  after(async () => {
    client?.close();
    await agent?.stop();
    removeDir(home);
  });

  test("offers zones in their current IANA spelling, with UTC, and the agent machine's zone as the default", async () => {
    const { zones, defaultZone } = await client.request(Timezones, undefined);
    for (const zone of ["Asia/Kolkata", "Europe/Kyiv", "America/Argentina/Buenos_Aires", "UTC", "Europe/Berlin"]) {
      assert.ok(zones.includes(zone), `${zone} is offered`);
    }
    for (const old of ["Asia/Calcutta", "Europe/Kiev", "America/Buenos_Aires"]) assert.ok(!zones.includes(old), `${old} is not offered`);
    assert.deepEqual(zones, [...zones].sort((a, b) => a.localeCompare(b)));
    assert.equal(defaultZone, "Asia/Kolkata");
  });

  const cases: Array<{ zone: string; cron: string; ok: boolean; field?: string }> = [
    { zone: "Asia/Kolkata", cron: "0 9 * * 1-5", ok: true },
    { zone: "Europe/Kyiv", cron: "0 9 * * *", ok: true },
    { zone: "Etc/UTC", cron: "*/5 * * * *", ok: true },
    { zone: "America/Argentina/Buenos_Aires", cron: "@daily", ok: true },
    { zone: "Asia/Calcutta", cron: "0 9 * * *", ok: true },
    { zone: "Mars/Olympus", cron: "0 9 * * *", ok: false, field: "timezone" },
    { zone: "+05:30", cron: "0 9 * * *", ok: false, field: "timezone" },
    { zone: "Mars/Olympus", cron: "61 * * * *", ok: false, field: "timezone" },
    { zone: "Asia/Kolkata", cron: "61 * * * *", ok: false, field: "expression" },
  ];
  for (const [i, c] of cases.entries()) {
    test(`preview and register agree on ${c.cron} in ${c.zone}`, async () => {
      const preview = await client.request(CronPreviewRequest, { expression: c.cron, timezone: c.zone });
      assert.equal(preview.ok, c.ok, preview.ok ? "preview ok" : preview.error);
      if (!preview.ok) assert.equal(preview.field, c.field);
      const registered = client.request(RegisterSchedule, { file, name: `z${i}`, cron: c.cron, timezone: c.zone });
      if (c.ok) assert.equal((await registered).schedule!.timezone, c.zone);
      else await assert.rejects(registered, (error: Error) => error.message === (preview.ok ? "" : preview.error));
    });
  }
});
