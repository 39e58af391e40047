// The run-trigger policy (core/runTriggers.ts) and the {trigger.run.*}
// placeholders: which finished runs a trigger reacts to, where a chain is
// cut, what a registration is warned about, and what a run sees.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { placeholderEnv } from "../../agent/core/placeholderEnv";
import { PlaceholderError, renderTemplate, type ResolveContext } from "../../agent/core/placeholders";
import {
  chainDepth,
  checkRunTriggerConfig,
  findCycle,
  MAX_CHAIN_DEPTH,
  reactionTo,
  registrationWarnings,
  type RunTriggerView,
} from "../../agent/core/runTriggers";
import { completionSite, describePlaceholder, placeholderAt, placeholderCompletions, placeholderProblems } from "../../agent/lsp/placeholderSites";
import { scanSource } from "../../agent/lsp/sourceScan";
import type { RunSummary } from "../../agent/protocol";

function finished(over: Partial<RunSummary> = {}): RunSummary {
  return {
    id: "r1",
    workflowName: "backup",
    workflowFile: "/w/backup.workflow.ts",
    triggerKind: "cron",
    triggerName: "backup",
    status: "failed",
    scheduledFor: null,
    createdAt: "2030-01-01T00:00:00.000Z",
    startedAt: "2030-01-01T00:00:00.000Z",
    finishedAt: "2030-01-01T00:00:01.000Z",
    error: 'step "copy" failed: exit code 2',
    replayOf: null,
    backfill: false,
    missed: null,
    ...over,
  };
}

const notifier: RunTriggerView = { name: "notify", paused: false, config: { workflows: ["backup"], statuses: ["failed"] } };

describe("registration settings", () => {
  test("workflow names are trimmed and de-duplicated; statuses default to failed and come out in the usual order", () => {
    assert.deepEqual(checkRunTriggerConfig({ workflows: [" a ", "b", "a", ""] }), { workflows: ["a", "b"], statuses: ["failed"] });
    assert.deepEqual(checkRunTriggerConfig({ workflows: ["a"], statuses: ["skipped", "success", "skipped"] }).statuses, ["success", "skipped"]);
  });

  test("no workflow, an unknown status or no status is refused with the field named", () => {
    assert.throws(() => checkRunTriggerConfig({ workflows: [" "] }), /workflows: name at least one workflow/);
    assert.throws(() => checkRunTriggerConfig({ workflows: ["a"], statuses: ["failed", "broken"] }), /statuses: choose one or more of success, failed, cancelled, skipped; got broken/);
    assert.throws(() => checkRunTriggerConfig({ workflows: ["a"], statuses: [] }), /statuses: choose one or more/);
  });
});

describe("reacting to a finished run", () => {
  test("a failed run of a watched workflow starts the trigger's workflow with the run in its context, one deep", () => {
    const reaction = reactionTo(notifier, finished(), 0);
    assert.deepEqual(reaction, {
      action: "start",
      run: { id: "r1", workflow: "backup", status: "failed", error: 'step "copy" failed: exit code 2', triggerKind: "cron", depth: 1 },
    });
  });

  test("another workflow, another outcome, a paused trigger and the trigger's own run are ignored", () => {
    assert.equal(reactionTo(notifier, finished({ workflowName: "other" }), 0).action, "ignore");
    assert.equal(reactionTo(notifier, finished({ status: "success", error: null }), 0).action, "ignore");
    assert.equal(reactionTo({ ...notifier, paused: true }, finished(), 0).action, "ignore");
    assert.deepEqual(reactionTo(notifier, finished({ triggerName: "notify", triggerKind: "run" }), 1), { action: "ignore", why: "a run it started itself" });
  });

  test(`a chain runs ${MAX_CHAIN_DEPTH} deep; the next reaction is cut with a reason, and the cut record starts nothing`, () => {
    const last = reactionTo(notifier, finished({ triggerKind: "run", triggerName: "other" }), MAX_CHAIN_DEPTH - 1);
    assert.equal(last.action, "start");
    assert.equal(last.action === "start" && last.run.depth, MAX_CHAIN_DEPTH);
    const cut = reactionTo(notifier, finished({ triggerKind: "run", triggerName: "other" }), MAX_CHAIN_DEPTH);
    assert.equal(cut.action, "cut");
    assert.match(cut.action === "cut" ? cut.reason : "", /not started: run r1 of "backup" was already the 5th run in a chain of run triggers, and a chain stops at 5/);
    const onCut = reactionTo({ ...notifier, config: { workflows: ["backup"], statuses: ["skipped"] } }, finished({ status: "skipped", triggerKind: "run", triggerName: "x" }), MAX_CHAIN_DEPTH + 1);
    assert.equal(onCut.action, "ignore");
  });

  test("only a run that a run trigger started has a depth", () => {
    assert.equal(chainDepth({ triggerKind: "run" }, { run: { id: "a", workflow: "w", status: "failed", error: "x", triggerKind: "manual", depth: 3 } }), 3);
    assert.equal(chainDepth({ triggerKind: "manual" }, { run: { id: "a", workflow: "w", status: "failed", error: "x", triggerKind: "manual", depth: 3 } }), 0);
    assert.equal(chainDepth({ triggerKind: "run" }, {}), 0);
  });
});

