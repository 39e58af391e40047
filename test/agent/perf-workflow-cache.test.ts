// The agent evaluates an unchanged workflow file once, not once per run; any
// edit to the file or to a local file it imports is picked up by the next run.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { signBody } from "../../agent/core/signature";
import type { RunRecord } from "../../agent/protocol";
import { loadWorkflow } from "../helpers/loader";
import { makeTestHome, type TestHome } from "../helpers/home";
import { writeWorkflow } from "./agent-harness";
import { post, registerWebhook, startTestAgent, type TestAgent } from "./webhook-harness";

/**
 * A workflow whose top-level code counts its evaluations in a file (it is
 * evaluated in an executor process, not in this one), and whose one step's
 * command is `echo <answer>`.
 */
function countingWorkflow(counter: string, answer: string, imports = ""): string {
  return `import { defineWorkflow, shell } from "clockwork";
import { appendFileSync } from "node:fs";
${imports}
appendFileSync(${JSON.stringify(counter)}, "x");
export default defineWorkflow({ name: "counting", steps: [shell("answer", "echo " + ${answer})] });
`;
}

const evaluations = (counter: string) => (existsSync(counter) ? readFileSync(counter, "utf8").length : 0);
const answerOf = async (file: string) => {
  const step = (await loadWorkflow(file, { cacheDir })).steps[0] as { command: string };
  return step.command.replace(/^echo /, "");
};

let home: TestHome;
let cacheDir: string;
before(() => {
  home = makeTestHome("perf-workflow-cache");
  cacheDir = join(home.home, "cache", "workflows");
});
after(() => home.cleanup());

describe("loading a workflow again in the same process", () => {
  test("an unchanged file is evaluated once and the same workflow is handed out", async () => {
    const counter = home.path("same.count");
    const file = home.write("same.workflow.ts", countingWorkflow(counter, `"one"`));
    const first = await loadWorkflow(file, { cacheDir });
    const second = await loadWorkflow(file, { cacheDir });
    assert.equal(second, first);
    assert.equal(evaluations(counter), 1);
  });

  test("an edit that keeps the file's size is picked up by the next load", async () => {
    const counter = home.path("edit.count");
    const file = home.write("edit.workflow.ts", countingWorkflow(counter, `"one"`));
    assert.equal(await answerOf(file), "one");
    home.write("edit.workflow.ts", countingWorkflow(counter, `"two"`));
    assert.equal(await answerOf(file), "two");
    assert.equal(evaluations(counter), 2);
  });

  test("an edit to a local file the workflow imports is picked up by the next load", async () => {
    const counter = home.path("imports.count");
    home.write("lib/answer.ts", `export const answer = "old";\n`);
    const file = home.write("imports.workflow.ts", countingWorkflow(counter, "answer", `import { answer } from "./lib/answer";`));
    assert.equal(await answerOf(file), "old");
    assert.equal(await answerOf(file), "old");
    home.write("lib/answer.ts", `export const answer = "new";\n`);
    assert.equal(await answerOf(file), "new");
    assert.equal(evaluations(counter), 2);
  });

  test("a file that stops loading is reported, not served from memory", async () => {
    const file = home.write("breaks.workflow.ts", countingWorkflow(home.path("breaks.count"), `"fine"`));
    assert.equal(await answerOf(file), "fine");
    home.write("breaks.workflow.ts", `export default 42;\n`);
    await assert.rejects(loadWorkflow(file, { cacheDir }), /breaks\.workflow\.ts/);
  });

  test("cacheDir null loads afresh every time", async () => {
    const counter = home.path("fresh.count");
    const file = home.write("fresh.workflow.ts", countingWorkflow(counter, `"x"`));
    await loadWorkflow(file, { cacheDir: null });
    await loadWorkflow(file, { cacheDir: null });
    assert.equal(evaluations(counter), 2);
  });
});

describe("the agent", () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent("perf-workflow-cache-agent");
  });
  after(async () => t.stop());

  test("a webhook's next run uses the workflow file as edited after the previous run", async () => {
    const source = (answer: string) => `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({ name: "edited", steps: [code("answer", () => "${answer}")] });
`;
    const file = writeWorkflow(t.work, "edited.workflow.ts", source("first"));
    const hook = await registerWebhook(t, file, ["--name", "edited"]);
    const deliver = async () => {
      const body = JSON.stringify({ at: Date.now() });
      const result = await post(`${hook.url}?wait=1`, body, {
        headers: { "x-clockwork-signature": signBody(hook.secret, body), "content-type": "application/json" },
      });
      assert.equal(result.status, 200, result.text);
      const run = result.json<RunRecord>();
      assert.equal(run.status, "success", run.error ?? "");
      return run.steps[0]!.output;
    };
    assert.equal(await deliver(), "first");
    assert.equal(await deliver(), "first");
    writeWorkflow(t.work, "edited.workflow.ts", source("again"));
    assert.equal(await deliver(), "again");
  });
});
