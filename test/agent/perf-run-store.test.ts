// The run store's cheap paths for a busy agent: counting active runs without
// reading them, and summaries that leave the trigger context (a webhook's
// whole body) unread.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { openDb, type Db } from "../../agent/store/db";
import { RunStore } from "../../agent/store/runs";
import { makeTestHome, type TestHome } from "../helpers/home";

let home: TestHome;
let db: Db;
let store: RunStore;

before(() => {
  home = makeTestHome("perf-run-store");
  db = openDb(join(home.home, "clockwork.db"));
  store = new RunStore(db);
});
after(() => {
  db.close();
  home.cleanup();
});

describe("a busy store", () => {
  test("countActive counts queued and running runs and nothing finished", () => {
    assert.deepEqual(store.countActive(), { queued: 0, running: 0 });
    const ids = Array.from({ length: 5 }, () => store.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "webhook" }).id);
    store.markRunning(ids[0]!, process.pid);
    store.markRunning(ids[1]!, process.pid);
    store.finishRun(ids[1]!, "success");
    store.finishRun(ids[2]!, "cancelled");
    store.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "cron", status: "skipped", error: "overlap" });
    assert.deepEqual(store.countActive(), { queued: 2, running: 1 });
    assert.deepEqual(store.countActive(), {
      queued: store.activeRuns().filter((r) => r.status === "queued").length,
      running: store.activeRuns().filter((r) => r.status === "running").length,
    });
  });

  test("listings leave the trigger context out, yet the full record of the same run still has the webhook's body", () => {
    const body = { big: "x".repeat(10_000) };
    const run = store.insertRun({ workflowName: "ctx", workflowFile: "/ctx.ts", triggerKind: "webhook", context: { body } });
    assert.equal(store.listRuns({ workflow: "ctx" })[0]!.id, run.id);
    assert.equal(store.activeRuns().at(-1)!.id, run.id);
    assert.deepEqual(store.getRun(run.id).trigger.body, body);
  });
});
