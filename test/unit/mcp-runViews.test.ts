// How `clockwork mcp` shows runs to a model: capped records and paged logs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cappedRun, logFooter, logPage } from "../../agent/mcp/runViews";
import type { LogChunk, RunRecord, StepRecord } from "../../agent/protocol";

const step = (index: number, name: string): StepRecord => ({
  index,
  name,
  kind: "shell",
  status: "success",
  output: null,
  error: null,
  exitCode: 0,
  attempts: 1,
  startedAt: null,
  finishedAt: null,
});
const steps = [step(0, "build"), step(1, "test")];
let seq = 0;
const chunk = (stepIndex: number | null, stream: LogChunk["stream"], text: string): LogChunk => ({
  seq: ++seq,
  runId: "r1",
  step: stepIndex,
  stream,
  at: "2026-03-09T09:00:00.000Z",
  text,
});
const start = { afterSeq: 0, offset: 0 };

test("a log reads as text under a line per step, with stderr and Clockwork's notes tagged at the start of their lines", () => {
  const chunks = [
    chunk(null, "info", "run started\n"),
    chunk(0, "stdout", "compiling\ndone"),
    chunk(0, "stderr", "warning: x\n"),
    chunk(1, "stdout", "ok\n"),
    chunk(1, "stderr", "partial "),
    chunk(1, "stderr", "line\n"),
  ];
  const page = logPage(chunks, steps, start, 64 * 1024, false);
  assert.equal(
    page.text,
    "── run ──\n[clockwork] run started\n── build (shell) ──\ncompiling\ndonewarning: x\n── test (shell) ──\nok\n[stderr] partial line\n",
  );
  assert.equal(page.next, null);
});

test("a page stops at the end of a line and says where the next one starts, inside a chunk", () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line-${String(i).padStart(3, "0")}-${"-".repeat(16)}\n`).join("");
  const chunks = [chunk(0, "stdout", lines)];
  const first = logPage(chunks, steps, start, 1024, false);
  assert.ok(Buffer.byteLength(first.text) <= 1024);
  assert.match(first.text, /\n$/);
  assert.deepEqual(first.next, { afterSeq: 0, offset: first.text.length - "── build (shell) ──\n".length });
  const second = logPage(chunks, steps, first.next!, 64 * 1024, false);
  const all = (first.text + second.text).split("\n").filter((l) => l.startsWith("line-"));
  assert.equal(all.length, 100);
  assert.equal(second.next, null);
});

test("a line longer than a page is cut, so every page moves forward", () => {
  const chunks = [chunk(0, "stdout", "é".repeat(2000) + "\n")];
  const first = logPage(chunks, steps, start, 1024, false);
  assert.ok(Buffer.byteLength(first.text) <= 1024);
  assert.ok(first.next && first.next.offset > 0);
  assert.equal(first.text, `── build (shell) ──\n${"é".repeat(first.next.offset)}`);
});

test("while a run may still write, a page that holds everything read still gives the cursor to read on", () => {
  const chunks = [chunk(0, "stdout", "a\n"), chunk(0, "stdout", "b\n")];
  const page = logPage(chunks, steps, start, 64 * 1024, true);
  assert.deepEqual(page.next, { afterSeq: chunks[1]!.seq, offset: 0 });
  const footer = logFooter({ id: "r1", workflowName: "ci", status: "running", error: null } as RunRecord, page);
  assert.equal(footer, `── run r1 (ci) is running ──\nmore output: call get_run_logs again with after_seq ${chunks[1]!.seq}`);
});

test("a run's long texts are capped with Clockwork's marker; short ones are left alone", () => {
  const run = {
    id: "r1",
    error: null,
    trigger: { body: { text: "x".repeat(5000) } },
    steps: [{ ...step(0, "build"), output: "y".repeat(5000), error: "short" }],
  } as unknown as RunRecord;
  const capped = cappedRun(run, 1000);
  assert.match(capped.steps[0]!.output!, /^y{1000}\n\[… output truncated by Clockwork: /);
  assert.equal(capped.steps[0]!.error, "short");
  assert.equal(typeof capped.trigger.body, "string");
  assert.match(capped.trigger.body as string, /^\{"text":"x+\n\[… output truncated by Clockwork/);
  assert.equal(run.steps[0]!.output!.length, 5000, "the record passed in is not changed");
  assert.deepEqual(cappedRun({ ...run, trigger: { body: { a: 1 } } }, 1000).trigger.body, { a: 1 });
});
