import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { RunSummary } from "../../agent/protocol";
import { describeRun, runItemView, upsertRun, workflowNames } from "../../extension/runsModel";

const NOW = Date.parse("2025-05-12T10:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function run(id: string, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    workflowName: "digest",
    workflowFile: "/ws/digest.workflow.ts",
    triggerKind: "manual",
    triggerName: null,
    status: "success",
    scheduledFor: null,
    createdAt: iso(NOW - 60_000),
    startedAt: iso(NOW - 60_000),
    finishedAt: iso(NOW - 58_800),
    error: null,
    replayOf: null,
    backfill: false,
    missed: null,
    ...over,
  };
}

describe("upsertRun", () => {
  it("replaces a listed run in place of adding a second copy", () => {
    const list = [run("a", { status: "running", finishedAt: null })];
    const next = upsertRun(list, run("a"));
    assert.equal(next.length, 1);
    assert.equal(next[0]?.status, "success");
    assert.equal(list[0]?.status, "running", "the input list is not changed");
  });

  it("puts a new run first and keeps only the newest runs", () => {
    const list = [run("old", { createdAt: iso(NOW - 120_000) }), run("mid")];
    const next = upsertRun(list, run("new", { createdAt: iso(NOW) }), {}, 2);
    assert.deepEqual(next.map((r) => r.id), ["new", "mid"]);
  });

  it("leaves out runs of other workflows while filtered", () => {
    const next = upsertRun([run("a")], run("b", { workflowName: "other" }), { workflow: "digest" });
    assert.deepEqual(next.map((r) => r.id), ["a"]);
  });
});

describe("runItemView", () => {
  it("shows start time and duration before the trigger, with a status icon and context value", () => {
    const view = runItemView(run("a", { triggerKind: "cron", triggerName: "daily", startedAt: "2025-05-12T09:00:00Z", finishedAt: "2025-05-12T09:00:01.200Z" }), NOW);
    assert.equal(view.label, "digest");
    assert.equal(view.icon.id, "pass");
    assert.equal(view.contextValue, "run.success");
    assert.match(view.description, /^\d\d:\d\d · 1\.2 s · cron daily$/);
  });

  it("counts a running run's duration up to now", () => {
    const d = describeRun(run("a", { status: "running", startedAt: iso(NOW - 12_000), finishedAt: null }), NOW);
    assert.match(d, /^\d\d:\d\d · running 12 s · manual$/);
  });

  it("marks failed runs with the failure icon and the error in the tooltip", () => {
    const view = runItemView(run("a", { status: "failed", error: "step commits exited with 1" }), NOW);
    assert.deepEqual(view.icon, { id: "error", color: "testing.iconFailed" });
    assert.match(view.tooltip, /Error: step commits exited with 1/);
  });
});

describe("workflowNames", () => {
  it("lists each workflow once, sorted", () => {
    assert.deepEqual(workflowNames([run("a", { workflowName: "z" }), run("b"), run("c", { workflowName: "z" })]), ["digest", "z"]);
  });
});

describe("upsertRun with a trigger filter", () => {
  it("keeps only runs started by that trigger", () => {
    const next = upsertRun([], run("a", { triggerKind: "cron", triggerName: "other" }), { trigger: "daily" });
    assert.deepEqual(next, []);
    const kept = upsertRun([], run("b", { triggerKind: "cron", triggerName: "daily" }), { trigger: "daily" });
    assert.deepEqual(kept.map((r) => r.id), ["b"]);
  });
});
