// The contract every store adapter keeps (agent/store/store.ts), as one
// suite run against each: SQLite here (sqlite.test.ts), PostgreSQL next.
// It speaks only through the interface: no SQL, no adapter type. The clock
// is the suite's own, so every time the store writes is checkable.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { StepRecord } from "../../agent/protocol";
import type { NewTrigger, Owner, Store } from "../../agent/store";

export interface StoreUnderTest {
  store: Store;
  /** Ends what `open` started (removes files, drops the database). */
  cleanup(): Promise<void>;
}

/** Runs the contract against stores made by `open`, each on a fresh, empty database. */
export function storeContract(name: string, open: (clock: () => number) => Promise<StoreUnderTest>): void {
  describe(`the store contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: Store;
    let clock = Date.parse("2026-03-01T00:00:00Z");
    const tick = (ms = 1000) => (clock += ms);
    const iso = () => new Date(clock).toISOString();
    const owner: Owner = { id: "agent:contract", pid: 4242, host: "contract-host" };

    before(async () => {
      subject = await open(() => clock);
      store = subject.store;
    });
    after(async () => {
      await store.close();
      await subject.cleanup();
    });

    const step = (index: number, stepName: string, output: string | null, status: StepRecord["status"] = "success"): StepRecord => ({
      index,
      name: stepName,
      kind: "shell",
      status,
      output,
      error: null,
      exitCode: 0,
      attempts: 1,
      startedAt: iso(),
      finishedAt: iso(),
    });

    const schedule = (triggerName: string, overlap: "skip" | "queue" | "parallel" = "skip", nextFireAt: number | null = clock + 60_000) =>
      store.triggers.create({
        name: triggerName,
        type: "schedule",
        workflowFile: `/${triggerName}.workflow.ts`,
        workflowName: triggerName,
        config: { cron: "* * * * *", timezone: "UTC", overlap, catchup: "once" },
        nextFireAt,
      });

    describe("runs", () => {
      test("a new run is queued by default, running with an owner when asked, with times from the store's clock", async () => {
        const queued = await store.runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "manual" });
        assert.equal(queued.status, "queued");
        assert.equal(queued.createdAt, iso());
        assert.equal(queued.startedAt, null);
        assert.match(queued.id, /^[0-9a-z]{12}$/);
        const running = await store.runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "cron", status: "running", owner, scheduledFor: clock });
        assert.equal(running.startedAt, iso());
        assert.equal(running.scheduledFor, iso());
        assert.deepEqual(await store.runs.ownerOf(running.id), owner);
        await store.runs.finishRun(queued.id, "cancelled");
        await store.runs.finishRun(running.id, "cancelled");
      });

      test("skipped and failed rows are written already finished, with their reason", async () => {
        const skipped = await store.runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "cron", status: "skipped", error: "still going" });
        assert.equal(skipped.finishedAt, skipped.createdAt);
        assert.equal(skipped.error, "still going");
        assert.equal(await store.runs.finishRun(skipped.id, "success"), undefined, "a finished row never changes again");
      });

      test("a run is finished exactly once, and its running steps end with it", async () => {
        const run = await store.runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "manual", status: "running", owner });
        await store.runs.recordStep(run.id, step(0, "a", "out"));
        await store.runs.recordStep(run.id, { ...step(1, "b", null, "running"), finishedAt: null });
        tick();
        const both = await Promise.all([store.runs.finishRun(run.id, "cancelled", "cancelled: Ctrl-C"), store.runs.finishRun(run.id, "failed", "late")]);
        assert.equal(both.filter((r) => r !== undefined).length, 1, "two finishes racing: exactly one takes");
        assert.equal((await store.runs.getSummary(run.id))?.status, "cancelled");
        const steps = (await store.runs.getRun(run.id)).steps;
        assert.deepEqual(steps.map((s) => s.status), ["success", "cancelled"]);
        assert.equal(steps[1]!.finishedAt, iso());
        await assert.rejects(store.runs.markRunning(run.id, owner), /already finished \(cancelled\)/);
      });

      test("markRunning moves a queued run to running under its new owner", async () => {
        const run = await store.runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "api" });
        tick();
        const running = await store.runs.markRunning(run.id, owner);
        assert.equal(running.status, "running");
        assert.equal(running.startedAt, iso());
        assert.deepEqual(await store.runs.ownerOf(run.id), owner);
        await store.runs.finishRun(run.id, "success");
      });

      test("a unique prefix names a run; an ambiguous one lists the candidates; a bad id says so", async () => {
        const run = await store.runs.insertRun({ workflowName: "prefix", workflowFile: "/p.ts", triggerKind: "manual", status: "failed" });
        assert.equal((await store.runs.getRun(run.id.slice(0, 12))).id, run.id);
        assert.equal(await store.runs.resolveId(run.id.toUpperCase()), run.id);
        const ids = [run.id];
        for (let i = 0; i < 40; i++) ids.push((await store.runs.insertRun({ workflowName: "filler", workflowFile: "/f.ts", triggerKind: "manual", status: "failed" })).id);
        const shared = ids.map((id) => id[0]!).find((c, i, all) => all.indexOf(c) !== i)!;
        await assert.rejects(store.runs.getRun(shared), /run id prefix ".+" is ambiguous: .+; type more characters/);
        await assert.rejects(store.runs.getRun("zzzzzzzzzzzzz"), /no run with id "zzzzzzzzzzzzz"/);
        await assert.rejects(store.runs.getRun("../x"), /is not a run id/);
      });

      test("listings are newest first and filter by workflow, status and trigger", async () => {
        const made: string[] = [];
        for (const [i, workflowName] of ["alpha", "beta", "alpha", "alpha"].entries()) {
          tick();
          const run = await store.runs.insertRun({ workflowName, workflowFile: `/${workflowName}.ts`, triggerKind: "manual", status: "running", owner });
          await store.runs.finishRun(run.id, i === 2 ? "failed" : "success");
          made.push(run.id);
        }
        const ids = async (p: Parameters<Store["runs"]["listRuns"]>[0]) => (await store.runs.listRuns(p)).map((r) => r.id);
        assert.deepEqual(await ids({ workflow: "alpha" }), [made[3], made[2], made[0]]);
        assert.deepEqual(await ids({ workflow: "alpha", status: "failed" }), [made[2]]);
        assert.deepEqual(await ids({ workflow: "alpha", limit: 2 }), [made[3], made[2]]);
        assert.deepEqual(await ids({ limit: 1 }), [made[3]]);
        assert.equal((await store.runs.listRuns({})).length, 20, "the default limit is 20");
        await assert.rejects(store.runs.listRuns({ limit: 0 }), /limit must be a positive whole number/);
        await assert.rejects(store.runs.listRuns({ status: "done" as never }), /unknown status "done"/);
        const trigger = await schedule("nightly");
        const fired = await store.runs.insertRun({ workflowName: "n", workflowFile: "/n.ts", triggerKind: "cron", triggerId: trigger.id, triggerName: "nightly", status: "skipped" });
        assert.deepEqual(await ids({ trigger: "nightly" }), [fired.id]);
      });

      test("runs created in the same millisecond keep their insertion order", async () => {
        const a = await store.runs.insertRun({ workflowName: "same-ms", workflowFile: "/s.ts", triggerKind: "manual", status: "failed" });
        const b = await store.runs.insertRun({ workflowName: "same-ms", workflowFile: "/s.ts", triggerKind: "manual", status: "failed" });
        assert.deepEqual((await store.runs.listRuns({ workflow: "same-ms" })).map((r) => r.id), [b.id, a.id]);
      });

      test("{previous.x} reads the last successful run of the same workflow only", async () => {
        assert.equal(await store.runs.previousOutput("digest", "summary"), undefined);
        assert.equal(await store.runs.previousOutputs("digest"), undefined);
        const make = async (workflowName: string, output: string, status: "success" | "failed") => {
          tick();
          const run = await store.runs.insertRun({ workflowName, workflowFile: "/d.ts", triggerKind: "cron", status: "running", owner });
          await store.runs.recordStep(run.id, step(0, "summary", output));
          await store.runs.finishRun(run.id, status, status === "failed" ? "x" : null);
          return run.id;
        };
        const first = await make("digest", "monday", "success");
        await make("digest", "broken tuesday", "failed");
        await make("other", "not mine", "success");
        assert.deepEqual(await store.runs.previousOutput("digest", "summary"), { runId: first, output: "monday" });
        assert.deepEqual(await store.runs.previousOutputs("digest"), { runId: first, outputs: { summary: "monday" } });
        assert.equal(await store.runs.previousOutput("digest", "nope"), undefined);
      });

      test("log chunks get increasing sequence numbers and are read back after a given one", async () => {
        const run = await store.runs.insertRun({ workflowName: "logs", workflowFile: "/l.ts", triggerKind: "manual", status: "running", owner });
        const chunks = await store.runs.appendLogs(run.id, [
          { step: 0, stream: "stdout", at: clock, text: "one\n" },
          { step: 0, stream: "stderr", at: clock, text: "two\n" },
          { step: null, stream: "info", at: clock, text: "three\n" },
        ]);
        assert.ok(chunks[0]!.seq < chunks[1]!.seq && chunks[1]!.seq < chunks[2]!.seq);
        assert.deepEqual((await store.runs.logsAfter(run.id, chunks[0]!.seq)).map((c) => c.text), ["two\n", "three\n"]);
        assert.deepEqual((await store.runs.logsAfter(run.id, 0, 1)).map((c) => c.stream), ["stdout"]);
        await store.runs.finishRun(run.id, "success");
      });

      test("owners: active runs name theirs, queued runs can be adopted, and an owner's runs failed together", async () => {
        const other: Owner = { id: "cli:gone", pid: 999_999, host: "contract-host" };
        const running = await store.runs.insertRun({ workflowName: "o", workflowFile: "/o.ts", triggerKind: "manual", status: "running", owner: other });
        const waiting = await store.runs.insertRun({ workflowName: "o", workflowFile: "/o.ts", triggerKind: "webhook", status: "queued", owner: other });
        const active = await store.runs.ownedActiveRuns();
        assert.deepEqual(active.filter((r) => r.owner?.id === other.id).map((r) => [r.id, r.status]), [[running.id, "running"], [waiting.id, "queued"]]);
        await store.runs.adoptQueued([waiting.id, running.id], owner);
        assert.deepEqual(await store.runs.ownerOf(waiting.id), owner, "a queued run is adopted");
        assert.deepEqual(await store.runs.ownerOf(running.id), other, "a running one is not");
        assert.deepEqual((await store.runs.failRunsOwnedBy(other.id, "gone")).map((r) => r.id), [running.id]);
        await store.runs.finishRun(waiting.id, "success");
      });

      test("a cancel asked for a queued or running run is kept with it until the run ends", async () => {
        const running = await store.runs.insertRun({ workflowName: "c", workflowFile: "/c.ts", triggerKind: "manual", status: "running", owner });
        const queued = await store.runs.insertRun({ workflowName: "c", workflowFile: "/c.ts", triggerKind: "manual", owner });
        const untouched = await store.runs.insertRun({ workflowName: "c", workflowFile: "/c.ts", triggerKind: "manual", status: "running", owner });
        const done = await store.runs.insertRun({ workflowName: "c", workflowFile: "/c.ts", triggerKind: "manual", status: "running", owner });
        await store.runs.finishRun(done.id, "success");
        for (const run of [running, queued, done]) await store.runs.requestCancel(run.id);
        const ids = [running.id, queued.id, untouched.id, done.id, "no-such-run"];
        assert.deepEqual((await store.runs.cancelsRequested(ids)).sort(), [running.id, queued.id].sort());
        assert.deepEqual(await store.runs.cancelsRequested([]), []);
        await store.runs.finishRun(running.id, "cancelled");
        assert.deepEqual(await store.runs.cancelsRequested(ids), [queued.id], "an ended run is no longer asked to end");
        for (const run of [queued, untouched]) await store.runs.finishRun(run.id, "cancelled");
      });

      test("a running step's process group is recorded, and cleared by the step's next record", async () => {
        const run = await store.runs.insertRun({ workflowName: "p", workflowFile: "/p.ts", triggerKind: "manual", status: "running", owner });
        await store.runs.recordStep(run.id, { ...step(0, "s", null, "running"), finishedAt: null });
        await store.runs.recordStepProcess(run.id, 0, 1234, "boot:99");
        assert.deepEqual(await store.runs.stepProcesses(run.id), [{ index: 0, pgid: 1234, identity: "boot:99" }]);
        await store.runs.recordStep(run.id, step(0, "s", "done"));
        assert.deepEqual(await store.runs.stepProcesses(run.id), []);
        await store.runs.finishRun(run.id, "success");
      });

      test("a group serving the whole run stays recorded across its steps until the run forgets it", async () => {
        const run = await store.runs.insertRun({ workflowName: "p", workflowFile: "/p.ts", triggerKind: "manual", status: "running", owner });
        await store.runs.recordStep(run.id, { ...step(0, "s", null, "running"), finishedAt: null });
        await store.runs.recordRunProcess(run.id, 4321, "boot:7");
        await store.runs.recordRunProcess(run.id, 4322, "boot:8");
        await store.runs.recordStep(run.id, step(0, "s", "done"));
        assert.deepEqual(await store.runs.runProcesses(run.id), [
          { pgid: 4321, identity: "boot:7" },
          { pgid: 4322, identity: "boot:8" },
        ]);
        await store.runs.forgetRunProcess(run.id, 4321);
        assert.deepEqual(await store.runs.runProcesses(run.id), [{ pgid: 4322, identity: "boot:8" }]);
        await store.runs.forgetRunProcess(run.id, 4322);
        assert.deepEqual(await store.runs.runProcesses(run.id), []);
        await store.runs.finishRun(run.id, "success");
      });

      test("groups a finished run still records are listed for its host only, and gone once forgotten", async () => {
        const elsewhere: Owner = { ...owner, id: "agent:elsewhere", host: "other-host" };
        // Failed by another agent while its step ran: the group stays recorded.
        const lost = await store.runs.insertRun({ workflowName: "p", workflowFile: "/p.ts", triggerKind: "manual", status: "running", owner });
        await store.runs.recordStep(lost.id, { ...step(0, "s", null, "running"), finishedAt: null });
        await store.runs.recordStepProcess(lost.id, 0, 555, "boot:5");
        await store.runs.recordRunProcess(lost.id, 556, "boot:6");
        // Still running here, and a lost run of another host: neither is listed.
        const live = await store.runs.insertRun({ workflowName: "p", workflowFile: "/p.ts", triggerKind: "manual", status: "running", owner });
        await store.runs.recordStep(live.id, { ...step(0, "s", null, "running"), finishedAt: null });
        await store.runs.recordStepProcess(live.id, 0, 557, "boot:7");
        const other = await store.runs.insertRun({ workflowName: "p", workflowFile: "/p.ts", triggerKind: "manual", status: "running", owner: elsewhere });
        await store.runs.recordStep(other.id, { ...step(0, "s", null, "running"), finishedAt: null });
        await store.runs.recordStepProcess(other.id, 0, 558, "boot:8");
        await store.runs.finishRun(lost.id, "failed", "interrupted: taken over");
        await store.runs.finishRun(other.id, "failed", "interrupted: taken over");

        const listed = await store.runs.leftoverProcesses(owner.host);
        assert.deepEqual(
          listed.map((p) => [p.runId, p.pgid, p.identity]).sort(),
          [
            [lost.id, 555, "boot:5"],
            [lost.id, 556, "boot:6"],
          ],
        );
        await store.runs.forgetProcesses(lost.id);
        assert.deepEqual(await store.runs.leftoverProcesses(owner.host), []);
        assert.deepEqual((await store.runs.leftoverProcesses("other-host")).map((p) => p.pgid), [558]);
        await store.runs.forgetProcesses(other.id);
        await store.runs.finishRun(live.id, "success");
        await store.runs.forgetProcesses(live.id);
      });

      test("a delivery id finds the earlier run within the window only", async () => {
        const trigger = await store.triggers.create({ name: "gh", type: "webhook", workflowFile: "/g.ts", workflowName: "g", config: { headers: [], maxBodyBytes: 1024 }, secret: "s".repeat(32) });
        const run = await store.runs.insertRun({ workflowName: "g", workflowFile: "/g.ts", triggerKind: "webhook", triggerId: trigger.id, deliveryId: "d-1", context: { body: { a: 1 } } });
        assert.equal(await store.runs.findDelivery(trigger.id, "d-1", clock - 1000), run.id);
        assert.equal(await store.runs.findDelivery(trigger.id, "d-1", clock + 1), undefined);
        assert.equal(await store.runs.findDelivery(trigger.id, "d-2", 0), undefined);
        const [recent] = await store.runs.recentWithContext("gh", "webhook", 5);
        assert.deepEqual(recent?.context, { body: { a: 1 } });
        await store.runs.finishRun(run.id, "success");
      });

      test("pruning deletes old finished runs with their steps and logs but keeps each workflow's last success", async () => {
        const cutoff = clock + 1;
        const running = await store.runs.insertRun({ workflowName: "digest", workflowFile: "/d.ts", triggerKind: "manual", status: "running", owner });
        const lastSuccess = (await store.runs.previousOutput("digest", "summary"))!.runId;
        // A failed run (no workflow's last success), with a log line of its own.
        const old = (await store.runs.listRuns({ workflow: "filler" }))[0]!.id;
        await store.runs.appendLogs(old, [{ step: null, stream: "info", at: clock, text: "old\n" }]);
        tick();
        const fresh = await store.runs.insertRun({ workflowName: "fresh", workflowFile: "/f.ts", triggerKind: "manual", status: "failed" });
        assert.ok((await store.runs.prune(cutoff)) > 0);
        assert.ok(await store.runs.getSummary(lastSuccess), "the last success of digest stays");
        assert.ok(await store.runs.getSummary(running.id), "unfinished runs stay");
        assert.ok(await store.runs.getSummary(fresh.id), "runs after the cutoff stay");
        assert.equal(await store.runs.getSummary(old), undefined, "an old finished run goes");
        assert.deepEqual(await store.runs.logsAfter(old, 0), [], "with its logs");
        await store.runs.finishRun(running.id, "success");
      });
    });

    describe("triggers", () => {
      test("one name space for every kind; rows never carry the secret, which has one getter", async () => {
        await schedule("shared-name");
        await assert.rejects(
          store.triggers.create({ name: "shared-name", type: "watcher", workflowFile: "/x.ts", workflowName: "x", config: { path: "/tmp", events: ["created"], recursive: true, glob: null } }),
          /a trigger named "shared-name" already exists \(a schedule\)/,
        );
        const row = await store.triggers.require("gh");
        assert.equal("secret" in row, false);
        assert.equal(await store.triggers.webhookSecret("gh"), "s".repeat(32));
        assert.equal(await store.triggers.webhookSecret("shared-name"), undefined, "only webhooks have one");
        await assert.rejects(store.triggers.require("nope"), /no trigger named "nope"/);
      });

      test("records carry the last run that ran, and counts cover every kind", async () => {
        const record = await store.triggers.record("nightly");
        assert.equal(record.type, "schedule");
        assert.equal(record.lastRun, null, "a skipped fire is not a last run");
        const counts = await store.triggers.counts();
        assert.equal(counts.schedules, 2);
        assert.equal(counts.webhooks, 1);
        assert.equal(counts.watchers, 0);
      });

      test("update, pause, resume and remove by name; updated_at from the clock", async () => {
        tick();
        const updated = await store.triggers.update("shared-name", { stateError: "broken" });
        assert.equal(updated.stateError, "broken");
        assert.equal(updated.updatedAt, clock);
        const paused = await store.triggers.setPaused("shared-name", true, null);
        assert.equal(paused.paused, true);
        assert.equal(paused.nextFireAt, null);
        const resumed = await store.triggers.setPaused("shared-name", false, clock + 5000);
        assert.equal(resumed.nextFireAt, clock + 5000);
        await store.triggers.remove("shared-name");
        assert.equal(await store.triggers.get("shared-name"), undefined);
      });

      test("due and earliest fire see only active schedules, earliest first", async () => {
        const a = await schedule("due-a", "skip", clock - 2000);
        const b = await schedule("due-b", "skip", clock - 1000);
        await schedule("due-later", "skip", clock + 1000);
        const paused = await schedule("due-paused", "skip", clock - 3000);
        await store.triggers.update(paused.name, { paused: true });
        assert.deepEqual((await store.triggers.due(clock)).map((r) => r.name), [a.name, b.name]);
        assert.equal((await store.triggers.earliestFire())?.at, clock - 3000, "the earliest stored next fire");
        for (const t of ["due-a", "due-b", "due-later", "due-paused"]) await store.triggers.remove(t);
      });

      const bulkSchedule = (triggerName: string): NewTrigger => ({
        name: triggerName,
        type: "schedule",
        workflowFile: "/bulk.workflow.ts",
        workflowName: "bulk",
        config: { cron: "0 9 * * *", timezone: "UTC", overlap: "skip", catchup: "once" },
        nextFireAt: clock + 3_600_000,
      });
      const bulkWatcher: NewTrigger = {
        name: "bulk-watch",
        type: "watcher",
        workflowFile: "/bulk.workflow.ts",
        workflowName: "bulk",
        config: { path: "/tmp", events: ["created"], recursive: false, glob: null },
      };

      test("createMany writes every trigger at once: each readable, counted, listed with its kind and its file, due in turn", async () => {
        const before = await store.triggers.counts();
        const taken = await store.triggers.createMany([bulkSchedule("bulk-0"), bulkSchedule("bulk-1"), bulkSchedule("bulk-2"), bulkWatcher]);
        assert.deepEqual(taken, []);
        const row = await store.triggers.require("bulk-1");
        assert.equal(row.type, "schedule");
        assert.deepEqual(row.config, bulkSchedule("bulk-1").config);
        assert.equal(row.nextFireAt, clock + 3_600_000);
        assert.equal(row.createdAt, clock);
        const counts = await store.triggers.counts();
        assert.equal(counts.schedules, before.schedules + 3);
        assert.equal(counts.watchers, before.watchers + 1);
        assert.deepEqual((await store.triggers.rows("watcher")).map((r) => r.name), ["bulk-watch"], "rows of one kind are only that kind");
        const due = (await store.triggers.due(clock + 3_600_000)).map((r) => r.name);
        assert.deepEqual(due.filter((n) => n.startsWith("bulk-")), ["bulk-0", "bulk-1", "bulk-2"]);
        const ofFile = await store.triggers.ofWorkflowFile("/bulk.workflow.ts", 2);
        assert.deepEqual(ofFile.records.map((r) => r.name), ["bulk-0", "bulk-1"], "the first by name, as records");
        assert.equal(ofFile.records[0]!.schedule?.cron, "0 9 * * *");
        assert.equal(ofFile.total, 4, "and how many the file has in all");
        assert.deepEqual(await store.triggers.ofWorkflowFile("/none.workflow.ts", 2), { records: [], total: 0 });
        for (const t of ["bulk-0", "bulk-1", "bulk-2", "bulk-watch"]) await store.triggers.remove(t);
        assert.deepEqual(await store.triggers.counts(), before, "removing counts down again");
        assert.deepEqual(await store.triggers.createMany([]), [], "nothing to create is no error");
      });

      test("a listing holds every trigger, sorted by name, however many there are", async () => {
        const names = Array.from({ length: 1234 }, (_, i) => `many-${String(i).padStart(4, "0")}`);
        // Inserted out of order: the listing sorts.
        assert.deepEqual(await store.triggers.createMany([...names].reverse().map(bulkSchedule)), []);
        const all = (await store.triggers.list()).map((t) => t.name);
        assert.deepEqual(all.filter((n) => n.startsWith("many-")), names);
        assert.deepEqual(all, [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), "sorted by name");
        assert.equal((await store.triggers.list("schedule")).filter((t) => t.name.startsWith("many-")).length, 1234);
        assert.deepEqual((await store.triggers.list("watcher")).filter((t) => t.name.startsWith("many-")), []);
        for (const n of names) await store.triggers.remove(n);
      });

      test("createMany writes nothing when any name is taken, and names each taken one by its index and the kind that has it", async () => {
        const before = await store.triggers.counts();
        const taken = await store.triggers.createMany([bulkSchedule("bulk-new"), bulkSchedule("gh"), bulkSchedule("bulk-twice"), bulkSchedule("bulk-twice")]);
        assert.deepEqual(taken, [
          { index: 1, name: "gh", type: "webhook" },
          { index: 3, name: "bulk-twice", type: "schedule" },
        ]);
        assert.equal(await store.triggers.get("bulk-new"), undefined, "all or nothing");
        assert.equal(await store.triggers.get("bulk-twice"), undefined);
        assert.equal((await store.triggers.require("gh")).type, "webhook", "the trigger that had the name is untouched");
        assert.deepEqual(await store.triggers.counts(), before);
      });
    });

    describe("atomic operations", () => {
      test("a due instant is claimed exactly once, however many claim it at the same time", async () => {
        const instant = clock + 60_000;
        const trigger = await schedule("once", "parallel", instant);
        const claim = () =>
          store.claimInstant({
            triggerId: trigger.id,
            expected: instant,
            next: instant + 60_000,
            run: { workflowName: "once", workflowFile: "/once.ts", triggerKind: "cron", triggerId: trigger.id, triggerName: "once", scheduledFor: instant, owner, overlap: "parallel" },
          });
        const outcomes = await Promise.all([claim(), claim(), claim()]);
        const won = outcomes.filter((o) => o !== undefined);
        assert.equal(won.length, 1);
        assert.equal(won[0]!.admission?.status, "queued");
        assert.equal(won[0]!.admission?.run.scheduledFor, new Date(instant).toISOString());
        assert.equal((await store.triggers.require("once")).nextFireAt, instant + 60_000);
        assert.equal(await claim(), undefined, "claiming it again later changes nothing");
        assert.equal((await store.runs.listRuns({ trigger: "once" })).length, 1);
      });

      test("a claim on a schedule that changed meanwhile is not ours, and writes nothing", async () => {
        const instant = clock + 120_000;
        const trigger = await schedule("changed", "parallel", instant);
        await store.triggers.setPaused("changed", true, null);
        const outcome = await store.claimInstant({
          triggerId: trigger.id,
          expected: instant,
          next: instant + 60_000,
          run: { workflowName: "changed", workflowFile: "/c.ts", triggerKind: "cron", triggerId: trigger.id, triggerName: "changed", scheduledFor: instant, owner },
        });
        assert.equal(outcome, undefined);
        assert.deepEqual(await store.runs.listRuns({ trigger: "changed" }), []);
        await store.triggers.setPaused("changed", false, instant);
        // The instant was not used up by the refused claim: once resumed it can still be claimed.
        const again = await store.claimInstant({ triggerId: trigger.id, expected: instant, next: null, run: null });
        assert.deepEqual(again, { admission: null }, "a missed instant only advances the schedule");
        assert.equal((await store.triggers.require("changed")).nextFireAt, null);
      });

      test("admission queues, skips with the reason while a skip trigger runs, and keys a queue trigger's runs", async () => {
        const skipTrigger = await schedule("adm-skip", "skip");
        const queueTrigger = await schedule("adm-queue", "queue");
        const request = (t: { id: number; name: string }, overlap: "skip" | "queue") => ({
          workflowName: t.name,
          workflowFile: `/${t.name}.ts`,
          triggerKind: "cron" as const,
          triggerId: t.id,
          triggerName: t.name,
          owner,
          overlap,
        });
        const first = await store.admit([request(skipTrigger, "skip"), request(queueTrigger, "queue")]);
        assert.deepEqual(first.map((o) => o.ok && o.admission.status), ["queued", "queued"]);
        assert.equal(first[1]!.ok && first[1]!.admission.status === "queued" && first[1]!.admission.serialKey, "adm-queue");
        for (const o of first) if (o.ok) await store.runs.markRunning(o.admission.run.id, owner);
        const second = await store.admit([request(skipTrigger, "skip"), request(queueTrigger, "queue"), request(queueTrigger, "queue")]);
        const [skipped, queued, third] = second.map((o) => (o.ok ? o.admission : undefined));
        assert.equal(skipped?.status, "skipped");
        assert.match(skipped?.status === "skipped" ? skipped.reason : "", /overlap: skip/);
        assert.equal(queued?.status, "queued", "a queue trigger keeps one waiting");
        assert.equal(third?.status, "skipped", "…and at most one");
        for (const run of await store.runs.activeRuns()) await store.runs.finishRun(run.id, "success");
      });

      test("a queued run keeps its serial key, the policy's or the caller's, for whoever resumes it", async () => {
        const queueTrigger = await schedule("keys-queue", "queue");
        const parallelTrigger = await schedule("keys-parallel", "parallel");
        const base = (t: { id: number; name: string }) => ({ workflowName: t.name, workflowFile: `/${t.name}.ts`, triggerKind: "cron" as const, triggerId: t.id, triggerName: t.name, owner });
        const admitted = await store.admit([
          { ...base(queueTrigger), overlap: "queue" },
          { ...base(parallelTrigger), overlap: "parallel" },
          { ...base(parallelTrigger), overlap: "parallel", serialKey: "keys-parallel backfill lane 1" },
        ]);
        const ids = admitted.map((o) => (o.ok ? o.admission.run.id : ""));
        assert.deepEqual(
          admitted.map((o) => o.ok && o.admission.status === "queued" && (o.admission.serialKey ?? null)),
          ["keys-queue", null, "keys-parallel backfill lane 1"],
        );
        const active = new Map((await store.runs.ownedActiveRuns()).map((r) => [r.id, r.serialKey]));
        assert.deepEqual(ids.map((id) => active.get(id)), ["keys-queue", null, "keys-parallel backfill lane 1"]);
        for (const id of ids) await store.runs.finishRun(id, "success");
      });

      test("a request that cannot be written fails alone; the rest of its batch is admitted", async () => {
        const outcomes = await store.admit([
          { workflowName: "ok", workflowFile: "/ok.ts", triggerKind: "api", owner },
          { workflowName: "bad", workflowFile: "/bad.ts", triggerKind: "api", triggerId: 999_999, triggerName: "gone", owner },
          { workflowName: "ok", workflowFile: "/ok.ts", triggerKind: "api", owner },
        ]);
        assert.deepEqual(outcomes.map((o) => o.ok), [true, false, true]);
        for (const o of outcomes) if (o.ok) assert.ok(await store.runs.getSummary(o.admission.run.id));
        for (const run of await store.runs.activeRuns()) await store.runs.finishRun(run.id, "success");
      });
    });

    describe("replay, backfill and missed instants", () => {
      const HOUR = 3_600_000;

      test("a run records the run it replays, that it is a backfill, and the instants missed before it", async () => {
        const plain = await store.runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "manual" });
        assert.equal(plain.replayOf, null);
        assert.equal(plain.backfill, false);
        assert.equal(plain.missed, null);
        const missed = { count: 3, instants: ["2026-02-28T21:00:00.000Z", "2026-02-28T22:00:00.000Z"], last: "2026-02-28T23:00:00.000Z" };
        const replay = await store.runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "webhook", replayOf: plain.id, context: { body: { a: 1 } } });
        const backfill = await store.runs.insertRun({ workflowName: "w", workflowFile: "/w.ts", triggerKind: "cron", backfill: true, scheduledFor: clock - HOUR, missed });
        assert.equal(replay.replayOf, plain.id);
        const read = await store.runs.getRun(backfill.id);
        assert.equal(read.backfill, true);
        assert.deepEqual(read.missed, missed);
        const listed = await store.runs.listRuns({ workflow: "w", limit: 3 });
        assert.deepEqual(
          listed.map((r) => [r.id, r.replayOf, r.backfill, r.missed?.count ?? null]),
          [
            [backfill.id, null, true, 3],
            [replay.id, plain.id, false, null],
            [plain.id, null, false, null],
          ],
        );
        assert.deepEqual((await store.runs.getRun(replay.id)).trigger, { body: { a: 1 } });
        for (const run of await store.runs.activeRuns()) await store.runs.finishRun(run.id, "success");
      });

      test("a trigger's runs are listed by instant within [from, to)", async () => {
        const t = await schedule("by-instant", "parallel");
        const base = Date.parse("2026-02-01T00:00:00Z");
        const add = (offset: number) =>
          store.runs.insertRun({ workflowName: "by-instant", workflowFile: "/b.ts", triggerKind: "cron", triggerId: t.id, triggerName: t.name, scheduledFor: base + offset * HOUR });
        const late = await add(2);
        const early = await add(0);
        const again = await add(0);
        await add(3);
        const runs = await store.runs.instantRuns(t.id, base, base + 3 * HOUR);
        assert.deepEqual(runs.map((r) => [r.id, r.scheduledFor, r.status]), [
          [early.id, base, "queued"],
          [again.id, base, "queued"],
          [late.id, base + 2 * HOUR, "queued"],
        ]);
        for (const run of await store.runs.activeRuns()) await store.runs.finishRun(run.id, "success");
      });

      test("a missed instant leaves a skipped record with the instants, and the schedule reports them until they have runs", async () => {
        const first = Date.parse("2026-02-02T00:00:00Z");
        const t = await schedule("missed-report", "skip", first);
        const missed = { count: 3, instants: [0, 1, 2].map((h) => new Date(first + h * HOUR).toISOString()), last: new Date(first + 2 * HOUR).toISOString() };
        const outcome = await store.claimInstant({
          triggerId: t.id,
          expected: first,
          next: first + 3 * HOUR,
          run: null,
          missedRecord: { workflowName: t.name, workflowFile: t.workflowFile, triggerKind: "cron", triggerId: t.id, triggerName: t.name, scheduledFor: first + 2 * HOUR, missed, error: "missed 3 fires; catchup: skip" },
        });
        assert.equal(outcome?.admission, null);
        const record = outcome?.missedRecord;
        assert.equal(record?.status, "skipped");
        assert.deepEqual(record?.missed, missed);
        assert.equal(record?.error, "missed 3 fires; catchup: skip");
        assert.equal((await store.triggers.require(t.name)).nextFireAt, first + 3 * HOUR);
        const report = (await store.triggers.record(t.name)).schedule?.missed;
        assert.deepEqual(report, { ...missed, runId: record!.id, recordedAt: iso(), outstanding: 3 });
        // A backfill run of one missed instant: two left.
        const one = await store.runs.insertRun({ workflowName: t.name, workflowFile: t.workflowFile, triggerKind: "cron", triggerId: t.id, triggerName: t.name, scheduledFor: first, backfill: true });
        assert.equal((await store.triggers.record(t.name)).schedule?.missed?.outstanding, 2);
        for (const h of [1, 2]) {
          await store.runs.insertRun({ workflowName: t.name, workflowFile: t.workflowFile, triggerKind: "cron", triggerId: t.id, triggerName: t.name, scheduledFor: first + h * HOUR, backfill: true });
        }
        assert.equal((await store.triggers.record(t.name)).schedule?.missed, null, "every missed instant has a run now");
        assert.equal((await store.triggers.record("by-instant")).schedule?.missed, null, "a schedule that missed nothing reports nothing");
        await store.runs.finishRun(one.id, "success");
        for (const run of await store.runs.activeRuns()) await store.runs.finishRun(run.id, "success");
      });

      test("backfill admission runs what never ran, re-runs failed or all as asked, and never doubles an instant in flight", async () => {
        const t = await schedule("bf", "skip");
        const base = Date.parse("2026-01-10T00:00:00Z");
        const at = (h: number) => base + h * HOUR;
        const request = (h: number, reprocess: "none" | "failed" | "all") => ({
          workflowName: t.name, workflowFile: t.workflowFile, triggerKind: "cron" as const, triggerId: t.id, triggerName: t.name,
          scheduledFor: at(h), backfill: true, owner, overlap: "parallel" as const, reprocess,
        });
        const cron = (h: number, status: "queued" | "skipped" | "failed") =>
          store.runs.insertRun({ workflowName: t.name, workflowFile: t.workflowFile, triggerKind: "cron", triggerId: t.id, triggerName: t.name, scheduledFor: at(h), status });
        // Hour 0: nothing. 1: succeeded. 2: failed. 3: only a skipped row. 4: still queued.
        const ok = await cron(1, "queued");
        await store.runs.finishRun(ok.id, "success");
        await cron(2, "failed");
        await cron(3, "skipped");
        await cron(4, "queued");
        const hours = [0, 1, 2, 3, 4];
        const none = await store.admitInstants(hours.map((h) => request(h, "none")));
        assert.deepEqual(none.map((o) => [o.state, o.admission?.status ?? "kept"]), [
          ["none", "queued"], ["success", "kept"], ["failed", "kept"], ["missed", "queued"], ["active", "kept"],
        ]);
        assert.equal(none[0]!.admission?.run.backfill, true);
        assert.equal(none[0]!.admission?.run.scheduledFor, new Date(at(0)).toISOString());
        assert.deepEqual(none[1]!.existing.map((r) => r.id), [ok.id]);
        const repeated = await store.admitInstants(hours.map((h) => request(h, "none")));
        assert.deepEqual(repeated.map((o) => o.admission), [null, null, null, null, null], "a second identical backfill adds nothing");
        const failed = await store.admitInstants(hours.map((h) => request(h, "failed")));
        assert.deepEqual(failed.map((o) => o.admission?.status ?? "kept"), ["kept", "kept", "queued", "kept", "kept"]);
        for (const run of await store.runs.activeRuns()) await store.runs.finishRun(run.id, "success");
        const all = await store.admitInstants(hours.map((h) => request(h, "all")));
        assert.deepEqual(all.map((o) => o.admission?.status ?? "kept"), ["queued", "queued", "queued", "queued", "queued"]);
        for (const run of await store.runs.activeRuns()) await store.runs.finishRun(run.id, "success");
      });

      test("two backfills of the same range at the same time run each instant once", async () => {
        const t = await schedule("bf-race", "parallel");
        const base = Date.parse("2026-01-11T00:00:00Z");
        const requests = [0, 1, 2].map((h) => ({
          workflowName: t.name, workflowFile: t.workflowFile, triggerKind: "cron" as const, triggerId: t.id, triggerName: t.name,
          scheduledFor: base + h * HOUR, backfill: true, owner, reprocess: "none" as const,
        }));
        const [a, b] = await Promise.all([store.admitInstants(requests), store.admitInstants(requests)]);
        const admitted = [...a!, ...b!].filter((o) => o.admission !== null);
        assert.equal(admitted.length, 3);
        assert.equal((await store.runs.instantRuns(t.id, base, base + 3 * HOUR)).length, 3);
        for (const run of await store.runs.activeRuns()) await store.runs.finishRun(run.id, "success");
      });
    });

    describe("agents", () => {
      test("heartbeats are kept by agent id, refreshed in place, listed newest first and removed", async () => {
        const beat = { id: "agent:a", pid: 1, host: "h", version: "1", startedAt: clock, beatAt: clock, socket: "/s", http: null };
        await store.agents.beat(beat);
        await store.agents.beat({ ...beat, id: "agent:b", beatAt: clock + 5 });
        await store.agents.beat({ ...beat, beatAt: clock + 10, http: "http://127.0.0.1:1" });
        assert.deepEqual((await store.agents.list()).map((a) => a.id), ["agent:a", "agent:b"]);
        assert.equal((await store.agents.get("agent:a"))?.http, "http://127.0.0.1:1");
        await store.agents.remove("agent:a");
        assert.equal(await store.agents.get("agent:a"), undefined);
      });
    });
  });
}
