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
