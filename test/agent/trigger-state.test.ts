// clockwork/triggerStateChanged: a client showing triggers learns a fire's
// new next instant and a run's progress from the agent as they happen,
// without listing again.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RegisterSchedule, TriggerStateChanged, type TriggerRecord } from "../../agent/protocol";
import { AgentProcess, recordNotifications, removeDir, shellWorkflow, tempHome, writeWorkflow } from "./agent-harness";

test("a schedule firing every second sends its record with the running run, then the failed run and a later next fire", { timeout: 60_000 }, async () => {
  const home = tempHome("trigger-state");
  const file = writeWorkflow(home, "tick.workflow.ts", shellWorkflow("tick", "exit 3"));
  const agent = await AgentProcess.start(home);
  const watcher = await agent.watch();
  try {
    const states = recordNotifications(watcher.client, TriggerStateChanged);
    const until = async (match: (t: TriggerRecord) => boolean) => {
      const found = await states.until(({ triggers }) => triggers.some((t) => t.name === "tick" && match(t)));
      return found.triggers.find((t) => t.name === "tick" && match(t))!;
    };
    const registered = await watcher.client.request(RegisterSchedule, { file, name: "tick", cron: "* * * * * *", timezone: "UTC" });
    const firstFire = Date.parse(registered.schedule!.nextFireAt!);

    const running = await until((t) => t.lastRun?.status === "running" || t.lastRun?.status === "queued");
    assert.ok(Date.parse(running.schedule!.nextFireAt!) > firstFire, "the fire moved the next fire on");
    const failed = await until((t) => t.lastRun?.status === "failed");
    assert.equal(failed.lastRun!.id, running.lastRun!.id, "the same run, now finished");
    // The run is one that the scheduler fired: its record says so.
    const run = watcher.latest().get(failed.lastRun!.id)!;
    assert.equal(run.triggerKind, "cron");
    assert.ok(Date.parse(failed.schedule!.nextFireAt!) > Date.parse(run.scheduledFor!), "the next fire is after the fired instant");
  } finally {
    watcher.client.close();
    await agent.stop();
    removeDir(home);
  }
});
