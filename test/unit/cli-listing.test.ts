// `clockwork list`: a trigger in error says why, whatever its kind.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TriggerRecord } from "../../agent/protocol";
import { formatTriggers } from "../../agent/cli/commands/schedules";

const NOW = Date.parse("2026-03-09T09:00:00Z");
const base = { workflowFile: "/w/x.workflow.ts", paused: false, lastRun: null, createdAt: "2026-03-09T08:00:00Z", updatedAt: "2026-03-09T08:00:00Z" };

describe("clockwork list", () => {
  it("shows the error of a schedule, a webhook and a watcher next to their state", () => {
    const error = "the workflow does not load: /w/x.workflow.ts:3:1: Unexpected end of file";
    const triggers: TriggerRecord[] = [
      { ...base, name: "daily", type: "schedule", workflowName: "x", state: "error", error,
        schedule: { cron: "0 9 * * *", timezone: "UTC", overlap: "skip", catchup: "once", description: "At 09:00", nextFireAt: null, missed: null } },
      { ...base, name: "deploy", type: "webhook", workflowName: "x", state: "error", error,
        webhook: { headers: [], maxBodyBytes: 1024, url: "http://127.0.0.1:8787/webhook/deploy" } },
      { ...base, name: "notes", type: "watcher", workflowName: "x", state: "error", error: "/w/notes does not exist",
        watcher: { path: "/w/notes", events: ["created"], recursive: false, glob: null } },
      { ...base, name: "fine", type: "schedule", workflowName: "x", state: "active", error: null,
        schedule: { cron: "0 9 * * *", timezone: "UTC", overlap: "skip", catchup: "once", description: "At 09:00", nextFireAt: null, missed: null } },
    ];
    const out = formatTriggers(triggers, NOW);
    assert.match(out, /^daily .* error: the workflow does not load: \/w\/x\.workflow\.ts:3:1: Unexpected end of file /m);
    assert.match(out, /^deploy .* error: the workflow does not load: /m);
    assert.match(out, /^notes .* error: \/w\/notes does not exist /m);
    assert.match(out, /^fine .* active /m);
  });
});
