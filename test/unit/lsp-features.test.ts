import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TextDocument } from "vscode-languageserver-textdocument";
import { DiagnosticSeverity } from "vscode-languageserver";
import type { RunSummary, TriggerRecord } from "../../agent/protocol";
import { workflowLenses } from "../../agent/lsp/codeLens";
import { cronDiagnostics, problemToDiagnostic } from "../../agent/lsp/diagnostics";
import { cronHover, hoverAt } from "../../agent/lsp/hover";
import { scanSource } from "../../agent/lsp/sourceScan";
import { cronPreview } from "../../agent/core/cron";

const NOW = Date.parse("2025-05-12T08:57:00Z");
const range = { start: { line: 2, character: 15 }, end: { line: 2, character: 15 } };

function schedule(over: Partial<TriggerRecord> = {}): TriggerRecord {
  return {
    name: "daily",
    type: "schedule",
    workflowFile: "/ws/d.workflow.ts",
    workflowName: "d",
    paused: false,
    state: "active",
    error: null,
    lastRun: null,
    createdAt: "",
    updatedAt: "",
    schedule: { cron: "0 9 * * *", timezone: "UTC", overlap: "skip", catchup: "once", description: "At 09:00", nextFireAt: "2025-05-12T09:00:00Z", missed: null },
    ...over,
  };
}

describe("workflowLenses", () => {
  it("offers Run Now and Schedule with the document's URI", () => {
    const lenses = workflowLenses({ uri: "file:///ws/d.workflow.ts", range, triggers: [], lastRun: undefined, nowMs: NOW });
    assert.deepEqual(lenses.map((l) => [l.command?.title, l.command?.command, l.command?.arguments]), [
      ["$(play) Run Now", "clockwork.runWorkflow", ["file:///ws/d.workflow.ts"]],
      ["Schedule…", "clockwork.registerSchedule", ["file:///ws/d.workflow.ts"]],
    ]);
  });

  it("shows each trigger's next fire or paused state, and the last run with its mark and age", () => {
    const lastRun = { id: "r1", status: "failed", finishedAt: "2025-05-12T06:57:00Z", startedAt: null, createdAt: "", error: "boom" } as unknown as RunSummary;
    const lenses = workflowLenses({
      uri: "u",
      range,
      triggers: [schedule(), schedule({ name: "b-paused", state: "paused", paused: true })],
      lastRun,
      nowMs: NOW,
    });
    assert.deepEqual(lenses.slice(2).map((l) => l.command?.title), ["$(debug-pause) b-paused paused", "$(watch) daily next in 3 min", "$(error) last run failed 2 h ago"]);
    assert.deepEqual(lenses[4]?.command?.arguments, ["r1"]);
  });

  it("names the first few triggers of a workflow with thousands, then counts the rest, which the Triggers view shows", () => {
    const lenses = workflowLenses({ uri: "u", range, triggers: [schedule()], moreTriggers: 4999, lastRun: undefined, nowMs: NOW });
    assert.deepEqual(
      lenses.slice(2).map((l) => [l.command?.title, l.command?.command]),
      [
        ["$(watch) daily next in 3 min", "clockwork.revealTrigger"],
        ["+4999 more", "clockwork.triggers.focus"],
      ],
    );
  });
});

describe("diagnostics", () => {
  const doc = TextDocument.create("file:///ws/d.workflow.ts", "typescript", 1, 'line one\n  shell("x" "y")\n');

  it("places a loader problem at its 1-based line and column, underlining the token", () => {
    const d = problemToDiagnostic({ message: "Expected \",\"", line: 2, column: 13, severity: "error" }, doc, "/ws/d.workflow.ts");
    assert.deepEqual(d.range, { start: { line: 1, character: 12 }, end: { line: 1, character: 13 } });
    assert.equal(d.severity, DiagnosticSeverity.Error);
  });

  it("uses the problem's length when it has one", () => {
    const d = problemToDiagnostic({ message: "m", line: 2, column: 3, length: 5, severity: "warning" }, doc, "/ws/d.workflow.ts");
    assert.deepEqual(d.range.end, { line: 1, character: 7 });
    assert.equal(d.severity, DiagnosticSeverity.Warning);
  });

  it("shows a problem in an imported file at the top, naming the file", () => {
    const d = problemToDiagnostic({ message: "bad", line: 4, column: 2, severity: "error", file: "/ws/lib/util.ts" }, doc, "/ws/d.workflow.ts");
    assert.equal(d.message, "lib/util.ts:4:2: bad");
    assert.deepEqual(d.range.start, { line: 0, character: 0 });
  });

  it("flags an invalid cron string: an error under a cron key, a warning elsewhere", () => {
    const text = 'const a = { cron: "0 25 * * *" };\nconst b = "*/5 * * * * * *";\nconst c = "0 9 * * 9";\n';
    const d = TextDocument.create("file:///x.workflow.ts", "typescript", 1, text);
    const found = cronDiagnostics(scanSource(text), d, (e) => cronPreview(e, "UTC", 1, NOW));
    assert.deepEqual(found.map((x) => [x.range.start.line, x.severity]), [
      [0, DiagnosticSeverity.Error],
      [2, DiagnosticSeverity.Warning],
    ]);
    assert.match(found[0]!.message, /^Invalid cron expression: /);
  });
});

describe("hover", () => {
  it("describes a cron string with its next fires in its zone", () => {
    const text = cronHover(cronPreview("0 9 * * 1-5", "UTC", 2, NOW), NOW);
    assert.match(text, /`0 9 \* \* 1-5` — /);
    assert.match(text, /Next fires \(UTC\):/);
    assert.match(text, /- Mon, 12 May 2025, 09:00 \(in 3 min\)/);
  });

  it("describes a step name with its last output", () => {
    const src = 'defineWorkflow({ steps: [shell("a", "x"), shell("b", "y")] })';
    const found = hoverAt(scanSource(src), src.indexOf('"b"') + 1, {
      cronPreview: (e) => cronPreview(e, "UTC", 5, NOW),
      nowMs: NOW,
      previousOutput: (step) => (step === "b" ? { runId: "r9", output: "hello" } : undefined),
    });
    assert.match(found!.markdown, /\*\*Step 2 of 2\*\* · shell · `b`/);
    assert.match(found!.markdown, /hello/);
  });
});
