// What a replay starts (runner/replay.ts): the original's trigger kind,
// trigger and context, whatever started it, with an edited body replacing
// only the body.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunRecord } from "../../agent/protocol";
import { replayStart } from "../../agent/runner/replay";

function record(over: Partial<RunRecord>): RunRecord {
  return {
    id: "orig00000001",
    workflowName: "w",
    workflowFile: "/w.workflow.ts",
    triggerKind: "manual",
    triggerName: null,
    status: "failed",
    scheduledFor: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    startedAt: null,
    finishedAt: null,
    error: null,
    replayOf: null,
    backfill: false,
    missed: null,
    trigger: {},
    steps: [],
    ...over,
  };
}

describe("replayStart", () => {
  it("keeps a file-triggered run's path and event, so {trigger.path} and {trigger.event} resolve as they did", () => {
    const start = replayStart(record({ triggerKind: "file", triggerName: "notes", trigger: { path: "/n/a.md", fileEvent: "modified" } }), undefined, 7);
    assert.deepEqual(start, {
      triggerKind: "file",
      context: { path: "/n/a.md", fileEvent: "modified" },
      triggerName: "notes",
      triggerId: 7,
      replayOf: "orig00000001",
      scheduledFor: null,
    });
  });

  it("keeps an API run's body and a cron run's instant", () => {
    assert.deepEqual(replayStart(record({ triggerKind: "api", triggerName: "deploy", trigger: { body: { ref: "main" } } }), undefined, null).context, { body: { ref: "main" } });
    const cron = replayStart(record({ triggerKind: "cron", triggerName: "nightly", scheduledFor: "2025-03-09T07:00:00.000Z" }), undefined, 3);
    assert.equal(cron.scheduledFor, Date.parse("2025-03-09T07:00:00.000Z"));
    assert.equal(cron.triggerKind, "cron");
  });

  it("replaces only the body with an edited one: the headers stay", () => {
    const original = record({ triggerKind: "webhook", triggerName: "gh", trigger: { body: { action: "opened" }, headers: { "x-github-event": "issues" } } });
    const start = replayStart(original, { action: "closed" }, null);
    assert.deepEqual(start.context, { body: { action: "closed" }, headers: { "x-github-event": "issues" } });
    assert.equal(start.triggerId, null, "a trigger unregistered since keeps only its name");
    assert.deepEqual(original.trigger.body, { action: "opened" }, "the original record is not changed");
  });
});
