// executeRun as the agent uses it: an existing run row, a real store, real
// processes, and the run:* events everything else listens to.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { Events, type ClockworkEvents } from "../../agent/events";
import { executeRun } from "../../agent/runner/executeRun";
import { ownerFor } from "../../agent/runner/orphans";
import { openStore, type NewRun, type RunRepository, type Store } from "../../agent/store";
import { makeTestHome, workflowSource, type TestHome } from "../helpers/home";
import { testLoader } from "../helpers/loader";

let home: TestHome;
let opened: Store;
let store: RunRepository;
const owner = ownerFor("agent");
before(() => {
  home = makeTestHome("run-execute");
  // The loader caches bundles under CLOCKWORK_HOME; keep them in this test's home.
  process.env.CLOCKWORK_HOME = home.home;
  opened = openStore(join(home.home, "clockwork.db"));
  store = opened.runs;
});
after(async () => {
  await opened.close();
  home.cleanup();
});

/** Every event, in order, as [name, payload]. */
function record(events: Events): Array<[keyof ClockworkEvents, unknown]> {
  const seen: Array<[keyof ClockworkEvents, unknown]> = [];
  for (const name of ["run:started", "run:step", "run:log", "run:finished", "agent:log"] as const) {
    events.on(name, (payload) => seen.push([name, payload]));
  }
  return seen;
}

const queue = (file: string, name: string, extra: Partial<NewRun> = {}) =>
  store.insertRun({ workflowName: name, workflowFile: file, triggerKind: "cron", triggerName: "nightly", ...extra });

describe("executing a queued run", () => {
  test("runs the steps and announces start, each step, its output and the finish, in order", async () => {
    const file = home.write("ok.workflow.ts", workflowSource("ok", [`shell("a", "echo one")`, `shell("b", "echo {a} two")`]));
    const run = await queue(file, "ok");
    const events = new Events();
    const seen = record(events);
    const result = await executeRun({ loader: testLoader(), owner, store, events, runId: run.id, signal: new AbortController().signal });

    assert.equal(result.status, "success");
    assert.deepEqual(await store.ownerOf(run.id), owner);
    const sequence = seen.map(([name, payload]) => {
      if (name === "run:step") {
        const { step } = payload as ClockworkEvents["run:step"];
        return `step ${step.name} ${step.status}`;
      }
      if (name === "run:log") return `log ${(payload as ClockworkEvents["run:log"]).text.trim()}`;
      return name;
    });
    assert.deepEqual(sequence, [
      "run:started",
      "step a running",
      "log one",
      "step a success",
      "step b running",
      "log one two",
      "step b success",
      "run:finished",
    ]);
    const finished = seen.at(-1)![1] as ClockworkEvents["run:finished"];
    assert.equal(finished.status, "success");
    assert.equal(finished.triggerName, "nightly");
    assert.deepEqual((await store.getRun(run.id)).steps.map((s) => s.output), ["one", "one two"]);
  });

  test("a scheduled run sees {run.scheduled_for} and cron as its trigger event", async () => {
    const file = home.write("when.workflow.ts", workflowSource("when", [`shell("at", "echo {trigger.event} {run.scheduled_for}")`]));
    const due = Date.parse("2026-03-09T08:00:00Z");
    const run = await queue(file, "when", { scheduledFor: due });
    const result = await executeRun({ loader: testLoader(), owner, store, runId: run.id, signal: new AbortController().signal });
    assert.equal(result.status, "success");
    assert.equal((await store.getRun(run.id)).steps[0]!.output, "cron 2026-03-09T08:00:00.000Z");
  });

  test("a file that no longer loads fails the run with file:line:column, in the row and in the log", async () => {
    const file = home.write("broken.workflow.ts", `export default {\n  name: "broken",\n  steps: [shell("a", "true")],\n};\n`);
    const run = await queue(file, "broken");
    const result = await executeRun({ loader: testLoader(), owner, store, runId: run.id, signal: new AbortController().signal });
    assert.equal(result.status, "failed");
    assert.match(result.error!, new RegExp(`^${file}:3:10: loading the file threw ReferenceError: shell is not defined`));
    assert.deepEqual((await store.logsAfter(run.id, 0)).map((c) => [c.step, c.stream, c.text]), [[null, "info", `${result.error}\n`]]);
  });

  test("a finished run is returned as it is, and a missing one resolves as failed instead of throwing", async () => {
    const done = await store.insertRun({ workflowName: "x", workflowFile: "/x.ts", triggerKind: "manual", status: "skipped", error: "overlap" });
    const events = new Events();
    const seen = record(events);
    assert.deepEqual(await executeRun({ loader: testLoader(), owner, store, events, runId: done.id, signal: new AbortController().signal }), done);
    assert.deepEqual(seen, []);
    const missing = await executeRun({ loader: testLoader(), owner, store, events, runId: "nosuchrun000", signal: new AbortController().signal });
    assert.equal(missing.status, "failed");
    assert.equal(missing.error, "no run with id nosuchrun000");
  });
});

describe("cancelling through the signal", () => {
  test("an aborted signal before the start records cancelled without running anything", async () => {
    const file = home.write("never.workflow.ts", workflowSource("never", [`shell("a", "touch ran")`]));
    const run = await queue(file, "never");
    const controller = new AbortController();
    controller.abort("the agent is stopping");
    const result = await executeRun({ loader: testLoader(), owner, store, runId: run.id, signal: controller.signal });
    assert.equal(result.status, "cancelled");
    assert.equal(result.error, "cancelled: the agent is stopping");
    assert.deepEqual((await store.getRun(run.id)).steps, []);
  });

  test("aborting during a step kills it and records the step and the run as cancelled", async () => {
    const file = home.write("stop.workflow.ts", workflowSource("stop", [`shell("wait", "echo waiting; sleep 1000")`, `shell("after", "true")`]));
    const run = await queue(file, "stop");
    const events = new Events();
    const controller = new AbortController();
    events.on("run:log", (chunk) => {
      if (chunk.text.includes("waiting")) controller.abort("cancelled from the run panel");
    });
    const result = await executeRun({ loader: testLoader(), owner, store, events, runId: run.id, signal: controller.signal });
    assert.equal(result.status, "cancelled");
    assert.equal(result.error, "cancelled: cancelled from the run panel");
    assert.deepEqual((await store.getRun(run.id)).steps.map((s) => [s.name, s.status]), [["wait", "cancelled"], ["after", "skipped"]]);
  });
});
