// What an agent tells its clients once its team connection is back
// (agent/daemon/teamCatchUp.ts), against a real SQLite store standing in
// for the shared one: the runs it had heard of elsewhere, brought up to
// date without a line twice, and the runs begun while it heard nothing,
// but never its own, whose live events are newer.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RunsHeard } from "../../agent/daemon/teamCatchUp";
import { Events } from "../../agent/events";
import type { LogChunk, RunSummary, StepRecord } from "../../agent/protocol";
import { openStore, type Owner, type Store } from "../../agent/store";
import { makeTestHome, type TestHome } from "../helpers/home";

let home: TestHome;
let store: Store;
let clock = Date.parse("2026-03-01T00:00:00Z");
const elsewhere: Owner = { id: "agent:b", pid: 7, host: "host-b" };

before(() => {
  home = makeTestHome("catch-up");
  store = openStore(join(home.home, "clockwork.db"), { clock: () => clock });
});
after(async () => {
  await store.close();
  home.cleanup();
});

/** Every relayed event a catch-up emits, in order, as "event id detail". */
function record(events: Events): string[] {
  const seen: string[] = [];
  const relayed = (what: string) => {
    assert.ok(events.relayed, `${what} is emitted as relayed, so run triggers and the log leave it alone`);
    seen.push(what);
  };
  events.on("run:queued", (r: RunSummary) => relayed(`queued ${r.id}`));
  events.on("run:started", (r: RunSummary) => relayed(`started ${r.id}`));
  events.on("run:finished", (r: RunSummary) => relayed(`finished ${r.id} ${r.status}`));
  events.on("run:step", (s: { runId: string; step: StepRecord }) => relayed(`step ${s.runId} ${s.step.name} ${s.step.status}`));
  events.on("run:log", (c: LogChunk) => relayed(`log ${c.runId} ${c.text.trim()}`));
  return seen;
}

const newRun = (name: string) => store.runs.insertRun({ workflowName: name, workflowFile: `/${name}.ts`, triggerKind: "manual" });
const lines = (runId: string, ...texts: string[]) => store.runs.appendLogs(runId, texts.map((text) => ({ step: 0, stream: "stdout", at: clock, text: `${text}\n` })));
const step = (status: StepRecord["status"]): StepRecord => ({
  index: 0,
  name: "main",
  kind: "shell",
  status,
  output: null,
  error: null,
  exitCode: status === "success" ? 0 : null,
  attempts: 1,
  startedAt: new Date(clock).toISOString(),
  finishedAt: status === "running" ? null : new Date(clock).toISOString(),
});

describe("catching up after the team connection was lost", () => {
  test("a run heard of elsewhere gets its steps, the lines after the last one heard, and its end, each once", async () => {
    const heard = new RunsHeard();
    const run = await store.runs.markRunning((await newRun("far")).id, elsewhere);
    heard.remoteRun(run);
    const [first] = await lines(run.id, "one");
    assert.deepEqual(heard.freshChunks(run.id, [first!]).map((c) => c.text), ["one\n"]);
    // What happened while nothing was heard.
    await lines(run.id, "two", "three");
    await store.runs.recordStep(run.id, step("running"));

    const events = new Events();
    const seen = record(events);
    await heard.catchUp(store, events, clock);
    assert.deepEqual(seen, [`step ${run.id} main running`, `log ${run.id} two`, `log ${run.id} three`, `started ${run.id}`]);

    // A live message then brings lines the catch-up already passed on: only the new one goes out.
    const live = await store.runs.logsAfter(run.id, 1);
    live.push(...(await lines(run.id, "four")));
    assert.deepEqual(heard.freshChunks(run.id, live).map((c) => c.text), ["four\n"]);

    await store.runs.recordStep(run.id, step("success"));
    await store.runs.finishRun(run.id, "success");
    seen.length = 0;
    await heard.catchUp(store, events, clock);
    assert.deepEqual(seen, [`step ${run.id} main success`, `finished ${run.id} success`]);
    seen.length = 0;
    await heard.catchUp(store, events, clock + 3_600_000);
    assert.deepEqual(seen, [], "a finished run is not caught up on again");
  });

  test("a run this agent accepted and another agent started is caught up on as the other's", async () => {
    const heard = new RunsHeard();
    const queued = await newRun("handed");
    heard.localRun(queued);
    heard.remoteRun(await store.runs.markRunning(queued.id, elsewhere));
    await store.runs.finishRun(queued.id, "failed", "exit 1");
    const events = new Events();
    const seen = record(events);
    await heard.catchUp(store, events, clock + 3_600_000);
    assert.deepEqual(seen, [`finished ${queued.id} failed`]);
  });

  test("runs begun while nothing was heard are told, oldest first, except this agent's own", async () => {
    clock += 86_400_000;
    const heard = new RunsHeard();
    const before = await newRun("before");
    await store.runs.finishRun(before.id, "success");
    clock += 3_600_000;
    const lostAt = clock;
    clock += 1000;
    const finished = await newRun("meanwhile-done");
    await store.runs.finishRun(finished.id, "success");
    clock += 1000;
    const running = await store.runs.markRunning((await newRun("meanwhile-running")).id, elsewhere);
    clock += 1000;
    const ours = await newRun("ours");
    heard.localRun(ours);

    const events = new Events();
    const seen = record(events);
    await heard.catchUp(store, events, lostAt);
    assert.deepEqual(seen, [`finished ${finished.id} success`, `started ${running.id}`], "not the run from an hour before the loss, not this agent's own");

    // The running one is followed from now on: its end comes with the next catch-up.
    await store.runs.finishRun(running.id, "success");
    seen.length = 0;
    await heard.catchUp(store, events, clock + 3_600_000);
    assert.deepEqual(seen, [`finished ${running.id} success`]);
  });
});
