// How the agent ends: SIGTERM's grace period, and recovery after kill -9.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../agent/config";
import { ORPHAN_REASON } from "../../agent/daemon/agent";
import { ErrorCodes, FINISHED_STATUSES, GetRun, StartRun } from "../../agent/protocol";
import { openStore } from "../../agent/store";
import { AgentProcess, baseEnv, cli, removeDir, tempHome, writeWorkflow } from "./agent-harness";

/** A code step that waits `ms`, or until cancelled. */
const waitingWorkflow = (name: string, ms: number) => `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({
  name: ${JSON.stringify(name)},
  steps: [code("wait", ({ signal }) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve("waited"), ${ms});
    signal.addEventListener("abort", () => { clearTimeout(timer); reject(new Error("aborted")); });
  }))],
});
`;

function setup(label: string) {
  const home = tempHome(label);
  const work = join(home, "work");
  mkdirSync(work);
  return { home, work };
}

async function readRun(home: string, id: string) {
  const store = openStore(loadConfig(baseEnv(home)).dbFile);
  try {
    return await store.runs.getRun(id);
  } finally {
    await store.close();
  }
}

test("SIGTERM lets a 2-second run finish, refuses new runs meanwhile, and exits 0", async () => {
  const { home, work } = setup("grace");
  const file = writeWorkflow(work, "two.workflow.ts", waitingWorkflow("two-seconds", 2000));
  const agent = await AgentProcess.start(home);
  try {
    const watcher = await agent.watch();
    const { runId } = await watcher.client.request(StartRun, { file });
    await watcher.until((runs) => runs.some((r) => r.id === runId && r.status === "running") || undefined, "the run to start");

    const exit = agent.stop();
    // While the grace period runs the socket still answers, but new runs are refused.
    await assert.rejects(watcher.client.request(StartRun, { file }), (e: Error & { code?: number; kind?: string }) => {
      return /stopping/.test(e.message);
    });
    const finished = await watcher.until((runs) => runs.find((r) => r.id === runId && FINISHED_STATUSES.includes(r.status)), "the run to finish");
    assert.equal(finished.status, "success");
    assert.equal(await exit, 0);
    assert.equal((await readRun(home, runId)).status, "success");
  } finally {
    await agent.stop();
    removeDir(home);
  }
});

test("a run still going when the grace period ends is cancelled and recorded so", async () => {
  const { home, work } = setup("cancel");
  const file = writeWorkflow(work, "long.workflow.ts", waitingWorkflow("long", 60_000));
  const agent = await AgentProcess.start(home, { CLOCKWORK_SHUTDOWN_GRACE_MS: "300" });
  try {
    const watcher = await agent.watch();
    const { runId } = await watcher.client.request(StartRun, { file });
    await watcher.until((runs) => runs.some((r) => r.id === runId && r.status === "running") || undefined, "the run to start");
    assert.equal(await agent.stop(), 0);
    const run = await readRun(home, runId);
    assert.equal(run.status, "cancelled");
    assert.match(run.error!, /grace period/);
    assert.equal(run.steps[0]?.status, "cancelled");
  } finally {
    await agent.stop();
    removeDir(home);
  }
});

test("after kill -9 during a long run, the restarted agent records that run as failed with the reason", async () => {
  const { home, work } = setup("kill9");
  const file = writeWorkflow(work, "long.workflow.ts", waitingWorkflow("long", 60_000));
  let agent = await AgentProcess.start(home);
  try {
    const watcher = await agent.watch();
    const { runId } = await watcher.client.request(StartRun, { file });
    await watcher.until((runs) => runs.some((r) => r.id === runId && r.status === "running") || undefined, "the run to start");
    await agent.kill9();
    assert.equal((await readRun(home, runId)).status, "running", "nobody has finished it yet");

    agent = await AgentProcess.start(home);
    const client = await agent.connect();
    try {
      const run = await client.request(GetRun, { id: runId });
      assert.equal(run.status, "failed");
      assert.equal(run.error, ORPHAN_REASON);
      assert.ok(run.finishedAt);
      await assert.rejects(client.request(GetRun, { id: "zzzzzzzz" }), (e: { code: number }) => e.code === ErrorCodes.NotFound);
    } finally {
      client.close();
    }
  } finally {
    await agent.stop();
    removeDir(home);
  }
});

test("after kill -9, a CLI command that notices first also records the agent's reason", async () => {
  const { home, work } = setup("kill9-cli");
  const file = writeWorkflow(work, "long.workflow.ts", waitingWorkflow("long", 60_000));
  const agent = await AgentProcess.start(home);
  try {
    const watcher = await agent.watch();
    const { runId } = await watcher.client.request(StartRun, { file });
    await watcher.until((runs) => runs.some((r) => r.id === runId && r.status === "running") || undefined, "the run to start");
    await agent.kill9();

    const history = await cli(home, ["history", "--json"]);
    assert.equal(history.code, 0, history.stderr);
    const listed = (JSON.parse(history.stdout) as Array<{ id: string; status: string; error: string | null }>).find((r) => r.id === runId);
    assert.equal(listed?.status, "failed");
    assert.equal(listed?.error, ORPHAN_REASON);
  } finally {
    await agent.stop();
    removeDir(home);
  }
});
