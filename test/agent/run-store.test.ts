// The run store against a real SQLite file.
import { adoptQueuedRuns, failOrphanRuns, orphanReason } from "../../agent/runner/orphans";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { openDb, type Db } from "../../agent/store/db";
import { RunStore } from "../../agent/store/runs";
import type { StepRecord } from "../../agent/protocol";
import { makeTestHome, type TestHome } from "../helpers/home";

let home: TestHome;
let db: Db;
let clock = Date.parse("2026-03-01T00:00:00Z");
let store: RunStore;

before(() => {
  home = makeTestHome("run-store");
  db = openDb(join(home.home, "clockwork.db"));
  store = new RunStore(db, () => clock);
});
after(() => {
  db.close();
  home.cleanup();
});

const tick = (ms = 1000) => (clock += ms);

function step(index: number, name: string, output: string | null, status: StepRecord["status"] = "success"): StepRecord {
  const at = new Date(clock).toISOString();
  return { index, name, kind: "shell", status, output, error: null, exitCode: 0, attempts: 1, startedAt: at, finishedAt: at };
}

describe("run rows", () => {
  test("a new run is queued by default, running with an owner when asked, and has a short lower-case id", () => {
    const queued = store.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "manual" });
    assert.equal(queued.status, "queued");
    assert.equal(queued.startedAt, null);
    assert.match(queued.id, /^[0-9a-z]{12}$/);
    const running = store.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "cron", status: "running", ownerPid: process.pid, scheduledFor: clock });
    assert.equal(running.status, "running");
    assert.equal(running.startedAt, new Date(clock).toISOString());
    assert.equal(running.scheduledFor, new Date(clock).toISOString());
    assert.equal(store.ownerOf(running.id), process.pid);
    store.finishRun(queued.id, "cancelled");
    store.finishRun(running.id, "cancelled");
  });

  test("skipped and failed rows are written already finished, with their reason", () => {
    const skipped = store.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "cron", status: "skipped", error: "the previous run is still going" });
    assert.equal(skipped.status, "skipped");
    assert.equal(skipped.finishedAt, skipped.createdAt);
    assert.equal(skipped.error, "the previous run is still going");
    assert.equal(store.finishRun(skipped.id, "success"), undefined, "a finished row never changes again");
  });

  test("a run is finished exactly once, and its running steps end with it", () => {
    const run = store.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "manual", status: "running", ownerPid: 1 });
    store.recordStep(run.id, step(0, "a", "out"));
    store.recordStep(run.id, { ...step(1, "b", null, "running"), finishedAt: null });
    tick();
    const finished = store.finishRun(run.id, "cancelled", "cancelled: Ctrl-C");
    assert.equal(finished?.status, "cancelled");
    assert.equal(finished?.error, "cancelled: Ctrl-C");
    assert.equal(store.finishRun(run.id, "failed", "late"), undefined);
    assert.equal(store.getSummary(run.id)?.status, "cancelled");
    const steps = store.getRun(run.id).steps;
    assert.deepEqual(steps.map((s) => s.status), ["success", "cancelled"]);
    assert.equal(steps[1]!.finishedAt, new Date(clock).toISOString());
    assert.throws(() => store.markRunning(run.id, 2), /already finished \(cancelled\)/);
  });

  test("markRunning moves a queued run to running and records its owner", () => {
    const run = store.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "api" });
    tick();
    const running = store.markRunning(run.id, 4242);
    assert.equal(running.status, "running");
    assert.equal(running.startedAt, new Date(clock).toISOString());
    assert.equal(store.ownerOf(run.id), 4242);
    store.finishRun(run.id, "success");
  });
});

