import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TriggerRecord } from "../../agent/protocol";
import {
  buildTriggerGroups,
  describeTrigger,
  nextTreeRefreshIn,
  triggerContextKeys,
  triggerIcon,
  triggerItemView,
  triggerTooltip,
} from "../../extension/triggersModel";

const NOW = Date.parse("2025-05-12T08:57:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function schedule(name: string, over: Partial<TriggerRecord> = {}, nextFireAt: string | null = iso(NOW + 3 * 60_000)): TriggerRecord {
  return {
    name,
    type: "schedule",
    workflowFile: "/ws/digest.workflow.ts",
    workflowName: "daily-digest",
    paused: false,
    state: "active",
    error: null,
    lastRun: null,
    createdAt: iso(NOW - 86_400_000),
    updatedAt: iso(NOW - 86_400_000),
    schedule: {
      cron: "0 9 * * 1-5",
      timezone: "UTC",
      overlap: "skip",
      catchup: "once",
      description: "At 09:00 AM, Monday through Friday",
      nextFireAt,
      missed: null,
    },
    ...over,
  };
}

function webhook(name: string): TriggerRecord {
  const base = schedule(name);
  delete base.schedule;
  return { ...base, type: "webhook", webhook: { headers: ["x-github-event"], maxBodyBytes: 1 << 20, url: `http://127.0.0.1:9/webhook/${name}` } };
}

function watcher(name: string): TriggerRecord {
  const base = schedule(name);
  delete base.schedule;
  return {
    ...base,
    type: "watcher",
    watcher: { path: "/home/me/notes", events: ["created", "modified"], recursive: true, glob: "**/*.md" },
  };
}

describe("buildTriggerGroups", () => {
  it("groups triggers as Schedules, Webhooks, Watchers, sorted by name, leaving out empty groups", () => {
    const groups = buildTriggerGroups([watcher("notes"), schedule("b"), schedule("a")], NOW);
    assert.deepEqual(
      groups.map((g) => [g.label, g.items.map((i) => i.name)]),
      [
        ["Schedules", ["a", "b"]],
        ["Watchers", ["notes"]],
      ],
    );
  });

  it("gives no groups at all when there are no triggers, so the welcome view shows", () => {
    assert.deepEqual(buildTriggerGroups([], NOW), []);
  });

  it("gives items stable ids and context values the menus match on", () => {
    const [group] = buildTriggerGroups([schedule("a", { state: "paused", paused: true })], NOW);
    assert.equal(group?.items[0]?.id, "trigger:a");
    assert.equal(group?.items[0]?.contextValue, "trigger.schedule.paused");
  });
});

describe("describeTrigger", () => {
  it("shows a schedule's next fire as relative time, then its cadence", () => {
    assert.equal(describeTrigger(schedule("a"), NOW), "in 3 min · At 09:00 AM, Monday through Friday");
    assert.equal(describeTrigger(schedule("a"), NOW + 2 * 60_000), "in 1 min · At 09:00 AM, Monday through Friday");
  });

  it("says paused instead of a next fire for a paused schedule", () => {
    assert.equal(describeTrigger(schedule("a", { state: "paused", paused: true }), NOW), "paused · At 09:00 AM, Monday through Friday");
  });

  it("shows the first line of a trigger's error", () => {
    const t = schedule("a", { state: "error", error: "digest.workflow.ts:3:5: Unexpected token\nmore" });
    assert.equal(describeTrigger(t, NOW), "digest.workflow.ts:3:5: Unexpected token · At 09:00 AM, Monday through Friday");
  });

  it("shows a webhook's route and a watcher's events and folder", () => {
    assert.equal(describeTrigger(webhook("gh"), NOW), "POST /webhook/gh");
    assert.equal(describeTrigger(watcher("notes"), NOW), "created, modified · notes/**/*.md");
  });
});

