// What the extension shows for replay, backfill and missed instants, and the
// body a "Replay with Edited Body…" editor starts with and sends.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BackfillResult, RunSummary, TriggerRecord } from "../../agent/protocol";
import { backfillPickItems, backfillTitle, zoneTime } from "../../extension/backfillModel";
import { parseReplayBody, replayBodyText } from "../../extension/replayModel";
import { describeRun, runTooltip } from "../../extension/runsModel";
import { describeTrigger, triggerTooltip } from "../../extension/triggersModel";

const NOW = Date.parse("2025-05-12T10:00:00Z");

function run(over: Partial<RunSummary> = {}): RunSummary {
  return {
    id: "r2",
    workflowName: "digest",
    workflowFile: "/ws/digest.workflow.ts",
    triggerKind: "cron",
    triggerName: "nightly",
    status: "success",
    scheduledFor: "2025-05-12T09:00:00.000Z",
    createdAt: "2025-05-12T09:59:00.000Z",
    startedAt: "2025-05-12T09:59:00.000Z",
    finishedAt: "2025-05-12T09:59:01.000Z",
    error: null,
    replayOf: null,
    backfill: false,
    missed: null,
    ...over,
  };
}

describe("replay bodies", () => {
  it("starts the editor with the body as pretty JSON, a text body as a JSON string, and {} for none", () => {
    assert.equal(replayBodyText({ trigger: { body: { a: [1] } } }), '{\n  "a": [\n    1\n  ]\n}\n');
    assert.equal(replayBodyText({ trigger: { body: "plain" } }), '"plain"\n');
    assert.equal(replayBodyText({ trigger: {} }), "{}\n");
  });

  it("sends what the editor holds, and says on which line it is not JSON", () => {
    assert.deepEqual(parseReplayBody('{"action": "closed"}'), { ok: true, body: { action: "closed" } });
    const bad = parseReplayBody('{\n  "a": 1,\n  b: 2\n}');
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error : "", /not JSON/);
    assert.match(parseReplayBody("  ").ok ? "" : "empty", /empty/);
  });
});

describe("runs that are replays, backfills or missed records", () => {
  it("says so in the description and the tooltip", () => {
    assert.match(describeRun(run({ replayOf: "r1" }), NOW), / · cron nightly · replay$/);
    assert.match(describeRun(run({ backfill: true }), NOW), / · cron nightly · backfill$/);
    const missed = run({ status: "skipped", missed: { count: 4, instants: ["2025-05-12T06:00:00.000Z"], last: "2025-05-12T09:00:00.000Z" } });
    assert.match(describeRun(missed, NOW), /missed 4/);
    assert.match(runTooltip(run({ replayOf: "r1" }), NOW), /Replay of run r1/);
    assert.match(runTooltip(run({ backfill: true }), NOW), /Scheduled for: .* \(backfill\)/);
    assert.match(runTooltip(missed, NOW), /Missed 4 instants: .*, … \(the last /);
  });
});

describe("a schedule with missed instants", () => {
  const schedule: TriggerRecord = {
    name: "nightly",
    type: "schedule",
    workflowFile: "/ws/digest.workflow.ts",
    workflowName: "digest",
    paused: false,
    state: "active",
    error: null,
    lastRun: null,
    createdAt: "",
    updatedAt: "",
    schedule: {
      cron: "0 * * * *",
      timezone: "UTC",
      overlap: "skip",
      catchup: "skip",
      description: "Every hour",
      nextFireAt: "2025-05-12T11:00:00Z",
      missed: {
        count: 7,
        instants: ["2025-05-12T03:00:00.000Z", "2025-05-12T04:00:00.000Z"],
        last: "2025-05-12T09:00:00.000Z",
        runId: "m1",
        recordedAt: "2025-05-12T09:59:00.000Z",
        outstanding: 5,
      },
    },
  };

  it("shows how many are still without a run, and lists them in the tooltip with what runs them", () => {
    assert.match(describeTrigger(schedule, NOW), / · missed 5$/);
    const tooltip = triggerTooltip(schedule, NOW);
    assert.match(tooltip, /Missed 7 instants while the agent was off or asleep \(5 still without a run\):/);
    assert.match(tooltip, /- 03:00\n- 04:00\n- … and 5 more, the last 09:00/);
    assert.match(tooltip, /Backfill… runs them/);
  });
});

describe("the backfill dry run", () => {
  const result: BackfillResult = {
    schedule: "hourly",
    cron: "0 * * * *",
    timezone: "America/New_York",
    from: "2025-11-02T04:00:00.000Z",
    to: "2025-11-02T07:00:00.000Z",
    dryRun: true,
    reprocess: "none",
    concurrency: { kind: "serial" },
    paused: false,
    instants: [
      { scheduledFor: "2025-11-02T04:00:00.000Z", state: "success", action: "keep", runId: "a", reason: "it already has a successful run" },
      { scheduledFor: "2025-11-02T05:00:00.000Z", state: "none", action: "run", runId: null },
      { scheduledFor: "2025-11-02T06:00:00.000Z", state: "failed", action: "keep", runId: "b", reason: "its run failed" },
    ],
    toRun: 1,
  };

  it("lists every instant in the schedule's zone with what it has and what would happen, after the one item that runs it", () => {
    assert.equal(backfillTitle(result), "Backfill hourly: 1 of 3 instants would run (dry run)");
    const items = backfillPickItems(result);
    assert.equal(items[0]!.confirm, true);
    assert.match(items[0]!.label, /Run 1 backfill run$/);
    assert.equal(items[1]!.kind, "separator");
    assert.deepEqual(
      items.slice(2).map((i) => `${i.label} | ${i.description}`),
      [
        "$(check) 2025-11-02 00:00 EDT | succeeded → keep",
        "$(debug-start) 2025-11-02 01:00 EDT | never ran → run",
        "$(check) 2025-11-02 01:00 EST | failed → keep",
      ],
    );
    assert.ok(items.filter((i) => i.confirm).length === 1);
  });

  it("offers nothing to run when every instant is kept", () => {
    const items = backfillPickItems({ ...result, toRun: 0, instants: [result.instants[0]!] });
    assert.ok(!items.some((i) => i.confirm));
    assert.equal(zoneTime("2025-03-09T07:00:00.000Z", "America/New_York"), "2025-03-09 03:00 EDT");
  });
});