describe("finding runs", () => {
  test("a unique prefix names a run; an ambiguous one lists the candidates", () => {
    const run = store.insertRun({ workflowName: "prefix", workflowFile: "/p.ts", triggerKind: "manual", status: "failed" });
    assert.equal(store.getRun(run.id.slice(0, 12)).id, run.id);
    assert.equal(store.resolveId(run.id.toUpperCase()), run.id);
    // With many runs, some one-character prefix is shared by two of them.
    for (let i = 0; i < 40; i++) store.insertRun({ workflowName: "filler", workflowFile: "/f.ts", triggerKind: "manual", status: "failed" });
    const ids = db.prepare("SELECT id FROM runs").all() as Array<{ id: string }>;
    const shared = ids.map((r) => r.id[0]!).find((c, i, all) => all.indexOf(c) !== i)!;
    assert.throws(() => store.getRun(shared), (e: Error) => /run id prefix ".+" is ambiguous: .+; type more characters/.test(e.message));
    assert.throws(() => store.getRun("zzzzzzzzzzzzz"), /no run with id "zzzzzzzzzzzzz"/);
    assert.throws(() => store.getRun("../x"), /is not a run id/);
  });

  test("listings are newest first and filter by workflow, status and trigger", () => {
    const names = ["alpha", "beta", "alpha", "alpha"];
    const made = names.map((workflowName, i) => {
      tick();
      const run = store.insertRun({ workflowName, workflowFile: `/${workflowName}.ts`, triggerKind: "manual", status: "running", ownerPid: process.pid });
      store.finishRun(run.id, i === 2 ? "failed" : "success");
      return run.id;
    });
    assert.deepEqual(store.listRuns({ workflow: "alpha" }).map((r) => r.id), [made[3], made[2], made[0]]);
    assert.deepEqual(store.listRuns({ workflow: "alpha", status: "failed" }).map((r) => r.id), [made[2]]);
    assert.deepEqual(store.listRuns({ workflow: "alpha", limit: 2 }).map((r) => r.id), [made[3], made[2]]);
    assert.deepEqual(store.listRuns({ limit: 1 }).map((r) => r.id), [made[3]]);
    assert.equal(store.listRuns({}).length, 20, "the default limit is 20");
    assert.throws(() => store.listRuns({ limit: 0 }), /limit must be a positive whole number/);
    assert.throws(() => store.listRuns({ status: "done" as never }), /unknown status "done"/);

    const trigger = db
      .prepare("INSERT INTO triggers (name, kind, workflow_file, workflow_name, created_at, updated_at) VALUES ('nightly', 'schedule', '/n.ts', 'n', 0, 0)")
      .run().lastInsertRowid as number;
    const fired = store.insertRun({ workflowName: "n", workflowFile: "/n.ts", triggerKind: "cron", triggerId: trigger, triggerName: "nightly", status: "skipped" });
    assert.deepEqual(store.listRuns({ trigger: "nightly" }).map((r) => r.id), [fired.id]);
    assert.equal(store.listRuns({ trigger: "nightly" })[0]!.triggerName, "nightly");
  });

  test("runs created in the same millisecond keep their insertion order", () => {
    const a = store.insertRun({ workflowName: "same-ms", workflowFile: "/s.ts", triggerKind: "manual", status: "failed" });
    const b = store.insertRun({ workflowName: "same-ms", workflowFile: "/s.ts", triggerKind: "manual", status: "failed" });
    assert.deepEqual(store.listRuns({ workflow: "same-ms" }).map((r) => r.id), [b.id, a.id]);
  });
});

