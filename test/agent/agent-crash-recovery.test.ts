// kill -9 of the agent, with real processes: what it was running is ended
// (step process groups at the next start, executors at once), what it had
// accepted but not started runs after the restart, and only what had
// started is failed — as interrupted, saying so.
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { signBody } from "../../agent/core/signature";
import { ListRuns, StartRun, type RunSummary } from "../../agent/protocol";
import { AgentProcess, removeDir, tempHome, writeWorkflow, type Watcher } from "./agent-harness";
import { post, registerWebhook, startTestAgent, type TestAgent } from "./webhook-harness";

/** True while a process of group `pgid` runs (a killed one waiting to be reaped does not count). */
const groupAlive = (pgid: number) =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .some((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return fields[0] !== "Z" && Number(fields[2]) === pgid;
      } catch {
        return false;
      }
    });

/** Polls an observable condition of other processes (there is no event to wait on for a process group's end). */
async function eventually(condition: () => boolean, what: string, limitMs = 20_000, refresh?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    await refresh?.();
    if (condition()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(refresh ? 250 : 50);
  }
}

/** `promise`, or a failure naming `what` after `ms`: a hang shows what was waited for. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function stepGroup(home: string, runId: string): number {
  const db = new Database(join(home, "clockwork.db"), { readonly: true });
  try {
    const row = db.prepare("SELECT pgid FROM run_steps WHERE run_id = ? AND status = 'running'").get(runId) as { pgid: number | null } | undefined;
    assert.ok(row?.pgid, `run ${runId} recorded the process group of its running step`);
    return row.pgid;
  } finally {
    db.close();
  }
}

describe("after a kill -9 of the agent, no step process outlives its run", { skip: process.platform !== "linux" && "reads /proc" }, () => {
  let home: string;
  let agent: AgentProcess;

  before(() => {
    home = tempHome("crash-steps");
  });
  after(async () => {
    await agent?.stop();
    removeDir(home);
  });

  test("a shell step's group is ended by the next start before the run is failed; a code step's executor ends with the agent", async () => {
    const marker = join(home, "marker");
    const shellFile = writeWorkflow(
      home,
      "slow.workflow.ts",
      `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({ name: "slow", steps: [shell("s", ${JSON.stringify(`sleep 3; touch ${marker}`)})] });
`,
    );
    const codeFile = writeWorkflow(
      home,
      "child.workflow.ts",
      `import { defineWorkflow, code } from "clockwork";
import { spawn } from "node:child_process";
export default defineWorkflow({
  name: "child",
  steps: [code("c", () => new Promise((resolve) => spawn("sleep", ["30"]).on("exit", resolve)), { timeout: "1m" })],
});
`,
    );
    agent = await AgentProcess.start(home);
    const watcher: Watcher = await agent.watch();
    const shellRun = (await watcher.client.request(StartRun, { file: shellFile })).runId;
    const codeRun = (await watcher.client.request(StartRun, { file: codeFile })).runId;
    for (const id of [shellRun, codeRun]) {
      await watcher.until(() => watcher.steps.some((s) => s.runId === id && s.step.status === "running"), `a step of ${id} to start`);
    }
    const shellGroup = stepGroup(home, shellRun);
    const executorGroup = stepGroup(home, codeRun);
    assert.ok(groupAlive(shellGroup) && groupAlive(executorGroup));

    watcher.client.close();
    await agent.kill9();
    // The executor (and the child its code step started) notices its parent is gone.
    await eventually(() => !groupAlive(executorGroup), "the code step's executor group to end");

    agent = await AgentProcess.start(home);
    // Recovery runs before the agent says it started.
    assert.equal(groupAlive(shellGroup), false, "the shell step's process group was ended at start");
    assert.equal(existsSync(marker), false);
    const next = await agent.watch();
    const runs = await next.client.request(ListRuns, { limit: 10 });
    for (const id of [shellRun, codeRun]) {
      const run = runs.find((r) => r.id === id)!;
      assert.equal(run.status, "failed");
      assert.match(run.error ?? "", /^interrupted: the agent stopped while this run was in progress/);
    }
    assert.match(runs.find((r) => r.id === shellRun)!.error ?? "", /step processes it left running were ended first/);
    next.client.close();
  });
});

describe("an accepted run always runs", { timeout: 240_000 }, () => {
  const TOTAL = 1200;
  const KILL_AFTER = 400;
  const env = { CLOCKWORK_MAX_CONCURRENT_RUNS: "1" };
  let t: TestAgent;
  let agent: AgentProcess;

  before(async () => {
    t = await startTestAgent("crash-burst", env);
    agent = t.agent;
  });
  after(async () => {
    await agent?.stop();
    removeDir(t.home);
  });

  test("kill -9 mid-burst: every 2xx has exactly one row, and every accepted run ends success except the one that had started", async () => {
    const file = writeWorkflow(
      t.work,
      "fifty.workflow.ts",
      `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({ name: "fifty", steps: [shell("s", "sleep 0.05")] });
`,
    );
    const hook = await registerWebhook(t, file, ["--name", "fifty"]);
    const accepted: string[] = [];
    let killed: Promise<void> | undefined;
    const http = new Agent({ keepAlive: true, maxSockets: 64 });
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const body = JSON.stringify({ i: next++ });
        try {
          const res = await within(
            10_000,
            post(hook.url, body, {
              agent: http,
              headers: { "x-clockwork-signature": signBody(hook.secret, body), "content-type": "application/json" },
            }),
            "a webhook answer",
          );
          if (res.status >= 200 && res.status < 300) accepted.push(res.json<{ run_id: string }>().run_id);
        } catch {
          // The connection died with the agent: not accepted.
        }
        if (accepted.length >= KILL_AFTER && !killed) killed = agent.kill9();
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    http.destroy();
    await killed;
    assert.ok(accepted.length >= KILL_AFTER);
    t.watcher.client.close();

    agent = await AgentProcess.start(t.home, env);
    const watcher = await agent.watch();
    let rows: RunSummary[] = [];
    await eventually(
      () => !rows.some((r) => r.status === "queued" || r.status === "running") && rows.length > 0,
      "every accepted run to finish after the restart",
      180_000,
      async () => {
        rows = await within(10_000, watcher.client.request(ListRuns, { trigger: "fifty", limit: 10_000 }), `the run list (agent output: ${agent.output.slice(-2000)})`);
      },
    );
    watcher.client.close();

    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.id, (counts.get(row.id) ?? 0) + 1);
    for (const id of accepted) assert.equal(counts.get(id), 1, `accepted run ${id} has ${counts.get(id) ?? 0} rows`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const notSuccess = accepted.map((id) => byId.get(id)!).filter((r) => r.status !== "success");
    assert.ok(notSuccess.length <= 1, `runs not successful: ${notSuccess.map((r) => `${r.status} ${r.error}`).join("; ")}`);
    for (const run of notSuccess) {
      assert.equal(run.status, "failed");
      assert.match(run.error ?? "", /^interrupted: /);
      assert.ok(run.startedAt, "only a run that had started is failed");
    }
  });
});
