// The store contract against the PostgreSQL adapter, on a real server (a
// throwaway cluster, test/helpers/postgres.ts; skipped, loudly, only when no
// server can be started); then what only the shared database has: agents
// racing on one instant from separate pools, admission across pools,
// migrations applied once, and the password kept out of what is shown.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { openPostgresStore } from "../../agent/store/postgres";
import { migrations } from "../../agent/store/postgres/migrations";
import type { Owner } from "../../agent/store";
import { postgresOrSkip } from "../helpers/postgres";
import { storeContract } from "./contract";

const pg = postgresOrSkip("the PostgreSQL store tests");
after(() => pg.cluster?.stop());

if (pg.cluster === null) {
  test("the store contract: PostgreSQL", { skip: pg.reason }, () => undefined);
} else {
  const cluster = pg.cluster;
  storeContract("PostgreSQL", async (clock) => {
    const store = await openPostgresStore(cluster.createDatabase("contract"), { clock });
    return { store, cleanup: async () => undefined };
  });

  describe("PostgreSQL specifics", () => {
    const owner: Owner = { id: "agent:pg", pid: 1, host: "h1" };

    test("stores opened at once on one database migrate it once, and show where it is without the password", async () => {
      const url = cluster.createDatabase("migrate");
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(url)));
      try {
        // Each migration recorded once, however many stores raced to apply it.
        assert.equal(cluster.psql(url.split("/").pop()!, "SELECT COUNT(*) FROM clockwork_migrations").trim(), String(migrations.length));
        assert.equal(stores[0]!.backend.kind, "postgres");
        assert.ok(!stores[0]!.backend.location.includes(cluster.password), "the password is never shown");
        assert.match(stores[0]!.backend.location, /^postgres:\/\/clockwork:\*\*\*@127\.0\.0\.1:\d+\//);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    test("a refused connection names the server, not the password", async () => {
      const url = `postgres://clockwork:${cluster.password}@127.0.0.1:${cluster.port}/no_such_database`;
      await assert.rejects(openPostgresStore(url), (error: Error) => {
        assert.match(error.message, /cannot open the PostgreSQL store at postgres:\/\/clockwork:\*\*\*@127\.0\.0\.1:\d+\/no_such_database: .*no_such_database/);
        assert.ok(!error.message.includes(cluster.password));
        return true;
      });
    });

    test("separate stores (as separate agents) claim each instant once and never run a skip trigger twice", async () => {
      const url = cluster.createDatabase("race");
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(url)));
      try {
        const base = Date.parse("2026-03-01T00:00:00Z");
        const trigger = await stores[0]!.triggers.create({
          name: "race",
          type: "schedule",
          workflowFile: "/r.ts",
          workflowName: "race",
          config: { cron: "* * * * * *", timezone: "UTC", overlap: "skip", catchup: "once" },
          nextFireAt: base,
        });
        let admitted = 0;
        for (let i = 0; i < 20; i++) {
          const instant = base + i * 1000;
          const outcomes = await Promise.all(
            stores.map((store) =>
              store.claimInstant({
                triggerId: trigger.id,
                expected: instant,
                next: instant + 1000,
                run: { workflowName: "race", workflowFile: "/r.ts", triggerKind: "cron", triggerId: trigger.id, triggerName: "race", scheduledFor: instant, owner, overlap: "skip" },
              }),
            ),
          );
          assert.equal(outcomes.filter((o) => o !== undefined).length, 1, `instant ${i} claimed once`);
          if (outcomes.some((o) => o?.admission?.status === "queued")) admitted++;
        }
        assert.equal(admitted, 1, "a skip trigger admits one run while it is active; the other instants are skipped");
        const webhookRuns = await Promise.all(
          stores.map((store) => store.admit([{ workflowName: "race", workflowFile: "/r.ts", triggerKind: "webhook", triggerId: trigger.id, triggerName: "race", owner, overlap: "skip" }])),
        );
        assert.deepEqual(webhookRuns.map((o) => o[0]!.ok && o[0]!.admission.status), ["skipped", "skipped", "skipped", "skipped"]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    test("a queue trigger's runs start one at a time across agents, and a pinned run only on its host", async () => {
      const url = cluster.createDatabase("serial");
      const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
      try {
        const trigger = await a!.triggers.create({
          name: "serial",
          type: "schedule",
          workflowFile: "/s.ts",
          workflowName: "serial",
          config: { cron: "* * * * *", timezone: "UTC", overlap: "queue", catchup: "once" },
          nextFireAt: null,
        });
        const request = { workflowName: "serial", workflowFile: "/s.ts", triggerKind: "cron" as const, triggerId: trigger.id, triggerName: "serial", owner, overlap: "queue" as const };
        const [first] = await a!.admit([request]);
        const ids = [first!.ok ? first!.admission.run.id : ""];
        await a!.runs.markRunning(ids[0]!, { id: "agent:a", pid: 1, host: "h1" });
        const [second] = await b!.admit([request]);
        assert.ok(second!.ok && second!.admission.status === "queued" && second!.admission.serialKey === "serial");
        ids.push(second!.admission.run.id);
        await assert.rejects(b!.runs.markRunning(ids[1]!, { id: "agent:b", pid: 2, host: "h2" }), /another run of serial is running/);
        await assert.rejects(b!.runs.markRunning(ids[0]!, { id: "agent:b", pid: 2, host: "h2" }), /already running under agent:a on h1/);
        await a!.runs.finishRun(ids[0]!, "success");
        assert.equal((await b!.runs.markRunning(ids[1]!, { id: "agent:b", pid: 2, host: "h2" })).status, "running");
        await b!.runs.finishRun(ids[1]!, "success");

        const watcher = await a!.triggers.create({
          name: "notes",
          type: "watcher",
          workflowFile: "/n.ts",
          workflowName: "notes",
          config: { path: "/tmp", events: ["created"], recursive: true, glob: null },
          pinnedHost: "h1",
        });
        assert.equal(watcher.pinnedHost, "h1");
        assert.equal((await a!.triggers.record("notes")).host, "h1");
        const run = await b!.runs.insertRun({ workflowName: "notes", workflowFile: "/n.ts", triggerKind: "file", triggerId: watcher.id, triggerName: "notes" });
        await assert.rejects(b!.runs.markRunning(run.id, { id: "agent:b", pid: 2, host: "h2" }), /pinned to host h1/);
        assert.equal((await a!.runs.markRunning(run.id, { id: "agent:a", pid: 1, host: "h1" })).status, "running");
        await a!.runs.finishRun(run.id, "success");
      } finally {
        await Promise.all([a!.close(), b!.close()]);
      }
    });

    test("notifications reach the other stores; a dropped listening connection comes back and says resync", async () => {
      const url = cluster.createDatabase("notify");
      const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
      const heard: unknown[] = [];
      let wake: (() => void) | undefined;
      const stop = await b!.team!.subscribe((message) => {
        heard.push(message);
        wake?.();
      });
      const until = async (match: (m: unknown) => boolean) => {
        while (!heard.some(match)) await new Promise<void>((resolve) => (wake = resolve));
      };
      try {
        await a!.triggers.create({ name: "told", type: "webhook", workflowFile: "/t.ts", workflowName: "t", config: { headers: [], maxBodyBytes: 1024 }, secret: "s".repeat(32) });
        await until((m) => JSON.stringify(m) === JSON.stringify({ kind: "triggers", names: ["told"] }));
        await b!.team!.publish({ kind: "cancel", runId: "mine" });
        await a!.team!.publish({ kind: "cancel", runId: "theirs" });
        await until((m) => (m as { runId?: string }).runId === "theirs");
        assert.ok(!heard.some((m) => (m as { runId?: string }).runId === "mine"), "a store does not hear itself");
        // The server drops the listening connection (a restart, a network cut).
        cluster.psql(url.split("/").pop()!, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
        await until((m) => (m as { kind: string }).kind === "resync");
        await a!.team!.publish({ kind: "cancel", runId: "after" });
        await until((m) => (m as { runId?: string }).runId === "after");
      } finally {
        await stop();
        await Promise.all([a!.close(), b!.close()]);
      }
    });

    test("separate stores backfilling one range at once run each instant once", async () => {
      const url = cluster.createDatabase("backfill_race");
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(url)));
      try {
        const t = await stores[0]!.triggers.create({
          name: "bf",
          type: "schedule",
          workflowFile: "/b.ts",
          workflowName: "bf",
          config: { cron: "0 * * * *", timezone: "UTC", overlap: "parallel", catchup: "once" },
          nextFireAt: null,
        });
        const base = Date.parse("2026-01-10T00:00:00Z");
        const requests = [0, 1, 2, 3, 4, 5].map((h) => ({
          workflowName: "bf", workflowFile: "/b.ts", triggerKind: "cron" as const, triggerId: t.id, triggerName: "bf",
          scheduledFor: base + h * 3_600_000, backfill: true, owner, overlap: "parallel" as const, reprocess: "none" as const,
        }));
        const outcomes = await Promise.all(stores.map((store) => store.admitInstants(requests)));
        const admitted = outcomes.flat().filter((o) => o.admission !== null);
        assert.equal(admitted.length, requests.length, "each instant admitted by exactly one of the racing backfills");
        assert.equal(new Set(admitted.map((o) => o.scheduledFor)).size, requests.length);
        const runs = await stores[1]!.runs.instantRuns(t.id, base, base + 6 * 3_600_000);
        assert.equal(runs.length, requests.length);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    test("a database from before migration 2 counts the triggers it had, then keeps counting whoever writes", async () => {
      const url = cluster.createDatabase("old_schema");
      const db = url.split("/").pop()!;
      cluster.psql(db, migrations[0]!);
      cluster.psql(db, "CREATE TABLE clockwork_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL); INSERT INTO clockwork_migrations VALUES (1, 0)");
      cluster.psql(
        db,
        `INSERT INTO triggers (name, kind, workflow_file, workflow_name, config, created_at, updated_at) VALUES
           ('s1', 'schedule', '/a.ts', 'a', '{}', 0, 0), ('s2', 'schedule', '/a.ts', 'a', '{}', 0, 0), ('w1', 'webhook', '/b.ts', 'b', '{}', 0, 0)`,
      );
      const store = await openPostgresStore(url);
      try {
        assert.deepEqual(await store.triggers.counts(), { schedules: 2, webhooks: 1, watchers: 0, runTriggers: 0 });
        // Written outside the store (another Clockwork, an operator): the database itself keeps the counts.
        cluster.psql(db, "DELETE FROM triggers WHERE name IN ('s1', 'w1')");
        cluster.psql(db, "UPDATE triggers SET kind = 'watcher' WHERE name = 's2'");
        assert.deepEqual(await store.triggers.counts(), { schedules: 0, webhooks: 0, watchers: 1, runTriggers: 0 });
        const bulk = ["r1", "r2", "r3"].map((name) => ({
          name, type: "run" as const, workflowFile: "/c.ts", workflowName: "c", config: { workflows: ["a"], statuses: ["failed" as const] },
        }));
        assert.deepEqual(await store.triggers.createMany(bulk), []);
        assert.deepEqual(await store.triggers.counts(), { schedules: 0, webhooks: 0, watchers: 1, runTriggers: 3 });
        assert.deepEqual((await store.triggers.record("r2")).run, { workflows: ["a"], statuses: ["failed"] });
      } finally {
        await store.close();
      }
    });

    test("outputs and log lines with NUL characters are kept, the NUL made visible", async () => {
      const store = await openPostgresStore(cluster.createDatabase("nul"));
      try {
        const run = await store.runs.insertRun({ workflowName: "n", workflowFile: "/n.ts", triggerKind: "manual", status: "running", owner, context: { body: "a\u0000b" } });
        const [chunk] = await store.runs.appendLogs(run.id, [{ step: null, stream: "stdout", at: 0, text: "x\u0000y" }]);
        assert.equal(chunk!.text, "x\uFFFDy");
        assert.deepEqual((await store.runs.getRun(run.id)).trigger, { body: "a\u0000b" }, "the context is JSON: its NUL is escaped, kept exactly");
      } finally {
        await store.close();
      }
    });
  });
}