describe("previous outputs", () => {
  test("{previous.x} reads the step of the last successful run of the same workflow only", () => {
    assert.equal(store.previousOutput("digest", "summary"), undefined);
    tick();
    const first = store.insertRun({ workflowName: "digest", workflowFile: "/d.ts", triggerKind: "cron", status: "running", ownerPid: 1 });
    store.recordStep(first.id, step(0, "summary", "monday"));
    store.finishRun(first.id, "success");
    tick();
    const failed = store.insertRun({ workflowName: "digest", workflowFile: "/d.ts", triggerKind: "cron", status: "running", ownerPid: 1 });
    store.recordStep(failed.id, step(0, "summary", "broken tuesday"));
    store.finishRun(failed.id, "failed", "x");
    tick();
    const other = store.insertRun({ workflowName: "other", workflowFile: "/o.ts", triggerKind: "cron", status: "running", ownerPid: 1 });
    store.recordStep(other.id, step(0, "summary", "not mine"));
    store.finishRun(other.id, "success");
    assert.deepEqual(store.previousOutput("digest", "summary"), { runId: first.id, output: "monday" });
    assert.equal(store.previousOutput("digest", "nope"), undefined);
  });

  test("the lookup is one seek on the workflow index, not a scan", () => {
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT r.id, s.output FROM (SELECT id FROM runs WHERE workflow_name = ? AND status = 'success' ORDER BY created_at DESC, rowid DESC LIMIT 1) r
         JOIN run_steps s ON s.run_id = r.id AND s.name = ? AND s.status = 'success'`,
      )
      .all("digest", "summary") as Array<{ detail: string }>;
    const details = plan.map((p) => p.detail).join("\n");
    assert.match(details, /SEARCH runs USING (COVERING )?INDEX runs_by_workflow/);
    assert.doesNotMatch(details, /SCAN runs\b/);
  });
});

describe("logs, orphans, deliveries and retention", () => {
  test("log chunks get increasing sequence numbers and are read back after a given one", () => {
    const run = store.insertRun({ workflowName: "logs", workflowFile: "/l.ts", triggerKind: "manual", status: "running", ownerPid: 1 });
    const chunks = store.appendLogs(run.id, [
      { step: 0, stream: "stdout", at: clock, text: "one\n" },
      { step: 0, stream: "stderr", at: clock, text: "two\n" },
      { step: null, stream: "info", at: clock, text: "three\n" },
    ]);
    assert.ok(chunks[0]!.seq < chunks[1]!.seq && chunks[1]!.seq < chunks[2]!.seq);
    assert.deepEqual(store.logsAfter(run.id, chunks[0]!.seq).map((c) => c.text), ["two\n", "three\n"]);
    assert.deepEqual(store.logsAfter(run.id, 0, 1).map((c) => c.stream), ["stdout"]);
    store.finishRun(run.id, "success");
  });

  test("a started run whose owner is gone is failed as interrupted; an accepted run that never started stays queued for the next agent", () => {
    const dead = store.insertRun({ workflowName: "o", workflowFile: "/o.ts", triggerKind: "manual", status: "running", ownerPid: 999_999 });
    const waiting = store.insertRun({ workflowName: "o", workflowFile: "/o.ts", triggerKind: "webhook", status: "queued", ownerPid: 999_998 });
    const alive = store.insertRun({ workflowName: "o", workflowFile: "/o.ts", triggerKind: "manual", status: "running", ownerPid: process.pid });
    const failed = failOrphanRuns(store);
    assert.deepEqual(failed.map((r) => r.id), [dead.id]);
    assert.equal(store.getSummary(dead.id)?.error, orphanReason(999_999));
    assert.match(orphanReason(999_999), /^interrupted: /);
    assert.equal(store.getSummary(waiting.id)?.status, "queued");
    assert.equal(store.getSummary(alive.id)?.status, "running");

    assert.deepEqual(adoptQueuedRuns(store, 4242).map((r) => r.id), [waiting.id]);
    assert.equal(store.ownerOf(waiting.id), 4242);
    assert.deepEqual(store.failRunsOwnedBy(process.pid, "the agent stopped").map((r) => r.id), [alive.id]);
    store.finishRun(waiting.id, "success");
    assert.deepEqual(store.activeRuns(), []);
  });

  test("a delivery id finds the earlier run within the window only", () => {
    const trigger = db
      .prepare("INSERT INTO triggers (name, kind, workflow_file, workflow_name, created_at, updated_at) VALUES ('gh', 'webhook', '/g.ts', 'g', 0, 0)")
      .run().lastInsertRowid as number;
    const run = store.insertRun({ workflowName: "g", workflowFile: "/g.ts", triggerKind: "webhook", triggerId: trigger, deliveryId: "d-1" });
    assert.equal(store.findDelivery(trigger, "d-1", clock - 1000), run.id);
    assert.equal(store.findDelivery(trigger, "d-1", clock + 1), undefined);
    assert.equal(store.findDelivery(trigger, "d-2", 0), undefined);
    store.finishRun(run.id, "success");
  });

  test("pruning deletes old finished runs with their steps and logs but keeps each workflow's last success", () => {
    const cutoff = clock + 1;
    const running = store.insertRun({ workflowName: "digest", workflowFile: "/d.ts", triggerKind: "manual", status: "running", ownerPid: process.pid });
    const lastSuccess = store.previousOutput("digest", "summary")!.runId;
    tick();
    const fresh = store.insertRun({ workflowName: "fresh", workflowFile: "/f.ts", triggerKind: "manual", status: "failed" });
    const before = (db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n;
    const deleted = store.prune(cutoff);
    const remaining = (db.prepare("SELECT id FROM runs").all() as Array<{ id: string }>).map((r) => r.id);
    assert.equal(remaining.length, before - deleted);
    assert.ok(remaining.includes(lastSuccess), "the last success of digest stays");
    assert.ok(remaining.includes(running.id), "unfinished runs stay");
    assert.ok(remaining.includes(fresh.id), "runs after the cutoff stay");
    assert.equal(store.previousOutput("digest", "summary")?.output, "monday");
    const orphanLogs = db.prepare("SELECT count(*) AS n FROM run_logs WHERE run_id NOT IN (SELECT id FROM runs)").get() as { n: number };
    assert.equal(orphanLogs.n, 0);
    store.finishRun(running.id, "success");
  });
});
