// Missed instants made visible, in a real agent: after downtime the
// catch-up run (catchup: once) or a skipped record (catchup: skip) says how
// many instants were missed and which; `clockwork list` and `show` print
// them with the backfill command that runs them; once backfilled, the
// schedule reports nothing outstanding.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadConfig } from "../../agent/config";
import { FINISHED_STATUSES, ListRuns, ListTriggers, type RunSummary, type TriggerRecord } from "../../agent/protocol";
import { openStore } from "../../agent/store";
import { AgentProcess, baseEnv, cli, removeDir, shellWorkflow, tempHome, writeWorkflow, type Watcher } from "./agent-harness";

const HOUR = 3_600_000;

async function finished(watcher: Watcher, ids: string[]): Promise<RunSummary[]> {
  return watcher.until((runs) => {
    const latest = new Map(runs.map((r) => [r.id, r]));
    const states = ids.map((id) => latest.get(id));
    return states.every((r) => r && FINISHED_STATUSES.includes(r.status)) ? (states as RunSummary[]) : undefined;
  }, "the backfill runs to finish");
}

describe("missed instants after downtime", { timeout: 120_000 }, () => {
  test("the catch-up run and the skip record name the missed instants; list and show print them until a backfill runs them", async () => {
    const home = tempHome("missed");
    const work = join(home, "work");
    mkdirSync(work);
    const file = writeWorkflow(work, "hourly.workflow.ts", shellWorkflow("hourly", "echo {run.scheduled_for}"));
    let agent: AgentProcess | undefined;
    try {
      for (const [name, catchup] of [["missed-once", "once"], ["missed-skip", "skip"]] as const) {
        const result = await cli(home, ["register", file, "--cron", "0 * * * *", "--tz", "UTC", "--name", name, "--catchup", catchup]);
        assert.equal(result.code, 0, result.stderr);
      }
      // Three hours of downtime: four hourly instants are due when the agent starts.
      const threeHoursAgo = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
      const store = openStore(loadConfig(baseEnv(home)).dbFile);
      await store.triggers.update("missed-once", { nextFireAt: threeHoursAgo });
      await store.triggers.update("missed-skip", { nextFireAt: threeHoursAgo });
      await store.close();
      const due = [0, 1, 2, 3].map((h) => new Date(threeHoursAgo + h * HOUR).toISOString());

      agent = await AgentProcess.start(home);
      const watcher = await agent.watch();
      const [catchUp] = await watcher.client.request(ListRuns, { trigger: "missed-once" });
      assert.equal(catchUp!.scheduledFor, due[3], "the catch-up run is for the latest instant");
      assert.deepEqual(catchUp!.missed, { count: 3, instants: due.slice(0, 3), last: due[2] });
      const [record] = await watcher.client.request(ListRuns, { trigger: "missed-skip" });
      assert.equal(record!.status, "skipped");
      assert.deepEqual(record!.missed, { count: 4, instants: due, last: due[3] });
      assert.match(record!.error ?? "", /missed 4 fires .*catchup: skip/);

      const listed = await watcher.client.request(ListTriggers, { type: "schedule" });
      const report = (name: string) => listed.find((t: TriggerRecord) => t.name === name)!.schedule!.missed;
      assert.equal(report("missed-once")?.outstanding, 3);
      assert.equal(report("missed-skip")?.runId, record!.id);

      const list = await cli(home, ["list"]);
      assert.match(list.stdout, /SCHEDULE .* MISSED/);
      assert.match(list.stdout, /missed-skip missed 4 instants: /);
      const hint = new RegExp(`run them with: (clockwork backfill missed-skip --from ${due[0]} --to \\S+)`).exec(list.stdout);
      assert.ok(hint, list.stdout);
      const show = await cli(home, ["show", record!.id]);
      assert.match(show.stdout, /missed +4 instants from .* to .*:\n/);
      assert.ok(show.stdout.includes(`run them with: ${hint[1]}`), show.stdout);

      // The command the listing suggests runs exactly the missed instants.
      const args = hint[1]!.split(" ").slice(1);
      const backfill = await cli(home, [...args, "--json"]);
      assert.equal(backfill.code, 0, backfill.stderr);
      const result = JSON.parse(backfill.stdout) as { instants: Array<{ scheduledFor: string; runId: string }> };
      assert.deepEqual(result.instants.map((i) => i.scheduledFor), due);
      await finished(watcher, result.instants.map((i) => i.runId));
      const after = await watcher.client.request(ListTriggers, { names: ["missed-skip"] });
      assert.equal(after[0]!.schedule!.missed, null, "nothing outstanding once every missed instant has a run");
      assert.doesNotMatch((await cli(home, ["list"])).stdout, /missed-skip missed/);
      watcher.client.close();
    } finally {
      await agent?.stop();
      removeDir(home);
    }
  });
});
