// The run pool: runs execute concurrently up to CLOCKWORK_MAX_CONCURRENT_RUNS,
// and a slow workflow never delays another schedule's fire — with every slot
// busy, the fire is still claimed and recorded (queued) at its instant, and
// executes once a slot frees.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CancelRun, FireTrigger, type RunSummary } from "../../agent/protocol";
import { AgentProcess, cli, removeDir, tempHome, writeWorkflow } from "./agent-harness";

// Waits until cancelled, so the test decides when the slot frees.
const blocking = `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({
  name: "blocker",
  steps: [code("block", ({ signal }) => new Promise((resolve) => signal.addEventListener("abort", () => resolve("released"))))],
});
`;
const quick = `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({ name: "quick", steps: [code("main", () => "ok")] });
`;

async function withAgent(limit: number, body: (agent: AgentProcess, files: { blocker: string; quick: string }) => Promise<void>) {
  const home = tempHome(`pool${limit}`);
  const work = join(home, "work");
  mkdirSync(work);
  const files = { blocker: writeWorkflow(work, "blocker.workflow.ts", blocking), quick: writeWorkflow(work, "quick.workflow.ts", quick) };
  assert.equal((await cli(home, ["register", files.blocker, "--cron", "0 0 1 1 *", "--name", "blocker"])).code, 0);
  const agent = await AgentProcess.start(home, { CLOCKWORK_MAX_CONCURRENT_RUNS: String(limit) });
  try {
    await body(agent, files);
  } finally {
    await agent.stop();
    removeDir(home);
  }
}

const running = (runs: RunSummary[], id: string) => runs.some((r) => r.id === id && r.status === "running");

test("with one slot busy, a schedule's fire is recorded at its instant and runs when the slot frees", async () => {
  await withAgent(1, async (agent, files) => {
    const watcher = await agent.watch();
    const { runId: blockerId } = await watcher.client.request(FireTrigger, { name: "blocker" });
    await watcher.until((runs) => running(runs, blockerId) || undefined, "the blocker to occupy the only slot");

    assert.equal((await cli(agent.home, ["register", files.quick, "--cron", "* * * * * *", "--name", "quick"])).code, 0);
    const queued = await watcher.until(
      (runs) => runs.find((r) => r.triggerName === "quick" && r.status === "queued"),
      "a fire of the quick schedule",
    );
    assert.ok(queued.scheduledFor, "claimed for its instant");
    assert.ok(!watcher.runs.some((r) => r.id === queued.id && r.status === "running"), "it waits for the slot");
    assert.ok(!watcher.runs.some((r) => r.id === blockerId && r.status !== "running" && r.status !== "queued"));

    await watcher.client.request(CancelRun, { id: blockerId });
    const done = await watcher.until((runs) => runs.find((r) => r.id === queued.id && r.status === "success"), "the queued fire to run");
    assert.ok(Date.parse(done.startedAt!) >= Date.parse(queued.createdAt));
    await cli(agent.home, ["pause", "quick"]);
    watcher.client.close();
  });
});

test("with two slots, a fire runs while another workflow is still running", async () => {
  await withAgent(2, async (agent, files) => {
    const watcher = await agent.watch();
    const { runId: blockerId } = await watcher.client.request(FireTrigger, { name: "blocker" });
    await watcher.until((runs) => running(runs, blockerId) || undefined, "the blocker to start");

    assert.equal((await cli(agent.home, ["register", files.quick, "--cron", "* * * * * *", "--name", "quick"])).code, 0);
    const done = await watcher.until(
      (runs) => runs.find((r) => r.triggerName === "quick" && r.status === "success"),
      "a fire of the quick schedule to finish",
    );
    assert.ok(done);
    assert.ok(
      !watcher.runs.some((r) => r.id === blockerId && r.status !== "running" && r.status !== "queued"),
      "the blocker was still running meanwhile",
    );
    await cli(agent.home, ["pause", "quick"]);
    await watcher.client.request(CancelRun, { id: blockerId });
    watcher.client.close();
  });
});
