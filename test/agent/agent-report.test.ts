// A run started in a terminal (`clockwork run`) executes in the CLI's own
// process; with an agent up it is still visible live to every client, and a
// client can cancel it through the agent.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { tryConnect } from "../../agent/cli/client";
import { loadConfig } from "../../agent/config";
import { CancelRun, FINISHED_STATUSES, ReportRunChanged, type RunSummary } from "../../agent/protocol";
import { openStore } from "../../agent/store";
import { AgentProcess, baseEnv, bundle, cli, removeDir, tempHome, writeWorkflow, type Watcher } from "./agent-harness";

describe("clockwork run with an agent up", () => {
  let home: string;
  let work: string;
  let agent: AgentProcess;
  let watcher: Watcher;

  before(async () => {
    home = tempHome("report");
    work = join(home, "work");
    mkdirSync(work);
    agent = await AgentProcess.start(home);
    watcher = await agent.watch();
  });
  after(async () => {
    watcher.client.close();
    await agent.stop();
    removeDir(home);
  });

  test("every other client sees the run, its steps and its output live", async () => {
    const file = writeWorkflow(
      work,
      "hello.workflow.ts",
      `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({ name: "hello", steps: [shell("greet", "echo hello from the terminal")] });
`,
    );
    const result = await cli(home, ["run", file], {}, work);
    assert.equal(result.code, 0, result.stderr);
    const run = await watcher.until(
      (runs) => runs.find((r) => r.workflowName === "hello" && r.status === "success"),
      "the terminal run to be reported",
    );
    assert.equal(run.triggerKind, "manual");
    assert.ok(watcher.runs.some((r) => r.id === run.id && r.status === "running"), "the start was reported too");
    assert.ok(watcher.steps.some((s) => s.runId === run.id && s.step.name === "greet" && s.step.status === "success"));
    assert.match(
      watcher.logs.filter((c) => c.runId === run.id).map((c) => c.text).join(""),
      /hello from the terminal/,
    );
  });

  test("a start the agent reads only after the run has ended still reaches clients as a start, before the end", async () => {
    // A busy agent can handle a run's first report after the reporting
    // process has already written its end: the store says success, but the
    // clients must still hear the start, then the end, once each.
    const store = openStore(loadConfig(baseEnv(home)).dbFile);
    let run: RunSummary;
    try {
      const inserted = await store.runs.insertRun({ workflowName: "late", workflowFile: join(work, "late.workflow.ts"), triggerKind: "manual", status: "running" });
      run = (await store.runs.finishRun(inserted.id, "success"))!;
    } finally {
      await store.close();
    }
    const reporter = (await tryConnect(loadConfig(baseEnv(home))))!;
    try {
      await reporter.sendNotification(ReportRunChanged, { ...run, status: "running", finishedAt: null });
      await reporter.sendNotification(ReportRunChanged, run);
    } finally {
      reporter.close();
    }
    await watcher.until((runs) => runs.find((r) => r.id === run.id && r.status === "success"), "the end to be passed on");
    assert.deepEqual(
      watcher.runs.filter((r) => r.id === run.id).map((r) => r.status),
      ["running", "success"],
    );
  });

  test("a client cancels a terminal run through the agent", async () => {
    const file = writeWorkflow(
      work,
      "long.workflow.ts",
      `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({ name: "long", steps: [shell("wait", "sleep 60")] });
`,
    );
    const child = spawn(process.execPath, [bundle, "run", file], { env: baseEnv(home), cwd: work, stdio: "ignore" });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      const running = await watcher.until(
        (runs) => runs.find((r) => r.workflowName === "long" && r.status === "running"),
        "the terminal run to start",
      );
      await watcher.until(
        () => watcher.steps.some((s) => s.runId === running.id && s.step.status === "running") || undefined,
        "its step to start",
      );
      const cancelled = await watcher.client.request(CancelRun, { id: running.id });
      assert.ok(FINISHED_STATUSES.includes(cancelled.status));
      assert.equal(cancelled.status, "cancelled");
      assert.match(cancelled.error ?? "", /requested from another client/);
      assert.notEqual(await exited, 0, "the terminal run exits unsuccessfully");
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  });
});
