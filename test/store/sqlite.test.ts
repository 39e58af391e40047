// The store contract against the SQLite adapter, on a real file; then what
// only SQLite has: the query plans behind "one seek", the migrations from an
// older schema, and a stored kind this version does not know.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openStore } from "../../agent/store";
import { makeTestHome } from "../helpers/home";
import { storeContract } from "./contract";

storeContract("SQLite", async (clock) => {
  const home = makeTestHome("store-contract");
  return { store: openStore(join(home.home, "clockwork.db"), { clock }), cleanup: async () => home.cleanup() };
});

describe("SQLite specifics", () => {
  test("{previous.x}, admission's count and the due schedules are index seeks, not scans", async () => {
    const home = makeTestHome("store-plans");
    const file = join(home.home, "clockwork.db");
    await openStore(file).close();
    const db = new Database(file, { readonly: true });
    try {
      const plan = (sql: string, ...args: unknown[]) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((p) => p.detail).join("\n");
      const previous = plan(`SELECT id FROM runs WHERE workflow_name = ? AND status = 'success' ORDER BY created_at DESC, rowid DESC LIMIT 1`, "w");
      assert.match(previous, /SEARCH runs USING (COVERING )?INDEX runs_by_workflow/);
      const active = plan(`SELECT status, COUNT(*) FROM runs WHERE trigger_name = ? AND status IN ('queued', 'running') GROUP BY status`, "t");
      assert.match(active, /USING (COVERING )?INDEX runs_active_by_trigger/);
      const due = plan(`SELECT id FROM triggers WHERE next_fire_at IS NOT NULL AND next_fire_at <= ? ORDER BY next_fire_at LIMIT 10`, 0);
      assert.match(due, /INDEX triggers_due/);
    } finally {
      db.close();
      home.cleanup();
    }
  });

  test("what a registration asks of the triggers reads no table whole: the adapter's own statements, planned by SQLite", async () => {
    // Every statement the adapter prepares is recorded as it runs, so the
    // plans checked are those of the real queries, not copies of them.
    const seen = new Set<string>();
    const prepare = Database.prototype.prepare;
    Database.prototype.prepare = function (this: Database.Database, source: string) {
      seen.add(source);
      return prepare.call(this, source);
    } as typeof prepare;
    const home = makeTestHome("store-registration-plans");
    const file = join(home.home, "clockwork.db");
    const store = openStore(file);
    try {
      const schedule = (name: string) => ({
        name,
        type: "schedule" as const,
        workflowFile: "/w.workflow.ts",
        workflowName: "w",
        config: { cron: "0 9 * * *", timezone: "UTC", overlap: "skip" as const, catchup: "once" as const },
        nextFireAt: 1000,
      });
      seen.clear();
      // What the agent does on and after one registration: the name check,
      // the insert, the record sent back, the watcher manager's listing,
      // the scheduler's due and earliest fire, the status counts, the
      // CodeLens of an open workflow file.
      const row = await store.triggers.create(schedule("one"));
      await store.triggers.toRecord(row);
      await store.triggers.createMany([schedule("two"), schedule("three")]);
      await store.triggers.rows("watcher");
      await store.triggers.due(500);
      await store.triggers.earliestFire();
      await store.triggers.counts();
      await store.triggers.get("two");
      // An editor's CodeLens, asked again after every trigger change.
      await store.triggers.ofWorkflowFile("/w.workflow.ts", 10);
      // Not after every change, but each page of a listing must be a seek too.
      await store.triggers.list();
      await store.triggers.list("schedule");
    } finally {
      Database.prototype.prepare = prepare;
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      const plans = [...seen].map((sql) => ({ sql, plan: planOf(db, sql) }));
      assert.ok(plans.length >= 8, `statements recorded: ${plans.length}`);
      const wholeTable = plans.filter(({ plan }) => /\bSCAN (triggers|runs)\b|TEMP B-TREE/.test(plan));
      assert.deepEqual(wholeTable, [], "each of these reads every trigger or run, or sorts them");
      const due = plans.find(({ sql }) => /next_fire_at <= \?/.test(sql));
      assert.match(due?.plan ?? "", /INDEX triggers_due/);
    } finally {
      db.close();
      home.cleanup();
    }
  });

  test("trigger counts from before migration 6 are counted once, then kept by the database on insert, delete and a change of kind", async () => {
    const home = makeTestHome("store-counts");
    const file = join(home.home, "clockwork.db");
    const { migrationsUpTo } = await import("../../agent/store/sqlite/migrations");
    const old = new Database(file);
    for (const sql of migrationsUpTo(5)) old.exec(sql);
    old.pragma("user_version = 5");
    old.exec(`INSERT INTO triggers (name, kind, workflow_file, workflow_name, created_at, updated_at) VALUES
      ('a', 'schedule', '/a.ts', 'a', 0, 0), ('b', 'schedule', '/b.ts', 'b', 0, 0), ('c', 'webhook', '/c.ts', 'c', 0, 0)`);
    old.close();
    const store = openStore(file);
    try {
      assert.deepEqual(await store.triggers.counts(), { schedules: 2, webhooks: 1, watchers: 0, runTriggers: 0 });
      await store.triggers.remove("a");
      await store.triggers.create({ name: "d", type: "watcher", workflowFile: "/d.ts", workflowName: "d", config: { path: "/tmp", events: ["created"], recursive: true, glob: null } });
      assert.deepEqual(await store.triggers.counts(), { schedules: 1, webhooks: 1, watchers: 1, runTriggers: 0 });
    } finally {
      await store.close();
    }
    // No interface call changes a trigger's kind; a hand edit still keeps the counts true.
    const db = new Database(file);
    db.exec(`UPDATE triggers SET kind = 'schedule' WHERE name = 'c'`);
    db.close();
    const reopened = openStore(file);
    try {
      assert.deepEqual(await reopened.triggers.counts(), { schedules: 2, webhooks: 0, watchers: 1, runTriggers: 0 });
    } finally {
      await reopened.close();
      home.cleanup();
    }
  });

  test("a store from before the interface migrates: kinds unchecked, owners by id, heartbeats become agents", async () => {
    const home = makeTestHome("store-migrate");
    const file = join(home.home, "clockwork.db");
    const { migrationsUpTo } = await import("../../agent/store/sqlite/migrations");
    const old = new Database(file);
    for (const sql of migrationsUpTo(2)) old.exec(sql);
    old.pragma("user_version = 2");
    old.exec(`INSERT INTO heartbeats (pid, version, started_at, beat_at) VALUES (111, '0.1.0', 0, 0);
      INSERT INTO triggers (id, name, kind, workflow_file, workflow_name, created_at, updated_at) VALUES (1, 'nightly', 'schedule', '/n.ts', 'n', 0, 0);
      INSERT INTO runs (id, workflow_name, workflow_file, trigger_id, trigger_name, trigger_kind, status, created_at, owner_pid)
        VALUES ('aaaaaaaaaaaa', 'n', '/n.ts', 1, 'nightly', 'cron', 'running', 0, 111), ('bbbbbbbbbbbb', 'n', '/n.ts', NULL, NULL, 'manual', 'running', 0, 222);
      INSERT INTO run_steps (run_id, idx, name, kind, status) VALUES ('aaaaaaaaaaaa', 0, 's', 'shell', 'running');`);
    old.close();
    const store = openStore(file);
    try {
      assert.deepEqual(await store.runs.ownerOf("aaaaaaaaaaaa"), { id: "agent:legacy-111", pid: 111, host: "" });
      assert.deepEqual(await store.runs.ownerOf("bbbbbbbbbbbb"), { id: "cli:legacy-222", pid: 222, host: "" });
      assert.equal((await store.runs.getRun("aaaaaaaaaaaa")).steps.length, 1, "steps keep their run");
      assert.equal((await store.triggers.require("nightly")).type, "schedule");
      await store.runs.insertRun({ workflowName: "x", workflowFile: "/x.ts", triggerKind: "some-new-kind" as never });
    } finally {
      await store.close();
      home.cleanup();
    }
  });

  test("a trigger kind this version does not know is an error naming it, never taken for another kind", async () => {
    const home = makeTestHome("store-kind");
    const file = join(home.home, "clockwork.db");
    await openStore(file).close();
    const db = new Database(file);
    db.exec(`INSERT INTO triggers (name, kind, workflow_file, workflow_name, created_at, updated_at) VALUES ('future', 'carrier-pigeon', '/f.ts', 'f', 0, 0)`);
    db.close();
    const store = openStore(file);
    try {
      await assert.rejects(store.triggers.require("future"), /trigger "future" has a kind this version of Clockwork does not know: "carrier-pigeon"/);
    } finally {
      await store.close();
      home.cleanup();
    }
  });
});

/** SQLite's plan for `sql`, its parameters bound to null (the plan does not depend on their values). */
function planOf(db: Database.Database, sql: string): string {
  const named = [...new Set([...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!))];
  const positional = (sql.match(/\?/g) ?? []).length;
  const statement = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (named.length > 0
    ? statement.all(Object.fromEntries(named.map((n) => [n, null])))
    : statement.all(...Array.from({ length: positional }, () => null))) as Array<{ detail: string }>;
  return rows.map((r) => r.detail).join("\n");
}
