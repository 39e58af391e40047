import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { LogChunk, RunRecord, StepRecord } from "../../agent/protocol";
import { HostClient, answer, type HostToWebview, type WebviewToHost } from "../../extension/webviews/rpc";
import {
  PreviewTracker,
  canSave,
  inlineErrors,
  matchingPreset,
  previewHint,
  PRESETS,
  type FormState,
} from "../../extension/webviews/cronEditor/model";
import { applyEvent, choosePanel, initialState, isActive, offlineText, stepOutput } from "../../extension/webviews/runPanel/model";

describe("webview request and reply", () => {
  it("pairs each reply with its request by id, whatever order replies come in", async () => {
    const sent: WebviewToHost<string>[] = [];
    const client = new HostClient<string>((m) => sent.push(m));
    const first = client.request<string>("a");
    const second = client.request<string>("b");
    const ids = sent.map((m) => (m.type === "request" ? m.id : -1));
    client.receive({ type: "reply", id: ids[1]!, ok: true, result: "B" });
    client.receive({ type: "reply", id: ids[0]!, ok: true, result: "A" });
    assert.deepEqual(await Promise.all([first, second]), ["A", "B"]);
    assert.equal(client.pendingCount, 0);
  });

  it("rejects with the host's message on an error reply and ignores unknown ids", async () => {
    const client = new HostClient<string>(() => {});
    const pending = client.request("x");
    assert.equal(client.receive({ type: "reply", id: 99, ok: true, result: 1 }), true);
    client.receive({ type: "reply", id: 1, ok: false, error: "invalid cron" });
    await assert.rejects(pending, /invalid cron/);
  });

  it("does not treat init or event messages as replies", () => {
    const client = new HostClient<string>(() => {});
    const message: HostToWebview<unknown, unknown> = { type: "init", init: {} };
    assert.equal(client.receive(message), false);
  });

  it("says ready before anything else", () => {
    const sent: WebviewToHost<string>[] = [];
    new HostClient<string>((m) => sent.push(m)).ready();
    assert.deepEqual(sent, [{ type: "ready" }]);
  });

  it("answers a request on the host, turning a thrown error into an error reply", async () => {
    const ok = await answer({ type: "request", id: 3, request: 2 }, async (n: number) => n * 2);
    assert.deepEqual(ok, { type: "reply", id: 3, ok: true, result: 4 });
    const failed = await answer({ type: "request", id: 4, request: 0 }, async () => {
      throw new Error("Duplicate name: digest");
    });
    assert.deepEqual(failed, { type: "reply", id: 4, ok: false, error: "Duplicate name: digest" });
    assert.equal(await answer({ type: "ready" }, async () => 1), undefined);
  });
});

