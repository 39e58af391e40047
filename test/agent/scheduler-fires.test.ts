// Schedules firing in a real agent: history, pause/resume, update.
// Second-level (6-field) expressions keep each test to a few seconds; every
// wait is on the agent's run notifications.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ListRuns, ListTriggers, type RunSummary } from "../../agent/protocol";
import { AgentProcess, cli, removeDir, shellWorkflow, tempHome, writeWorkflow, type Watcher } from "./agent-harness";

const cronRunsOf = (name: string) => (runs: RunSummary[]) =>
  runs.filter((r) => r.triggerName === name && r.triggerKind === "cron");
const finishedOf = (name: string, runs: RunSummary[]) =>
  cronRunsOf(name)(runs).filter((r) => r.status === "success" || r.status === "failed");

describe("schedules in a running agent", () => {
  let home: string;
  let work: string;
  let agent: AgentProcess;
  let watcher: Watcher;
  let file: string;

  before(async () => {
    home = tempHome("fires");
    work = join(home, "work");
    mkdirSync(work);
    file = writeWorkflow(work, "tick.workflow.ts", shellWorkflow("tick", "echo tick"));
    agent = await AgentProcess.start(home, { CLOCKWORK_MAX_CONCURRENT_RUNS: "8" });
    watcher = await agent.watch();
  });
  after(async () => {
    watcher.client.close();
    await agent.stop();
    removeDir(home);
  });

  test("fires land in history as cron runs, one per instant, with scheduled_for on the instant", async () => {
    const registered = await cli(home, ["register", file, "--cron", "* * * * * *", "--name", "every-second", "--tz", "UTC"]);
    assert.equal(registered.code, 0, registered.stderr);
    assert.match(registered.stdout, /registered schedule every-second: Every second \(UTC\)/);

    await watcher.until((runs) => finishedOf("every-second", runs).length >= 3 || undefined, "three fires");
    const history = await watcher.client.request(ListRuns, { trigger: "every-second", limit: 100 });
    const done = history.filter((r) => r.status === "success");
    assert.ok(done.length >= 3);
    for (const run of done) {
      assert.equal(run.triggerKind, "cron");
      assert.equal(run.workflowName, "tick");
      assert.ok(run.scheduledFor, "scheduled_for is set");
      assert.equal(Date.parse(run.scheduledFor!) % 1000, 0, "a whole second");
    }
    const instants = history.map((r) => r.scheduledFor);
    assert.equal(new Set(instants).size, instants.length, "no instant fired twice");

    const [trigger] = await watcher.client.request(ListTriggers, { type: "schedule" });
    assert.equal(trigger!.lastRun?.status !== undefined, true);
    assert.ok(Date.parse(trigger!.schedule!.nextFireAt!) > Date.parse(history[0]!.scheduledFor!));
    assert.equal((await cli(home, ["unregister", "every-second"])).code, 0);
  });

  test("pause stops the fires and resume continues at the next instant without a backlog", async () => {
    assert.equal((await cli(home, ["register", file, "--cron", "* * * * * *", "--name", "pausable"])).code, 0);
    assert.equal((await cli(home, ["register", file, "--cron", "* * * * * *", "--name", "clock"])).code, 0);
    await watcher.until((runs) => finishedOf("pausable", runs).length >= 1 || undefined, "a first fire");

    const paused = await cli(home, ["pause", "pausable", "--json"]);
    assert.equal(paused.code, 0, paused.stderr);
    const pausedRecord = JSON.parse(paused.stdout);
    assert.equal(pausedRecord.paused, true);
    assert.equal(pausedRecord.schedule.nextFireAt, null);
    const pausedAt = Date.now();
    const seenAtPause = cronRunsOf("pausable")(watcher.runs).length;

    // The clock schedule keeps firing meanwhile: three of its fires after the
    // pause are three seconds in which the paused schedule had its chance.
    const clockBefore = finishedOf("clock", watcher.runs).length;
    await watcher.until((runs) => finishedOf("clock", runs).length >= clockBefore + 3 || undefined, "three clock fires");
    const firedWhilePaused = cronRunsOf("pausable")(watcher.runs)
      .slice(seenAtPause)
      .filter((r) => Date.parse(r.createdAt) > pausedAt);
    assert.deepEqual(firedWhilePaused, [], "no fire while paused");

    const resumed = await cli(home, ["resume", "pausable", "--json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const resumedAt = Date.parse(JSON.parse(resumed.stdout).updatedAt);
    const afterResume = await watcher.until(
      (runs) => finishedOf("pausable", runs).find((r) => Date.parse(r.scheduledFor!) >= resumedAt),
      "a fire after resume",
    );
    assert.ok(Date.parse(afterResume.scheduledFor!) - resumedAt <= 1000, "the next regular instant, not a later one");
    const history = await watcher.client.request(ListRuns, { trigger: "pausable", limit: 100 });
    const inGap = history.filter((r) => Date.parse(r.scheduledFor!) > pausedAt && Date.parse(r.scheduledFor!) < resumedAt);
    assert.deepEqual(inGap, [], "the paused instants are not fired as a backlog");

    await cli(home, ["unregister", "pausable"]);
    await cli(home, ["unregister", "clock"]);
  });

  test("update changes a schedule in place and the new cadence takes effect at once", async () => {
    assert.equal((await cli(home, ["register", file, "--cron", "0 0 1 1 *", "--name", "yearly", "--tz", "UTC"])).code, 0);
    const updated = await cli(home, ["update", "yearly", "--cron", "*/2 * * * * *", "--overlap", "parallel", "--json"]);
    assert.equal(updated.code, 0, updated.stderr);
    const record = JSON.parse(updated.stdout);
    assert.equal(record.schedule.cron, "*/2 * * * * *");
    assert.equal(record.schedule.overlap, "parallel");
    assert.equal(record.schedule.description, "Every 2 seconds");
    const updatedAt = Date.parse(record.updatedAt);
    assert.ok(Date.parse(record.schedule.nextFireAt) - updatedAt <= 2000, "next fire recomputed from now");

    const fired = await watcher.until((runs) => finishedOf("yearly", runs)[0], "a fire on the new cadence");
    assert.equal(fired.scheduledFor, record.schedule.nextFireAt);
    assert.equal(Date.parse(fired.scheduledFor!) / 1000 % 2, 0);
    await cli(home, ["unregister", "yearly"]);
  });

  test("a schedule whose workflow file broke after registration records a failed run with the load error", async () => {
    const fragile = writeWorkflow(work, "fragile.workflow.ts", shellWorkflow("fragile", "echo ok"));
    assert.equal((await cli(home, ["register", fragile, "--cron", "* * * * * *", "--name", "fragile"])).code, 0);
    writeWorkflow(work, "fragile.workflow.ts", "export default {{ broken");
    const failed = await watcher.until(
      (runs) => cronRunsOf("fragile")(runs).find((r) => r.status === "failed"),
      "a failed fire",
    );
    assert.match(failed.error!, /fragile\.workflow\.ts:\d+:\d+/);
    const [broken] = await watcher.client.request(ListTriggers, { names: ["fragile"] });
    assert.equal(broken!.state, "error", "the schedule shows the problem in listings");
    assert.match(broken!.error!, /does not load: .*fragile\.workflow\.ts:\d+:\d+/);

    writeWorkflow(work, "fragile.workflow.ts", shellWorkflow("fragile", "echo fixed"));
    await watcher.until((runs) => cronRunsOf("fragile")(runs).find((r) => r.status === "success"), "a fire after the fix");
    const [fixed] = await watcher.client.request(ListTriggers, { names: ["fragile"] });
    assert.equal(fixed!.state, "active");
    assert.equal(fixed!.error, null);
    await cli(home, ["unregister", "fragile"]);
    assert.equal((await cli(home, ["status"])).code, 0, "the agent keeps running");
  });
});
