// Two agent processes on one store (the lock bypassed with the test-only
// CLOCKWORK_UNSAFE_NO_LOCK) race for the same due instants. The guarded claim
// must give each instant to exactly one of them.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../agent/config";
import { openStore } from "../../agent/store";
import { AgentProcess, baseEnv, cli, removeDir, tempHome, writeWorkflow } from "./agent-harness";

const SCHEDULES = 20;
const INSTANTS = 60;

test("two agents on one store fire each due instant exactly once", async (t) => {
  const home = tempHome("two");
  const work = join(home, "work");
  mkdirSync(work);
  const file = writeWorkflow(
    work,
    "quick.workflow.ts",
    `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({ name: "quick", steps: [code("main", () => "ok")] });
`,
  );
  const env = { CLOCKWORK_UNSAFE_NO_LOCK: "1", CLOCKWORK_MAX_CONCURRENT_RUNS: "16" };
  const agents: AgentProcess[] = [];
  try {
    // Registered before the agents start, so both see every schedule from their first tick.
    for (let i = 0; i < SCHEDULES; i++) {
      const result = await cli(home, ["register", file, "--cron", "* * * * * *", "--name", `s${i}`, "--overlap", "parallel"]);
      assert.equal(result.code, 0, result.stderr);
    }
    agents.push(await AgentProcess.start(home, env), await AgentProcess.start(home, env));
    assert.notEqual(agents[0]!.socketPath, agents[1]!.socketPath, "each unlocked agent has its own socket");
    const watchers = await Promise.all(agents.map((a) => a.watch()));

    // Each agent announces only the fires it claimed; together they must
    // reach the target without any instant appearing twice.
    const claimed = () => watchers.flatMap((w) => w.runs.filter((r) => r.status === "queued" && r.triggerKind === "cron"));
    await Promise.race(
      watchers.map((w) => w.until(() => claimed().length >= INSTANTS || undefined, `${INSTANTS} claimed instants`)),
    );
    const perAgent = watchers.map((w) => w.runs.filter((r) => r.status === "queued" && r.triggerKind === "cron").length);
    t.diagnostic(`instants claimed per agent: ${perAgent.join(" + ")}`);
    for (const w of watchers) w.client.close();
    assert.deepEqual(await Promise.all(agents.map((a) => a.stop())), [0, 0]);

    const store = openStore(loadConfig(baseEnv(home)).dbFile);
    try {
      const runs = (await store.runs.listRuns({ limit: 10_000 })).filter((r) => r.triggerKind === "cron");
      assert.ok(runs.length >= INSTANTS, `at least ${INSTANTS} fires (got ${runs.length})`);
      const byTrigger = new Map<string, number[]>();
      for (const run of runs) {
        const list = byTrigger.get(run.triggerName!) ?? [];
        list.push(Date.parse(run.scheduledFor!));
        byTrigger.set(run.triggerName!, list);
      }
      for (const [name, instants] of byTrigger) {
        instants.sort((a, b) => a - b);
        assert.equal(new Set(instants).size, instants.length, `${name}: an instant fired twice`);
        for (let i = 1; i < instants.length; i++) {
          assert.equal(instants[i]! - instants[i - 1]!, 1000, `${name}: an instant was skipped between fires`);
        }
      }
      // A graceful stop finishes what is running and leaves what is still
      // queued for the next start to adopt; nothing is failed or half-done.
      const unfinished = runs.filter((r) => r.status !== "success" && r.status !== "queued");
      assert.deepEqual(unfinished.map((r) => `${r.id}: ${r.status}`), [], "every fire ran to completion or waits in the queue");
    } finally {
      await store.close();
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    removeDir(home);
  }
});