describe("triggerIcon", () => {
  it("greys out paused triggers and colours failing ones", () => {
    assert.deepEqual(triggerIcon(schedule("a", { state: "paused", paused: true })), { id: "debug-pause", color: "disabledForeground" });
    assert.deepEqual(triggerIcon(schedule("a", { state: "error", error: "x" })), { id: "error", color: "errorForeground" });
    const failed = schedule("a", { lastRun: { id: "r1", status: "failed", at: iso(NOW) } });
    assert.deepEqual(triggerIcon(failed), { id: "watch", color: "errorForeground" });
    assert.deepEqual(triggerIcon(webhook("gh")), { id: "globe" });
  });

  it("spins while the trigger's last run is still going", () => {
    assert.equal(triggerIcon(schedule("a", { lastRun: { id: "r1", status: "running", at: iso(NOW) } })).id, "sync~spin");
  });
});

describe("triggerItemView", () => {
  it("greys the label of a paused trigger and colours a failing one's, leaving active ones alone", () => {
    assert.equal(triggerItemView(schedule("p", { state: "paused", paused: true }), NOW).labelColor, "disabledForeground");
    assert.equal(triggerItemView(schedule("e", { state: "error", error: "gone" }), NOW).labelColor, "list.errorForeground");
    assert.equal(triggerItemView(schedule("a"), NOW).labelColor, undefined);
  });
});

describe("triggerTooltip", () => {
  it("lists the next fires in the schedule's zone, the zone, policies and the last run", () => {
    const fires = [0, 1, 2, 3, 4].map((d) => iso(Date.parse("2025-05-12T09:00:00Z") + d * 86_400_000));
    const t = schedule("a", { lastRun: { id: "r1", status: "success", at: iso(NOW - 5 * 60_000) } });
    const text = triggerTooltip(t, NOW, fires);
    assert.match(text, /Zone: UTC · overlap: skip · catch-up: once/);
    assert.match(text, /Next 5 fires:/);
    assert.match(text, /- 09:00 \(in 3 min\)/);
    assert.match(text, /- Fri 09:00 \(in 4 days\)/);
    assert.match(text, /Last run: ✓ success, 5 min ago/);
  });

  it("shows the seconds of fires less than a minute apart", () => {
    const fires = [iso(NOW + 2_000), iso(NOW + 4_000)];
    const text = triggerTooltip(schedule("s"), NOW, fires);
    assert.match(text, /- 08:57:02 \(now\)/);
    assert.match(text, /- 08:57:04 \(now\)/);
  });

  it("lists no fires for a paused schedule", () => {
    const text = triggerTooltip(schedule("a", { state: "paused", paused: true }), NOW, [iso(NOW + 60_000)]);
    assert.doesNotMatch(text, /Next/);
    assert.match(text, /Paused/);
  });

  it("escapes Markdown in names and paths", () => {
    const text = triggerTooltip(schedule("a_b*"), NOW);
    assert.match(text, /\*\*a\\_b\\\*\*\*/);
  });

  it("shows a webhook's URL", () => {
    assert.match(triggerTooltip(webhook("gh"), NOW), /URL: http:\/\/127\.0\.0\.1:9\/webhook\/gh/);
  });
});

describe("nextTreeRefreshIn and triggerContextKeys", () => {
  it("wakes the tree when the soonest countdown changes, and not at all without active schedules", () => {
    const soon = schedule("soon", {}, iso(NOW + 30_500));
    const later = schedule("later", {}, iso(NOW + 3 * 3_600_000 + 20_000));
    assert.equal(nextTreeRefreshIn([later, soon], NOW), 501);
    assert.equal(nextTreeRefreshIn([webhook("gh"), schedule("p", { state: "paused", paused: true })], NOW), null);
  });

  it("says which trigger commands have something to act on", () => {
    const paused = schedule("paused", { state: "paused", paused: true });
    assert.deepEqual(triggerContextKeys([paused]), {
      hasTriggers: true,
      hasSchedules: true,
      hasWebhooks: false,
      hasUnpausedTriggers: false,
      hasPausedTriggers: true,
    });
    assert.deepEqual(triggerContextKeys([webhook("gh")]), {
      hasTriggers: true,
      hasSchedules: false,
      hasWebhooks: true,
      hasUnpausedTriggers: true,
      hasPausedTriggers: false,
    });
    assert.equal(Object.values(triggerContextKeys([])).some(Boolean), false);
  });
});
