// Overlap policies against a real agent: an every-second schedule whose run
// takes longer than a second.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ListRuns, type RunSummary } from "../../agent/protocol";
import { AgentProcess, cli, removeDir, tempHome, writeWorkflow, type Watcher } from "./agent-harness";

// A code step that takes 2.5 s (and stops early when cancelled).
const slowWorkflow = (name: string) => `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({
  name: ${JSON.stringify(name)},
  steps: [code("wait", ({ signal }) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve("done"), 2500);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve("aborted"); });
  }))],
});
`;

const of = (name: string, runs: RunSummary[]) => runs.filter((r) => r.triggerName === name);

describe("overlap policies", () => {
  let home: string;
  let agent: AgentProcess;
  let watcher: Watcher;
  let file: string;

  before(async () => {
    home = tempHome("overlap");
    const work = join(home, "work");
    mkdirSync(work);
    file = writeWorkflow(work, "slow.workflow.ts", slowWorkflow("slow"));
    agent = await AgentProcess.start(home, { CLOCKWORK_MAX_CONCURRENT_RUNS: "8" });
    watcher = await agent.watch();
  });
  after(async () => {
    watcher.client.close();
    await agent.stop();
    removeDir(home);
  });

  test("skip records each fire that finds the previous run still going as a skipped run with the reason", async () => {
    assert.equal((await cli(home, ["register", file, "--cron", "* * * * * *", "--name", "skipper", "--overlap", "skip"])).code, 0);
    await watcher.until((runs) => of("skipper", runs).some((r) => r.status === "success") || undefined, "a finished run");
    await cli(home, ["pause", "skipper"]);

    const history = await watcher.client.request(ListRuns, { trigger: "skipper", limit: 100 });
    const skipped = history.filter((r) => r.status === "skipped");
    const ran = history.filter((r) => r.status !== "skipped");
    assert.ok(skipped.length >= 1, "a fire during the 2.5 s run was skipped");
    for (const run of skipped) {
      assert.match(run.error!, /previous run is still running \(overlap: skip\)/);
      assert.ok(run.scheduledFor && run.finishedAt, "recorded with its instant, already finished");
    }
    // Never two runs of this schedule at once.
    const spans = ran
      .filter((r) => r.startedAt && r.finishedAt)
      .map((r) => [Date.parse(r.startedAt!), Date.parse(r.finishedAt!)] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], "runs did not overlap");
    const instants = history.map((r) => r.scheduledFor);
    assert.equal(new Set(instants).size, instants.length, "each instant recorded once");
  });

  test("queue keeps at most one run waiting and starts it when the previous one finishes", async () => {
    // Track how many runs of the schedule wait at each notification.
    const state = new Map<string, RunSummary["status"]>();
    let maxWaiting = 0;
    assert.equal((await cli(home, ["register", file, "--cron", "* * * * * *", "--name", "queuer", "--overlap", "queue"])).code, 0);
    const seen = () => {
      for (const run of of("queuer", watcher.runs)) state.set(run.id, run.status);
      maxWaiting = Math.max(maxWaiting, [...state.values()].filter((s) => s === "queued").length);
    };
    await watcher.until((runs) => {
      seen();
      return of("queuer", runs).filter((r) => r.status === "success").length >= 2 || undefined;
    }, "two finished runs");
    await cli(home, ["pause", "queuer"]);

    const history = await watcher.client.request(ListRuns, { trigger: "queuer", limit: 100 });
    const done = history.filter((r) => r.status === "success").sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
    assert.ok(done.length >= 2);
    // The queued run started only after the previous one had finished.
    assert.ok(Date.parse(done[1]!.startedAt!) >= Date.parse(done[0]!.finishedAt!));
    assert.ok(Date.parse(done[1]!.startedAt!) - Date.parse(done[1]!.createdAt) > 500, "the second run waited in the queue");
    assert.equal(maxWaiting, 1, "at most one run waited at any time");
    const skipped = history.filter((r) => r.status === "skipped");
    assert.ok(skipped.length >= 1, "fires beyond the one waiting are skipped");
    assert.match(skipped[0]!.error!, /already waiting in the queue/);
  });
});
