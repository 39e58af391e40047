// The shipped examples load cleanly, and the ones that need no outside
// service run as their comments say.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { cpSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { RunRecord } from "../../agent/protocol";
import { checkWorkflow } from "../helpers/loader";
import { runCliJson } from "../helpers/cli";
import { makeTestHome, repoRoot, type TestHome } from "../helpers/home";

let home: TestHome;
before(() => {
  home = makeTestHome("run-examples");
  // A copy outside the repository: examples must not depend on its node_modules.
  cpSync(join(repoRoot, "examples"), home.work, { recursive: true });
});
after(() => home.cleanup());

const run = (file: string, extra: string[] = []) =>
  runCliJson<RunRecord>(["run", file, "--json", ...extra], { env: home.env, cwd: home.work });

test("every example loads without a single problem", async () => {
  const files = readdirSync(home.work).filter((f) => f.endsWith(".workflow.ts"));
  assert.ok(files.length >= 6, `found ${files.join(", ")}`);
  for (const file of files) {
    const result = await checkWorkflow(home.path(file), undefined, { cacheDir: null });
    assert.ok(result.workflow, `${file}: ${result.problems.map((p) => p.message).join("; ")}`);
    assert.deepEqual(result.problems, [], file);
  }
});

test("hello greets and shouts", async () => {
  const record = await run("hello.workflow.ts");
  assert.equal(record.status, "success");
  assert.equal(record.steps[1]!.output, record.steps[0]!.output!.toUpperCase());
});

test("webhook-handler handles the sample pull request and runs nothing from its title", async () => {
  const record = await run("webhook-handler.workflow.ts", ["--body", "@payloads/pull-request.json"]);
  assert.equal(record.status, "success", record.error ?? "");
  assert.equal(record.steps[0]!.output, "PR 42 opened: Fix the flaky test $(touch PWNED)");
  assert.equal(record.steps[2]!.output, "New PR by octocat");
  assert.equal(existsSync(home.path("PWNED")), false);
});

test("file-report counts files by extension in a code step", async () => {
  const record = await run("file-report.workflow.ts");
  assert.equal(record.status, "success", record.error ?? "");
  const counts = JSON.parse(record.steps[1]!.output!) as Record<string, number>;
  assert.ok(counts.ts! >= 6);
  // payloads/pull-request.json and the editor's tsconfig.json.
  assert.equal(counts.json, 2);
});

test("markdown-watcher explains that a manual run has no {trigger.path}", async () => {
  const record = await run("markdown-watcher.workflow.ts");
  assert.equal(record.steps[0]!.error, "{trigger.path}: only file-triggered runs have a path; this is a manual run");
});

test("failure-notifier explains that a manual run has no {trigger.run.*}", async () => {
  const record = await run("failure-notifier.workflow.ts");
  assert.equal(record.steps[0]!.error, "{trigger.run.workflow}: only runs started by a run trigger have {trigger.run.*}; this is a manual run");
});
