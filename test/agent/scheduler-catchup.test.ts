// The scheduler's time policies end to end: catch-up after downtime, and DST
// transitions, in a real agent. The pure rules are unit-tested in
// test/unit; these check that the agent applies them. DST uses the
// test-only CLOCKWORK_UNSAFE_FAKE_NOW clock, which starts the agent's clock at
// a chosen instant and lets it run at real speed.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadConfig } from "../../agent/config";
import { FINISHED_STATUSES, ListRuns, ListTriggers, RegisterSchedule, type RunSummary } from "../../agent/protocol";
import { openStore } from "../../agent/store";
import { AgentProcess, baseEnv, cli, removeDir, shellWorkflow, tempHome, writeWorkflow, type Watcher } from "./agent-harness";

const HOUR = 3_600_000;

/** Waits until the run has finished, whether that happened before or after the watcher subscribed. */
async function finished(watcher: Watcher, run: RunSummary): Promise<RunSummary> {
  if (FINISHED_STATUSES.includes(run.status)) return run;
  return watcher.until((runs) => runs.find((r) => r.id === run.id && FINISHED_STATUSES.includes(r.status)), "the run to finish");
}

describe("catch-up after six hours of downtime", () => {
  test("catchup once fires exactly once for the latest missed instant; catchup skip fires none and records what it missed", async () => {
    const home = tempHome("catchup");
    const work = join(home, "work");
    mkdirSync(work);
    const file = writeWorkflow(work, "hourly.workflow.ts", shellWorkflow("hourly", "echo caught up"));
    let agent: AgentProcess | undefined;
    try {
      // Registered with no agent running: straight into the store.
      for (const [name, catchup] of [["catch-once", "once"], ["catch-skip", "skip"]]) {
        const result = await cli(home, ["register", file, "--cron", "0 * * * *", "--tz", "UTC", "--name", name!, "--catchup", catchup!]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /no agent is running/);
      }
      // Six hours of downtime: the stored next fire is an hour boundary six hours ago.
      const store = openStore(loadConfig(baseEnv(home)).dbFile);
      const sixHoursAgo = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
      store.triggers.update("catch-once", { nextFireAt: sixHoursAgo });
      store.triggers.update("catch-skip", { nextFireAt: sixHoursAgo });
      store.close();

      // The first tick runs before the agent reports that it started.
      agent = await AgentProcess.start(home);
      const watcher = await agent.watch();
      const once = await watcher.client.request(ListRuns, { trigger: "catch-once" });
      assert.equal(once.length, 1, "exactly one catch-up fire, not a burst of six");
      const run = await finished(watcher, once[0]!);
      assert.equal(run.status, "success");
      assert.equal(run.triggerKind, "cron");
      const instant = Date.parse(run.scheduledFor!);
      assert.equal(instant % HOUR, 0, "an hour boundary");
      assert.ok(instant > sixHoursAgo && instant <= Date.now() && Date.now() - instant < HOUR, "the latest missed instant");

      assert.equal(run.missed?.count, 6, "the catch-up run says how many instants it stands for");
      // Skip fires nothing; it leaves one skipped record of what was missed.
      const skipped = await watcher.client.request(ListRuns, { trigger: "catch-skip" });
      assert.deepEqual(skipped.map((r) => [r.status, r.missed?.count]), [["skipped", 7]], "skip fires nothing");
      const triggers = await watcher.client.request(ListTriggers, { type: "schedule" });
      for (const trigger of triggers) {
        assert.equal(Date.parse(trigger.schedule!.nextFireAt!), instant + HOUR, `${trigger.name} moved on to the next hour`);
      }
      assert.match(agent.output, /catch-up: fired once/);
      watcher.client.close();
    } finally {
      await agent?.stop();
      removeDir(home);
    }
  });
});

describe("DST transitions in a running agent", () => {
  async function fireAcross(fakeNow: string, timezone: string) {
    const home = tempHome("dst");
    const work = join(home, "work");
    mkdirSync(work);
    const file = writeWorkflow(work, "night.workflow.ts", shellWorkflow("night", "echo night"));
    const agent = await AgentProcess.start(home, { CLOCKWORK_UNSAFE_FAKE_NOW: fakeNow });
    try {
      const watcher = await agent.watch();
      const registered = await watcher.client.request(RegisterSchedule, { file, cron: "30 2 * * *", timezone, name: "night" });
      const run = await watcher.until(
        (runs) => runs.find((r) => r.triggerName === "night" && FINISHED_STATUSES.includes(r.status)),
        "the 02:30 fire",
      );
      const [after] = await watcher.client.request(ListTriggers, { type: "schedule" });
      watcher.client.close();
      return { registered, run, after: after! };
    } finally {
      await agent.stop();
      removeDir(home);
    }
  }

  test("a daily 02:30 in New York's spring-forward gap fires once, when the gap ends at 03:00 EDT", async () => {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z); 02:30 does not exist that day.
    const { registered, run, after } = await fireAcross("2026-03-08T06:59:57Z", "America/New_York");
    assert.equal(registered.schedule!.nextFireAt, "2026-03-08T07:00:00.000Z");
    assert.equal(run.scheduledFor, "2026-03-08T07:00:00.000Z");
    assert.equal(run.status, "success");
    assert.equal(after.schedule!.nextFireAt, "2026-03-09T06:30:00.000Z", "next: 02:30 EDT the following day");
  });

  test("a daily 02:30 in Berlin's fall-back overlap fires once, at its first occurrence", async () => {
    // 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens at 00:30Z and again at 01:30Z.
    const { registered, run, after } = await fireAcross("2026-10-25T00:29:57Z", "Europe/Berlin");
    assert.equal(registered.schedule!.nextFireAt, "2026-10-25T00:30:00.000Z");
    assert.equal(run.scheduledFor, "2026-10-25T00:30:00.000Z");
    assert.equal(after.schedule!.nextFireAt, "2026-10-26T01:30:00.000Z", "the repeated 02:30 CET is not fired");
  });
});
