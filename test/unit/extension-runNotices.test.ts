import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunSummary } from "../../agent/protocol";
import { BackgroundRunFilter, backgroundNotice, manualRunNotice } from "../../extension/runNotices";

const NOW = Date.parse("2025-05-12T10:00:10Z");

function run(over: Partial<RunSummary> = {}): RunSummary {
  return {
    id: "r1",
    workflowName: "digest",
    workflowFile: "/ws/digest.workflow.ts",
    triggerKind: "cron",
    triggerName: "nightly",
    status: "failed",
    scheduledFor: null,
    createdAt: "2025-05-12T10:00:00Z",
    startedAt: "2025-05-12T10:00:00Z",
    finishedAt: "2025-05-12T10:00:02Z",
    error: "step fetch failed: exit 1\nmore detail",
    replayOf: null,
    backfill: false,
    missed: null,
    ...over,
  };
}

describe("manualRunNotice", () => {
  it("says nothing while the run's panel is visible, whatever the outcome", () => {
    for (const status of ["success", "failed", "cancelled"] as const) {
      assert.equal(manualRunNotice(run({ triggerKind: "manual", status }), true, NOW), null);
    }
  });

  it("says nothing for a cancelled run: the user cancelled it", () => {
    assert.equal(manualRunNotice(run({ triggerKind: "manual", status: "cancelled" }), false, NOW), null);
  });

  it("tells how a run ended when its panel is hidden, with Show Run", () => {
    const ok = manualRunNotice(run({ triggerKind: "manual", status: "success", error: null }), false, NOW)!;
    assert.deepEqual(ok, {
      severity: "info",
      message: "digest succeeded in 2.0 s.",
      action: { title: "Show Run", command: "clockwork.openRun", args: ["r1"] },
    });
    const failed = manualRunNotice(run({ triggerKind: "manual" }), false, NOW)!;
    assert.equal(failed.severity, "error");
    assert.equal(failed.message, "digest failed in 2.0 s: step fetch failed: exit 1");
  });
});

describe("BackgroundRunFilter", () => {
  it("announces a failing trigger once until one of its runs succeeds again", () => {
    const filter = new BackgroundRunFilter();
    assert.equal(filter.accept(run({ id: "a" }), "failures"), true);
    assert.equal(filter.accept(run({ id: "b" }), "failures"), false, "still failing");
    assert.equal(filter.accept(run({ id: "c", triggerName: "other" }), "failures"), true, "another trigger");
    assert.equal(filter.accept(run({ id: "d", status: "success" }), "failures"), false);
    assert.equal(filter.accept(run({ id: "e" }), "failures"), true, "failing again after a success");
  });

  it("ignores runs started by hand, and skips unless the setting asks for them", () => {
    const filter = new BackgroundRunFilter();
    assert.equal(filter.accept(run({ triggerKind: "manual" }), "failures"), false);
    assert.equal(filter.accept(run({ status: "skipped" }), "failures"), false);
    assert.equal(filter.accept(run({ status: "skipped" }), "failuresAndSkips"), true);
    assert.equal(filter.accept(run({ status: "cancelled" }), "failuresAndSkips"), false);
  });

  it("announces nothing with the setting off", () => {
    const filter = new BackgroundRunFilter();
    assert.equal(filter.accept(run(), "off"), false);
    assert.equal(filter.accept(run(), "failures"), true, "turning it on later still announces the failure");
  });
});

describe("backgroundNotice", () => {
  it("names the trigger, the workflow and the first line of the error for one run, with Show Run", () => {
    assert.deepEqual(backgroundNotice([run()]), {
      severity: "error",
      message: 'Clockwork: schedule "nightly" (digest) failed: step fetch failed: exit 1',
      action: { title: "Show Run", command: "clockwork.openRun", args: ["r1"] },
    });
    assert.equal(
      backgroundNotice([run({ status: "skipped", error: "the previous run is still going" })]).message,
      'Clockwork: schedule "nightly" (digest) skipped a run: the previous run is still going',
    );
    assert.equal(backgroundNotice([run({ triggerKind: "api", triggerName: null })]).message.startsWith("Clockwork: api run of digest failed"), true);
  });

  it("groups runs that ended together into one notice that opens the Runs view", () => {
    const notice = backgroundNotice([
      run({ id: "a" }),
      run({ id: "b", triggerKind: "webhook", triggerName: "gh" }),
      run({ id: "c", status: "skipped", triggerName: "hourly" }),
    ]);
    assert.equal(notice.severity, "error");
    assert.equal(notice.message, "3 background runs ended badly (2 failed, 1 skipped): nightly, gh, hourly");
    assert.deepEqual(notice.action, { title: "Show Runs", command: "clockwork.showRuns", args: [] });
  });
});