describe("registration warnings", () => {
  const edge = (name: string, workflowName: string, workflows: string[]) => ({ name, workflowName, config: { workflows } });

  test("a workflow name nothing has used is accepted with a warning that says when it will fire", () => {
    const warnings = registrationWarnings(edge("n", "notify", ["backup", "bakcup"]), [], (w) => w === "backup");
    assert.deepEqual(warnings, ['no workflow named "bakcup" has run or is registered yet; the trigger reacts once a run of that name finishes']);
  });

  test("a trigger that runs the workflow it watches is told it runs at most once per outside run", () => {
    const [warning] = registrationWarnings(edge("retry", "flaky", ["flaky"]), [], () => true);
    assert.match(warning!, /"retry" runs "flaky", which it also watches: it never reacts to a run it started itself/);
  });

  test("a cycle through other run triggers is named, shortest first", () => {
    assert.deepEqual(findCycle(edge("b-on-a", "b", ["a"]), [edge("a-on-b", "a", ["b"])]), ["a", "b", "a"]);
    assert.deepEqual(findCycle(edge("c-on-b", "c", ["b"]), [edge("a-on-c", "a", ["c"]), edge("b-on-a", "b", ["a"]), edge("x", "x", ["a"])]), ["b", "c", "a", "b"]);
    assert.equal(findCycle(edge("b-on-a", "b", ["a"]), [edge("c-on-b", "c", ["b"])]), undefined);
    assert.equal(findCycle(edge("self", "a", ["a"]), []), undefined, "a trigger watching its own workflow is reported apart");
    const warnings = registrationWarnings(edge("b-on-a", "b", ["a"]), [edge("a-on-b", "a", ["b"])], () => true);
    assert.deepEqual(warnings, [
      "these workflows start each other through run triggers: a → b → a; such a chain stops after 5 runs and the next is recorded as skipped",
    ]);
  });

  test("re-checking a registered trigger does not count its own old edge twice", () => {
    assert.equal(findCycle(edge("b-on-a", "b", ["a"]), [edge("b-on-a", "a", ["b"])]), undefined);
  });
});

describe("{trigger.run.*}", () => {
  const ctx = (trigger: ResolveContext["trigger"]): ResolveContext => ({
    workflow: "notify",
    steps: ["post"],
    current: 0,
    outputs: {},
    previous: () => undefined,
    trigger,
    run: { id: "n1", scheduledFor: null },
  });
  const reacted = ctx({
    event: "run",
    name: "notify",
    run: { id: "r1", workflow: "backup", status: "failed", error: "disk full", triggerKind: "cron" },
  });

  test("each field reads the finished run; in a shell command each is one quoted word", () => {
    assert.equal(
      renderTemplate("{trigger.run.workflow} {trigger.run.id} {trigger.run.status} {trigger.run.trigger_kind}: {trigger.run.error}", reacted),
      "backup r1 failed cron: disk full",
    );
    assert.equal(renderTemplate("echo {trigger.run.error}", reacted, "shell"), "echo 'disk full'");
    assert.equal(renderTemplate("{trigger.kind}", reacted), "run");
  });

  test("shell steps get each field as CLOCKWORK_TRIGGER_RUN_*", () => {
    const { env } = placeholderEnv(reacted);
    assert.equal(env.CLOCKWORK_TRIGGER_RUN_ID, "r1");
    assert.equal(env.CLOCKWORK_TRIGGER_RUN_WORKFLOW, "backup");
    assert.equal(env.CLOCKWORK_TRIGGER_RUN_STATUS, "failed");
    assert.equal(env.CLOCKWORK_TRIGGER_RUN_ERROR, "disk full");
    assert.equal(env.CLOCKWORK_TRIGGER_RUN_TRIGGER_KIND, "cron");
  });

  test("a run no run trigger started, a success's error, and an unknown field fail the step with the reason", () => {
    const fails = (template: string, c: ResolveContext) => assert.throws(() => renderTemplate(template, c), PlaceholderError);
    fails("{trigger.run.id}", ctx({ event: "manual" }));
    assert.throws(() => renderTemplate("{trigger.run.id}", ctx({ event: "cron" })), /only runs started by a run trigger have \{trigger\.run\.\*\}; this is a cron run/);
    const success = ctx({ event: "run", run: { id: "r2", workflow: "backup", status: "success", error: null, triggerKind: "manual" } });
    assert.throws(() => renderTemplate("{trigger.run.error}", success), /run r2 of "backup" ended success without an error/);
    assert.throws(() => renderTemplate("{trigger.run.nope}", reacted), /write \{trigger\.run\.<field>\} with one of id, workflow, status, error, trigger_kind/);
    assert.throws(() => renderTemplate("{trigger.run}", reacted), /write \{trigger\.run\.<field>\}/);
    assert.equal(placeholderEnv(success).env.CLOCKWORK_TRIGGER_RUN_ERROR, undefined);
  });
});

describe("{trigger.run.*} in the editor", () => {
  const source = `export default defineWorkflow({ name: "n", steps: [
  shell("post", "echo {trigger.run.error} {trigger.run.} {trigger.run.nope}"),
] });`;
  const scan = scanSource(source);

  test("completes the fields after trigger.run.", () => {
    const site = completionSite(scan, source.indexOf("{trigger.run.}") + 13)!;
    assert.deepEqual(
      placeholderCompletions(scan, site).map((c) => c.label),
      ["trigger.run.id", "trigger.run.workflow", "trigger.run.status", "trigger.run.error", "trigger.run.trigger_kind"],
    );
  });

  test("explains a field on hover, with its environment variable, and reports an unknown one while typing", () => {
    const hover = describePlaceholder(scan, placeholderAt(scan, source.indexOf("{trigger.run.error}") + 2)!);
    assert.match(hover, /Why that run failed, was cancelled or skipped/);
    assert.match(hover, /CLOCKWORK_TRIGGER_RUN_ERROR/);
    const problems = placeholderProblems(scan).map((p) => p.message);
    assert.ok(problems.some((m) => /\{trigger\.run\.nope\}: write \{trigger\.run\.<field>\}/.test(m)), problems.join("\n"));
  });
});