describe("cron editor model", () => {
  it("offers the six presets and recognises them with odd spacing", () => {
    assert.deepEqual(PRESETS.map((p) => p.label), [
      "Every 5 minutes",
      "Hourly",
      "Daily 9:00",
      "Weekdays 9:00",
      "Weekly Monday 9:00",
      "Monthly on the 1st",
    ]);
    assert.equal(matchingPreset(" 0  9 * *   1-5 ")?.label, "Weekdays 9:00");
    assert.equal(matchingPreset("0 10 * * *"), undefined);
  });

  it("shows only the reply to the latest input", () => {
    const tracker = new PreviewTracker();
    const older = tracker.next();
    const newer = tracker.next();
    assert.equal(tracker.isCurrent(older), false);
    assert.equal(tracker.isCurrent(newer), true);
  });

  const okPreview = (expression: string, timezone = "UTC") => ({
    expression,
    timezone,
    result: { ok: true as const, expression, timezone, description: "Every 5 minutes", next: [] },
  });

  it("allows Save only for a valid preview of exactly the current input", () => {
    const state: FormState = { expression: "*/5 * * * *", timezone: "UTC", preview: okPreview("*/5 * * * *"), saving: false, settled: true };
    assert.equal(canSave(state), true);
    assert.equal(canSave({ ...state, expression: "*/10 * * * *" }), false, "the preview is for older input");
    assert.equal(canSave({ ...state, timezone: "Europe/Berlin" }), false, "the preview is for another zone");
    assert.equal(canSave({ ...state, saving: true }), false);
    assert.equal(canSave({ ...state, preview: null }), false);
  });

  const failing = (expression: string, timezone: string, field: "expression" | "timezone", error: string): FormState => ({
    expression,
    timezone,
    preview: { expression, timezone, result: { ok: false, expression, timezone, error, field } },
    saving: false,
    settled: true,
  });

  it("shows the agent's error for an invalid expression under the expression and disables Save", () => {
    const state = failing("61 * * * *", "UTC", "expression", "minute 61 is out of range 0-59");
    assert.deepEqual(inlineErrors(state), { expression: "minute 61 is out of range 0-59", timezone: null });
    assert.equal(canSave(state), false);
    assert.equal(previewHint(state), "Fix the expression to see when it fires.");
    assert.deepEqual(inlineErrors({ ...state, expression: "6 * * * *" }), { expression: null, timezone: null }, "no stale error while the new preview is on its way");
    assert.match(inlineErrors({ ...state, expression: "  " }).expression ?? "", /Enter a cron expression/);
  });

  it("puts a zone problem under the zone and never blames the expression for it", () => {
    const state = failing("0 9 * * *", "Asia/Kolkatta", "timezone", 'timezone: unknown zone "Asia/Kolkatta"');
    assert.deepEqual(inlineErrors(state), { expression: null, timezone: 'timezone: unknown zone "Asia/Kolkatta"' });
    assert.equal(previewHint(state), "Pick a time zone to see when it fires.");
    assert.equal(canSave(state), false);
    assert.match(inlineErrors({ ...state, timezone: " " }).timezone ?? "", /Pick a time zone/);
  });

  it("shows no error while the user is still typing, whatever the agent said", () => {
    assert.deepEqual(inlineErrors({ ...failing("61 * * * *", "UTC", "expression", "bad"), settled: false }), { expression: null, timezone: null });
    assert.deepEqual(inlineErrors({ ...failing("0 9 * * *", "Asia/Kol", "timezone", "bad"), settled: false }), { expression: null, timezone: null });
    assert.deepEqual(inlineErrors({ ...failing("", "UTC", "expression", "bad"), settled: false }), { expression: null, timezone: null });
  });

  it("allows Save for a zone the agent accepted, whatever the editor's own runtime lists", () => {
    const state: FormState = { expression: "0 9 * * *", timezone: "Asia/Kolkata", preview: okPreview("0 9 * * *", "Asia/Kolkata"), saving: false, settled: true };
    assert.equal(canSave(state), true);
    assert.deepEqual(inlineErrors(state), { expression: null, timezone: null });
  });
});

describe("run panel model", () => {
  const step = (index: number, over: Partial<StepRecord> = {}): StepRecord => ({
    index,
    name: `s${index}`,
    kind: "shell",
    status: "running",
    output: null,
    error: null,
    exitCode: null,
    attempts: 1,
    startedAt: "2025-05-12T10:00:00Z",
    finishedAt: null,
    ...over,
  });
  const run = (over: Partial<RunRecord> = {}): RunRecord => ({
    id: "r1",
    workflowName: "digest",
    workflowFile: "/ws/digest.workflow.ts",
    triggerKind: "manual",
    triggerName: null,
    status: "running",
    scheduledFor: null,
    createdAt: "2025-05-12T10:00:00Z",
    startedAt: "2025-05-12T10:00:00Z",
    finishedAt: null,
    error: null,
    replayOf: null,
    backfill: false,
    missed: null,
    trigger: {},
    steps: [step(0)],
    ...over,
  });
  const chunk = (seq: number, text: string, stepIndex: number | null = 0, runId = "r1"): LogChunk => ({
    seq,
    runId,
    step: stepIndex,
    stream: "stdout",
    at: "2025-05-12T10:00:01Z",
    text,
  });

  it("streams log lines into their step and shows a line delivered twice only once", () => {
    const state = initialState({ run: run(), chunks: [chunk(1, "one\n")] });
    applyEvent(state, { kind: "log", chunk: chunk(1, "one\n") });
    applyEvent(state, { kind: "log", chunk: chunk(2, "two\n") });
    applyEvent(state, { kind: "log", chunk: chunk(3, "other run\n", 0, "r2") });
    assert.deepEqual(stepOutput(state, state.run.steps[0]!).map((o) => o.text), ["one\n", "two\n"]);
  });

  it("adds and updates steps by index, in order", () => {
    const state = initialState({ run: run(), chunks: [] });
    applyEvent(state, { kind: "step", step: step(1, { name: "summary" }) });
    applyEvent(state, { kind: "step", step: step(0, { status: "success", output: "abc" }) });
    assert.deepEqual(state.run.steps.map((s) => [s.name, s.status]), [["s0", "success"], ["summary", "running"]]);
    assert.deepEqual(stepOutput(state, state.run.steps[0]!), [{ stream: "stdout", text: "abc" }]);
  });

  it("finishes the run from a RunChanged event and ignores other runs", () => {
    const state = initialState({ run: run(), chunks: [] });
    applyEvent(state, { kind: "run", run: { ...run({ id: "r2" }), status: "success" } });
    assert.equal(state.run.status, "running");
    applyEvent(state, { kind: "run", run: { ...run(), status: "failed", error: "the agent stopped while this run was in progress" } });
    assert.equal(state.run.status, "failed");
    assert.equal(isActive(state.run), false);
    assert.equal(state.run.steps.length, 1, "a summary keeps the steps already known");
  });

  it("replaces everything on a snapshot, keeping the connection flag", () => {
    let state = initialState({ run: run(), chunks: [chunk(1, "one\n")] });
    applyEvent(state, { kind: "connection", connected: false });
    state = applyEvent(state, { kind: "snapshot", run: run({ id: "r9", steps: [] }), chunks: [] });
    assert.equal(state.run.id, "r9");
    assert.equal(state.lastSeq, 0);
    assert.equal(state.connected, false);
  });
});

