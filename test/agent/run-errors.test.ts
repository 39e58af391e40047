// Bad input: each case gives a clear error saying what and where, and the
// store stays consistent: a failed run is recorded and nothing is left
// claiming to be running.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { readFileSync } from "node:fs";
import type { RunRecord, RunSummary } from "../../agent/protocol";
import { runCli, runCliJson } from "../helpers/cli";
import { makeTestHome, workflowSource, type TestHome } from "../helpers/home";
import { refusedUrl } from "../helpers/httpServer";
import { isAlive, killGroup } from "../helpers/processes";

let home: TestHome;
before(() => {
  home = makeTestHome("run-errors");
});
after(() => home.cleanup());
afterEach(async () => {
  const running = await runCliJson<RunSummary[]>(["history", "--json", "--status", "running"], { env: home.env });
  assert.deepEqual(running, [], "no run is left claiming to be running");
});

const run = (file: string, extra: string[] = []) => runCli(["run", file, ...extra], { env: home.env, cwd: home.work });
const runJson = (file: string) => runCliJson<RunRecord>(["run", file, "--json"], { env: home.env, cwd: home.work });
const latest = async () => (await runCliJson<RunSummary[]>(["history", "--json", "--limit", "1"], { env: home.env }))[0]!;

describe("workflow files that do not load", () => {
  test("a missing file is an error with its path, recorded as a failed run named after the file", async () => {
    const result = await run("missing.workflow.ts");
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^error: ${home.path("missing.workflow.ts")}:1:1: no such file\n\\(recorded as failed run [0-9a-z]{12}\\)\n$`));
    const last = await latest();
    assert.equal(last.workflowName, "missing");
    assert.equal(last.status, "failed");
    assert.equal(last.error, `${home.path("missing.workflow.ts")}:1:1: no such file`);
  });

  test("a syntax error names file, line and column", async () => {
    home.write("syntax.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "syntax", steps: [shell("a", "true"] });\n`);
    const result = await run("syntax.workflow.ts");
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^error: ${home.path("syntax.workflow.ts")}:2:74: Expected "\\)" but found "\\]"`));
    assert.equal((await latest()).workflowName, "syntax");
  });

  test("no default export says what to add", async () => {
    home.write("nodefault.workflow.ts", `import { shell } from "clockwork";\nexport const a = shell("a", "true");\n`);
    const result = await run("nodefault.workflow.ts");
    assert.match(result.stderr, /nodefault\.workflow\.ts:1:1: the file has no default export: end it with `export default defineWorkflow\(\{ name, steps: \[\.\.\.\] \}\)`/);
  });

  test("duplicate step names point at the second one", async () => {
    home.write("dup.workflow.ts", workflowSource("dup", [`shell("same", "true")`, `shell("same", "true")`]));
    const result = await run("dup.workflow.ts");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /dup\.workflow\.ts:7:11: duplicate step name "same": step 1 already has it; step names must be unique/);
  });

  test("--json still prints the failed run record", async () => {
    const record = await runJson("missing.workflow.ts");
    assert.equal(record.status, "failed");
    assert.match(record.error!, /no such file/);
  });
});

describe("placeholders that cannot be resolved", () => {
  test("{unknown} fails its step naming the placeholder; earlier steps ran, later ones are skipped", async () => {
    home.write("unknown.workflow.ts", workflowSource("unknown", [`shell("a", "echo ran")`, `shell("b", "echo {nope}")`, `shell("c", "true")`]));
    const record = await runJson("unknown.workflow.ts");
    assert.equal(record.status, "failed");
    assert.equal(record.error, 'step "b" failed: {nope}: no step named "nope" in this workflow');
    assert.deepEqual(record.steps.map((s) => [s.name, s.status]), [["a", "success"], ["b", "failed"], ["c", "skipped"]]);
    assert.equal(record.steps[1]!.attempts, 1, "a placeholder error is not retried");
  });

  test("{previous.x} fails on the first run and resolves once a run of the same workflow succeeded", async () => {
    home.write("strict.workflow.ts", workflowSource("digest", [`shell("count", "echo {previous.count}+1")`]));
    // A second file under the same workflow name seeds a first success
    // through the environment variable, which is simply unset on a first run.
    home.write("seed.workflow.ts", workflowSource("digest", [`shell("count", 'echo "\${{CLOCKWORK_PREVIOUS_COUNT:-0}}+1"')`]));

    const first = await runJson("strict.workflow.ts");
    assert.equal(first.status, "failed");
    assert.equal(
      first.error,
      'step "count" failed: {previous.count}: workflow "digest" has no earlier successful run with a step "count" (there is no previous value on the first successful run)',
    );
    assert.equal((await runJson("seed.workflow.ts")).steps[0]!.output, "0+1");
    assert.equal((await runJson("strict.workflow.ts")).steps[0]!.output, "0+1+1");
    assert.equal((await runJson("seed.workflow.ts")).steps[0]!.output, "0+1+1+1", "the newest success wins; failures never count");
  });
});

describe("steps that fail", () => {
  test("a timeout fails the step and kills its whole process group", async () => {
    home.write(
      "timeout.workflow.ts",
      workflowSource("timeout", [`shell("slow", "sleep 30 & echo $! > bg.pid; sleep 30", { timeout: "300ms" })`]),
    );
    const record = await runJson("timeout.workflow.ts");
    const background = Number(readFileSync(home.path("bg.pid"), "utf8"));
    try {
      assert.equal(record.status, "failed");
      assert.equal(record.steps[0]!.error, "timed out after 300ms; its process group was killed");
      assert.equal(isAlive(background), false, "the background child was killed with its group");
    } finally {
      killGroup(background);
    }
  });

  test("a command that does not exist says so, from a shell string and from an argv array", async () => {
    home.write(
      "nocmd.workflow.ts",
      workflowSource("nocmd", [`shell("viaShell", "no-such-command-xyz --flag")`]),
    );
    const viaShell = await runJson("nocmd.workflow.ts");
    assert.match(viaShell.steps[0]!.error!, /^exit code 127 \(command not found\): .*no-such-command-xyz.*not found/);
    assert.equal(viaShell.steps[0]!.exitCode, 127);

    home.write("noargv.workflow.ts", workflowSource("noargv", [`shell("direct", ["no-such-command-xyz", "--flag"])`]));
    const direct = await runJson("noargv.workflow.ts");
    assert.equal(direct.steps[0]!.error, "command not found: no-such-command-xyz");
  });

  test("an HTTP endpoint that refuses connections is named in the error", async () => {
    const url = await refusedUrl("/hook");
    home.write("refused.workflow.ts", workflowSource("refused", [`http("call", { url: ${JSON.stringify(url)} })`]));
    const record = await runJson("refused.workflow.ts");
    assert.equal(record.steps[0]!.error, `cannot reach ${url}: connection refused (is the server running?) (ECONNREFUSED)`);
  });

  test("an LLM server that refuses connections is named in the error", async () => {
    const url = await refusedUrl("/v1");
    home.write("llmrefused.workflow.ts", workflowSource("llmrefused", [`llm("ask", { prompt: "hi", baseUrl: ${JSON.stringify(url)} })`]));
    const record = await runJson("llmrefused.workflow.ts");
    assert.equal(record.steps[0]!.error, `cannot reach ${url}/chat/completions: connection refused (is the server running?) (ECONNREFUSED)`);
  });

  test("an output larger than 1 MiB is stored capped, with a visible marker, and reaches later steps as a file", async () => {
    home.write(
      "big.workflow.ts",
      workflowSource("big", [
        `shell("big", "head -c 3000000 /dev/zero | tr '\\\\0' x")`,
        `shell("size", 'wc -c < "$CLOCKWORK_STEP_BIG_FILE"')`,
        `shell("inline", "printf %s {big} | wc -c")`,
      ]),
    );
    const record = await runJson("big.workflow.ts");
    const output = record.steps[0]!.output!;
    assert.ok(output.startsWith("x".repeat(1024 * 1024)));
    assert.equal(output.slice(1024 * 1024), "\n[… output truncated by Clockwork: 2.9 MiB in total, the first 1 MiB kept]");
    assert.equal(Number(record.steps[1]!.output), Buffer.byteLength(output), "later steps see the capped output, through a file");
    assert.match(
      record.steps[2]!.error!,
      /^the command is 1 MiB after placeholders are filled in, more than the 128 KiB one argument can hold; read large values from their files instead/,
    );
    const logs = await runCli(["logs", record.id], { env: home.env });
    assert.ok(logs.stdout.length < 6 * 1024 * 1024, "the log is capped too");
    assert.match(logs.stdout, /CLOCKWORK_STEP_BIG is 1 MiB, too large for an environment variable: read it from the file \$CLOCKWORK_STEP_BIG_FILE/);
  });
});
