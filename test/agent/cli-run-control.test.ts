// `clockwork fire` and `clockwork cancel`, with and without an agent.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { AgentProcess, baseEnv, bundle, cli, removeDir, tempHome, writeWorkflow } from "./agent-harness";

const sleeper = `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({ name: "sleeper", steps: [shell("nap", "sleep 60")] });
`;

test("fire runs a registered trigger now and cancel stops that run, both through the agent", async () => {
  const home = tempHome("fire-cancel");
  const work = join(home, "work");
  mkdirSync(work);
  const file = writeWorkflow(work, "sleeper.workflow.ts", sleeper);
  const agent = await AgentProcess.start(home);
  try {
    const registered = await cli(home, ["register", file, "--cron", "0 0 1 1 *", "--name", "yearly"]);
    assert.equal(registered.code, 0, registered.stderr);
    const watcher = await agent.watch();

    const fired = await cli(home, ["fire", "yearly", "--json"]);
    assert.equal(fired.code, 0, fired.stderr);
    const { runId } = JSON.parse(fired.stdout) as { runId: string };
    await watcher.until((runs) => runs.some((r) => r.id === runId && r.status === "running") || undefined, "the fired run to start");

    const cancelled = await cli(home, ["cancel", runId.slice(0, 6), "--json"]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal((JSON.parse(cancelled.stdout) as { status: string }).status, "cancelled");

    const shown = JSON.parse((await cli(home, ["show", runId, "--json"])).stdout) as { triggerKind: string; triggerName: string; status: string };
    assert.deepEqual([shown.triggerKind, shown.triggerName, shown.status], ["manual", "yearly", "cancelled"]);

    const again = await cli(home, ["cancel", runId]);
    assert.equal(again.code, 1, "a finished run is an error with an agent too");
    assert.match(again.stderr, /already finished \(cancelled\); nothing to cancel/);

    const unknown = await cli(home, ["fire", "nope"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /nope/);
  } finally {
    await agent.stop();
    removeDir(home);
  }
});

test("without an agent, cancel asks the clockwork run process to cancel and it records cancelled", async () => {
  const home = tempHome("cancel-noagent");
  const file = writeWorkflow(home, "sleeper.workflow.ts", sleeper);
  const child = spawn(process.execPath, [bundle, "run", file], { env: baseEnv(home), stdio: ["ignore", "pipe", "pipe"] });
  try {
    let out = "";
    const runId = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        out += d;
        const match = /run ([0-9a-z]{12})/.exec(out);
        // The step header is printed once the step (and its process) started.
        if (match && /nap/.test(out)) resolve(match[1]!);
      });
      child.once("exit", (code) => reject(new Error(`run exited early with ${code}: ${out}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

    const cancelled = await cli(home, ["cancel", runId]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(await exited, 143);
    const shown = JSON.parse((await cli(home, ["show", runId, "--json"])).stdout) as { status: string };
    assert.equal(shown.status, "cancelled");

    const again = await cli(home, ["cancel", runId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already finished/);
  } finally {
    child.kill("SIGKILL");
    removeDir(home);
  }
});