describe("run panel placement", () => {
  const panel = (runId: string, workflowFile: string, pinned = false) => ({ runId, workflowFile, pinned });

  it("reveals the panel already showing the run", () => {
    assert.deepEqual(choosePanel([panel("a", "/w/x"), panel("b", "/w/y")], { id: "b", workflowFile: "/w/y" }), { index: 1, reuse: false });
  });

  it("reuses the workflow's panel for its next run, so runs do not pile up as tabs", () => {
    assert.deepEqual(choosePanel([panel("a", "/w/x"), panel("b", "/w/y")], { id: "c", workflowFile: "/w/y" }), { index: 1, reuse: true });
  });

  it("leaves a pinned panel alone and opens a new one", () => {
    assert.deepEqual(choosePanel([panel("a", "/w/x", true)], { id: "c", workflowFile: "/w/x" }), { index: -1, reuse: false });
    assert.deepEqual(choosePanel([panel("a", "/w/x", true), panel("b", "/w/x")], { id: "c", workflowFile: "/w/x" }), { index: 1, reuse: true });
  });

  it("opens a new panel for another workflow", () => {
    assert.deepEqual(choosePanel([panel("a", "/w/x")], { id: "c", workflowFile: "/w/z" }), { index: -1, reuse: false });
  });
});

describe("run panel offline text", () => {
  it("waits only when an agent is expected back, and says a stopped agent is stopped", () => {
    assert.match(offlineText({ kind: "connecting" }), /waiting for it to come back/);
    assert.doesNotMatch(offlineText({ kind: "stopped", reason: "It was stopped." }), /waiting/);
    assert.match(offlineText({ kind: "stopped", reason: "It was stopped." }), /not running/);
    assert.match(offlineText({ kind: "error", message: "could not start" }), /could not start/);
    assert.equal(offlineText({ kind: "connected" }), "");
  });

  it("keeps the offline text across a snapshot and clears it on reconnect", () => {
    const record = { id: "r1", workflowName: "w", workflowFile: "/w", triggerKind: "manual" as const, triggerName: null, status: "success" as const, scheduledFor: null, createdAt: "2025-05-12T10:00:00Z", startedAt: null, finishedAt: null, error: null, replayOf: null, backfill: false, missed: null, trigger: {}, steps: [] };
    let state = initialState({ run: record, chunks: [] });
    applyEvent(state, { kind: "connection", connected: false, offline: "stopped" });
    state = applyEvent(state, { kind: "snapshot", run: record, chunks: [] });
    assert.equal(state.offline, "stopped");
    applyEvent(state, { kind: "connection", connected: true });
    assert.equal(state.offline, "");
  });
});
