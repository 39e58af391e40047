// The run store's cheap paths for a busy agent: counting active runs without
// reading them, and summaries that leave the trigger context (a webhook's
// whole body) unread.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { ownerFor } from "../../agent/runner/orphans";
import { openStore, type Store } from "../../agent/store";
import { makeTestHome, type TestHome } from "../helpers/home";

let home: TestHome;
let store: Store;
const owner = ownerFor("agent");

before(() => {
  home = makeTestHome("perf-run-store");
  store = openStore(join(home.home, "clockwork.db"));
});
after(async () => {
  await store.close();
  home.cleanup();
});

describe("a busy store", () => {
  test("countActive counts queued and running runs and nothing finished", async () => {
    const runs = store.runs;
    assert.deepEqual(await runs.countActive(), { queued: 0, running: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "webhook" })).id);
    await runs.markRunning(ids[0]!, owner);
    await runs.markRunning(ids[1]!, owner);
    await runs.finishRun(ids[1]!, "success");
    await runs.finishRun(ids[2]!, "cancelled");
    await runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "cron", status: "skipped", error: "overlap" });
    assert.deepEqual(await runs.countActive(), { queued: 2, running: 1 });
    const active = await runs.activeRuns();
    assert.deepEqual(await runs.countActive(), {
      queued: active.filter((r) => r.status === "queued").length,
      running: active.filter((r) => r.status === "running").length,
    });
  });

  test("listings leave the trigger context out, yet the full record of the same run still has the webhook's body", async () => {
    const body = { big: "x".repeat(10_000) };
    const run = await store.runs.insertRun({ workflowName: "ctx", workflowFile: "/ctx.ts", triggerKind: "webhook", context: { body } });
    assert.equal((await store.runs.listRuns({ workflow: "ctx" }))[0]!.id, run.id);
    assert.equal((await store.runs.activeRuns()).at(-1)!.id, run.id);
    assert.deepEqual((await store.runs.getRun(run.id)).trigger.body, body);
  });
});
