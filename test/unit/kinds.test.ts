// The kinds are declared once: step kinds in agent/steps/stepKinds.ts (typed
// over the SDK's steps), trigger kinds in agent/core/triggerKinds.ts. These
// tests pin what the compiler cannot see: the SDK's constructors and its
// documented defaults agree with the registry, and the lists derived from
// the kinds read as they did when they were written by hand.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseDuration } from "../../agent/core/duration";
import { RUN_FIELD_NAMES, SCALAR_TRIGGER_FIELDS, TRIGGER_FIELD_NAMES, TRIGGER_FIELDS, TRIGGER_RUN_FIELD_NAMES } from "../../agent/core/placeholderFields";
import { RUN_TRIGGER_KINDS, TRIGGER_KINDS, TRIGGER_TYPES, triggerCounts, triggerCountsText, triggerTypeOfRun } from "../../agent/core/triggerKinds";
import * as sdk from "../../agent/sdk";
import { STEP_KIND_NAMES, STEP_KINDS, stepOptionNames } from "../../agent/steps/stepKinds";

const root = join(__dirname, "../..");

describe("step kinds", () => {
  test("every kind has an SDK constructor of its name that builds a step of that kind, and every constructor has a kind", () => {
    const constructors = Object.entries(sdk)
      .filter(([name, value]) => typeof value === "function" && name !== "defineWorkflow")
      .map(([name]) => name);
    assert.deepEqual([...constructors].sort(), [...STEP_KIND_NAMES].sort());
    for (const kind of STEP_KIND_NAMES) {
      const build = (sdk as unknown as Record<string, (...args: unknown[]) => { kind: string; name: string }>)[kind]!;
      const step = build("x", () => "y", {});
      assert.equal(step.kind, kind);
      assert.equal(step.name, "x");
    }
  });

  test("the SDK documents each kind's default timeout as the registry has it", () => {
    const source = readFileSync(join(root, "agent/sdk/index.ts"), "utf8");
    const line = /Defaults: ([^.]+)\./.exec(source)?.[1];
    assert.ok(line, "the SDK's CommonStepOptions.timeout comment lists the defaults");
    const documented = Object.fromEntries(line.split(", ").map((entry) => entry.split(" ") as [string, string]));
    const registered = Object.fromEntries(STEP_KIND_NAMES.map((kind) => [kind, STEP_KINDS[kind].defaultTimeoutMs]));
    assert.deepEqual(
      Object.fromEntries(Object.entries(documented).map(([kind, text]) => [kind, parseDuration(text)])),
      registered,
    );
  });

  test("every kind takes the common options", () => {
    for (const kind of STEP_KIND_NAMES) {
      assert.deepEqual(stepOptionNames(kind).slice(0, 2), ["timeout", "retries"], kind);
    }
  });

  test("only code steps keep their strings out of the templates", () => {
    assert.deepEqual(
      STEP_KIND_NAMES.filter((kind) => !STEP_KINDS[kind].hasTemplates),
      ["code"],
    );
  });
});

describe("trigger kinds", () => {
  test("listings show schedules, webhooks, watchers and run triggers, in that order", () => {
    assert.deepEqual(TRIGGER_TYPES, ["schedule", "webhook", "watcher", "run"]);
    assert.deepEqual(TRIGGER_TYPES.map((type) => TRIGGER_KINDS[type].label), ["Schedules", "Webhooks", "Watchers", "Run Triggers"]);
  });

  test("counts come out under the plural of each kind, zero when a kind has none", () => {
    const counts = triggerCounts([
      ["schedule", 2],
      ["watcher", 1],
    ]);
    assert.deepEqual(counts, { schedules: 2, webhooks: 0, watchers: 1, runTriggers: 0 });
    assert.equal(triggerCountsText(counts), "2 schedules, 0 webhooks, 1 watcher, 0 run triggers");
    assert.equal(triggerCountsText(triggerCounts([["run", 1]])), "0 schedules, 0 webhooks, 0 watchers, 1 run trigger");
  });

  test("each kind's runs carry a run trigger kind, and manual and API runs belong to no kind", () => {
    for (const type of TRIGGER_TYPES) assert.ok(RUN_TRIGGER_KINDS.includes(TRIGGER_KINDS[type].runKind), type);
    assert.equal(triggerTypeOfRun("cron"), "schedule");
    assert.equal(triggerTypeOfRun("file"), "watcher");
    assert.equal(triggerTypeOfRun("run"), "run");
    assert.equal(triggerTypeOfRun("manual"), undefined);
    assert.equal(triggerTypeOfRun("api"), undefined);
  });
});

describe("placeholder fields", () => {
  test("trigger and run fields are listed once, with the run trigger kinds in {trigger.kind}'s text", () => {
    assert.deepEqual(TRIGGER_FIELD_NAMES, ["event", "kind", "body", "headers", "path", "file_event", "name", "run"]);
    assert.deepEqual(SCALAR_TRIGGER_FIELDS, ["event", "kind", "path", "file_event", "name"]);
    assert.deepEqual(TRIGGER_RUN_FIELD_NAMES, ["id", "workflow", "status", "error", "trigger_kind"]);
    assert.deepEqual(RUN_FIELD_NAMES, ["id", "scheduled_for", "workflow"]);
    assert.equal(TRIGGER_FIELDS.kind, "What started the run: manual, cron, webhook, file, api or run.");
  });
});
