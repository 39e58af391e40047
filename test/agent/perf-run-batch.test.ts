// Runs asked for in the same event-loop turn (a burst of webhooks) are
// written in one transaction: every promise resolves only once its row is
// committed, the pool sees no run before that, and one bad request fails alone.
import { ownerFor } from "../../agent/runner/orphans";
import { testLoader } from "../helpers/loader";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Events } from "../../agent/events";
import { RunControl } from "../../agent/daemon/runControl";
import type { RunPool } from "../../agent/daemon/runPool";
import type { StartRunInput } from "../../agent/daemon/services";
import { openStore, type Store } from "../../agent/store";
import { makeTestHome, type TestHome } from "../helpers/home";

let home: TestHome;
let store: Store;
let stopping = false;
/** Run ids handed to the pool, with whether another connection could already see the row. */
let submitted: Array<{ id: string; visible: boolean }>;
let control: RunControl;
let reader: Database.Database;

const input = (extra: Partial<StartRunInput> = {}): StartRunInput => ({
  workflowName: "burst",
  workflowFile: "/burst.workflow.ts",
  triggerKind: "webhook",
  triggerName: "burst",
  context: { body: { n: 1 } },
  ...extra,
});

before(() => {
  home = makeTestHome("perf-run-batch");
  const dbFile = join(home.home, "clockwork.db");
  store = openStore(dbFile);
  reader = new Database(dbFile, { readonly: true });
  const visible = reader.prepare("SELECT 1 FROM runs WHERE id = ?");
  const pool = {
    submit: (id: string) => submitted.push({ id, visible: visible.get(id) !== undefined }),
  } as unknown as RunPool;
  control = new RunControl({ store, events: new Events(), pool, loader: testLoader(), owner: ownerFor("agent"), isStopping: () => stopping });
});
after(() => {
  reader.close();
  void store.close();
  home.cleanup();
});

describe("starting runs in a burst", () => {
  test("fifty runs asked for together are each committed, seen by another connection, before their promise resolves", async () => {
    submitted = [];
    const runs = await Promise.all(Array.from({ length: 50 }, (_, n) => control.startRun(input({ context: { body: { n } } }))));
    assert.equal(new Set(runs.map((r) => r.id)).size, 50);
    assert.deepEqual(submitted.map((s) => s.id), runs.map((r) => r.id));
    assert.ok(submitted.every((s) => s.visible), "a run reached the pool before its row was committed");
    for (const [n, run] of runs.entries()) {
      assert.equal(run.status, "queued");
      assert.deepEqual((await store.runs.getRun(run.id)).trigger.body, { n });
    }
  });

  test("a request whose row cannot be written fails alone; the others of its turn are written", async () => {
    submitted = [];
    const results = await Promise.allSettled([
      control.startRun(input()),
      // A trigger that does not exist breaks the foreign key: this insert fails inside the batch.
      control.startRun(input({ triggerId: 999_999, triggerName: "gone" })),
      control.startRun(input()),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
    const ids = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.id] : []));
    assert.deepEqual(submitted.map((s) => s.id), ids);
    for (const id of ids) assert.equal((await store.runs.getSummary(id))?.status, "queued");
  });

  test("a stopping agent refuses new runs and writes no row", async () => {
    const before = (await store.runs.countActive()).queued;
    stopping = true;
    try {
      await assert.rejects(control.startRun(input()), /stopping/);
    } finally {
      stopping = false;
    }
    assert.equal((await store.runs.countActive()).queued, before);
  });
});
