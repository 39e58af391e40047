// `clockwork run`, `history`, `show` and `logs` as a user runs them: the
// built CLI, a workflow in a folder outside the repository, a fresh home.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { readFileSync } from "node:fs";
import type { RunRecord, RunSummary, LogChunk } from "../../agent/protocol";
import { runCli, runCliJson, startCli } from "../helpers/cli";
import { makeTestHome, repoRoot, workflowSource, type TestHome } from "../helpers/home";

let home: TestHome;
before(() => {
  home = makeTestHome("run-cli");
});
after(() => home.cleanup());

const cli = (args: string[], extra: { input?: string } = {}) => runCli(args, { env: home.env, cwd: home.work, ...extra });

describe("clockwork run", () => {
  let runId: string;

  test("runs each step, printing its output under a header and a status line with its duration", async () => {
    home.write(
      "hello.workflow.ts",
      workflowSource("hello", [`shell("greet", "echo Hello; echo careful >&2")`, `shell("shout", "echo {greet} world | tr a-z A-Z")`]),
    );
    const result = await cli(["run", "hello.workflow.ts"]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split("\n");
    runId = /run ([0-9a-z]{12})/.exec(lines[0]!)![1]!;
    assert.match(lines[0]!, new RegExp(`^hello · run ${runId} · ${home.path("hello.workflow.ts")}$`));
    assert.equal(lines[1], "▸ greet (shell)");
    assert.deepEqual(lines.slice(2, 4).sort(), ["  Hello", "  careful"]);
    assert.match(lines[4]!, /^✓ greet  success  \d+ms$/);
    assert.equal(lines[5], "▸ shout (shell)");
    assert.equal(lines[6], "  HELLO WORLD");
    assert.match(lines[7]!, /^✓ shout  success  \d+ms$/);
    assert.match(lines[8]!, new RegExp(`^✓ hello succeeded in \\d+ms · run ${runId}$`));
    assert.doesNotMatch(result.stdout, /\u001b\[/, "no colour when stdout is not a terminal");
  });

  test("history lists the run, newest first, as a table and as JSON", async () => {
    const table = await cli(["history"]);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^ID\s+WORKFLOW\s+TRIGGER\s+STATUS\s+STARTED\s+DURATION\n/);
    assert.match(table.stdout, new RegExp(`${runId}\\s+hello\\s+manual\\s+success\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\d+ms`));
    const runs = await runCliJson<RunSummary[]>(["history", "--json"], { env: home.env });
    assert.equal(runs[0]!.id, runId);
    assert.equal(runs[0]!.status, "success");
    assert.equal(runs[0]!.workflowFile, home.path("hello.workflow.ts"));
  });

  test("show takes a unique prefix and prints every step's output", async () => {
    const shown = await cli(["show", runId.slice(0, 5)]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^✓ hello success · run ${runId}\n`));
    assert.match(shown.stdout, /✓ greet \(shell\)  success · \d+ms\n    Hello\n/);
    assert.match(shown.stdout, /✓ shout \(shell\)  success · \d+ms\n    HELLO WORLD\n/);
    const record = await runCliJson<RunRecord>(["show", runId, "--json"], { env: home.env });
    assert.deepEqual(
      record.steps.map((s) => [s.index, s.name, s.kind, s.status, s.output, s.exitCode, s.attempts]),
      [
        [0, "greet", "shell", "success", "Hello", 0, 1],
        [1, "shout", "shell", "success", "HELLO WORLD", 0, 1],
      ],
    );
    assert.deepEqual(record.trigger, {});
  });

  test("logs prints stdout and stderr under each step; --json gives one chunk per line", async () => {
    const logs = await cli(["logs", runId]);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /^▸ greet \(shell\)\n/);
    assert.match(logs.stdout, /  careful\n/);
    assert.match(logs.stdout, /▸ shout \(shell\)\n  HELLO WORLD\n/);
    const json = await cli(["logs", runId, "--json"]);
    const chunks = json.stdout.trim().split("\n").map((line) => JSON.parse(line) as LogChunk);
    assert.ok(chunks.some((c) => c.step === 0 && c.stream === "stderr" && c.text === "careful\n"));
    assert.ok(chunks.some((c) => c.step === 1 && c.stream === "stdout" && c.text === "HELLO WORLD\n"));
    assert.ok(chunks.every((c, i) => i === 0 || c.seq > chunks[i - 1]!.seq));
  });

  test("--json prints only the finished run record", async () => {
    const record = await runCliJson<RunRecord>(["run", "hello.workflow.ts", "--json"], { env: home.env, cwd: home.work });
    assert.equal(record.status, "success");
    assert.equal(record.steps[1]!.output, "HELLO WORLD");
    assert.notEqual(record.id, runId);
  });

  test("--body becomes {trigger.body}: JSON, a file with @, or standard input with @-", async () => {
    home.write(
      "hook.workflow.ts",
      workflowSource("hook", [`shell("title", "printf '%s|%s' {trigger.body.pr.title} \\"$CLOCKWORK_TRIGGER_BODY\\"")`]),
    );
    const inline = await runCliJson<RunRecord>(["run", "hook.workflow.ts", "--json", "--body", '{"pr":{"title":"Fix it","n":1}}'], {
      env: home.env,
      cwd: home.work,
    });
    assert.equal(inline.steps[0]!.output, 'Fix it|{"pr":{"n":1,"title":"Fix it"}}');
    assert.deepEqual(inline.trigger.body, { pr: { title: "Fix it", n: 1 } });

    home.write("payload.json", '{"pr":{"title":"From a file"}}');
    const fromFile = await runCliJson<RunRecord>(["run", "hook.workflow.ts", "--json", "--body", "@payload.json"], { env: home.env, cwd: home.work });
    assert.match(fromFile.steps[0]!.output!, /^From a file\|/);

    const fromStdin = await runCli(["run", "hook.workflow.ts", "--json", "--body", "@-"], { env: home.env, cwd: home.work, input: '{"pr":{"title":"Piped"}}' });
    assert.match((JSON.parse(fromStdin.stdout) as RunRecord).steps[0]!.output!, /^Piped\|/);
  });

  test("a body that is not JSON is kept as text", async () => {
    home.write("text.workflow.ts", workflowSource("text", [`shell("echo", "printf %s {trigger.body}")`]));
    const record = await runCliJson<RunRecord>(["run", "text.workflow.ts", "--json", "--body", "just words"], { env: home.env, cwd: home.work });
    assert.equal(record.steps[0]!.output, "just words");
  });

  test("a failing step exits 1, shows the exit code and stderr, and skips the rest", async () => {
    home.write(
      "fail.workflow.ts",
      workflowSource("fail", [`shell("ok", "echo fine")`, `shell("bad", "echo oops >&2; exit 3")`, `shell("after", "echo never")`]),
    );
    const result = await cli(["run", "fail.workflow.ts"]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /✗ bad  failed  \d+ms\n    exit code 3: oops\n/);
    assert.match(result.stdout, /○ after  skipped\n/);
    assert.match(result.stdout, /✗ fail failed in \d+ms · run [0-9a-z]{12}\n  step "bad" failed: exit code 3: oops\n/);
    const [run] = await runCliJson<RunSummary[]>(["history", "--json", "--limit", "1"], { env: home.env });
    assert.equal(run!.status, "failed");
    assert.equal(run!.error, 'step "bad" failed: exit code 3: oops');
    const record = await runCliJson<RunRecord>(["show", run!.id, "--json"], { env: home.env });
    assert.deepEqual(record.steps.map((s) => [s.name, s.status, s.exitCode]), [
      ["ok", "success", 0],
      ["bad", "failed", 3],
      ["after", "skipped", null],
    ]);
  });
});

describe("live output", () => {
  test("a step's output appears while the step is still running", async () => {
    // The step prints, then waits until the test has seen that line and
    // creates the file it waits for: only live streaming lets it finish.
    home.write("slow.workflow.ts", workflowSource("slow", [`shell("wait", "echo first; while [ ! -f go ]; do sleep 0.02; done; echo second")`]));
    const child = startCli(["run", "slow.workflow.ts"], { env: home.env, cwd: home.work });
    await child.waitFor("  first\n");
    assert.doesNotMatch(child.stdout, /second/);
    home.write("go", "");
    const { code } = await child.exited;
    assert.equal(code, 0);
    assert.match(child.stdout, /  first\n  second\n✓ wait/);
  });
});

describe("history filters and errors", () => {
  test("--workflow, --status and --limit narrow the list", async () => {
    const failed = await runCliJson<RunSummary[]>(["history", "--json", "--status", "failed"], { env: home.env });
    assert.ok(failed.length >= 1 && failed.every((r) => r.status === "failed"));
    const hello = await runCliJson<RunSummary[]>(["history", "--json", "--workflow", "hello"], { env: home.env });
    assert.equal(hello.length, 2);
    assert.ok(hello.every((r) => r.workflowName === "hello"));
    const one = await runCliJson<RunSummary[]>(["history", "--json", "--limit", "1"], { env: home.env });
    assert.equal(one.length, 1);
    const none = await cli(["history", "--workflow", "nothing-like-it"]);
    assert.equal(none.stdout, "No runs match.\n");
  });

  test("bad options and unknown runs are one clear line and exit 1", async () => {
    const status = await cli(["history", "--status", "done"]);
    assert.equal(status.code, 1);
    assert.equal(status.stderr, 'error: --status: "done" is not a status; use one of queued, running, success, failed, cancelled, skipped\n');
    const limit = await cli(["history", "--limit", "0"]);
    assert.match(limit.stderr, /--limit: "0" is not a positive whole number/);
    const missing = await cli(["show", "zzzzzzzz"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: no run with id "zzzzzzzz" (list runs with: clockwork history)\n');
    const logs = await cli(["logs", "zzzzzzzz"]);
    assert.equal(logs.code, 1);
    assert.match(logs.stderr, /no run with id "zzzzzzzz"/);
  });

  test("an empty store says how to start", async () => {
    const fresh = makeTestHome("run-cli-empty");
    try {
      const result = await runCli(["history"], { env: fresh.env });
      assert.equal(result.stdout, "No runs yet. Start one with: clockwork run <file.workflow.ts>\n");
      assert.deepEqual(JSON.parse((await runCli(["history", "--json"], { env: fresh.env })).stdout), []);
    } finally {
      fresh.cleanup();
    }
  });
});

describe("help and version", () => {
  test("--version prints the package version", async () => {
    const version = (JSON.parse(readFileSync(`${repoRoot}/package.json`, "utf8")) as { version: string }).version;
    const result = await cli(["--version"]);
    assert.equal(result.stdout.trim(), version);
  });

  test("every runner command has --help with examples", async () => {
    for (const command of ["run", "history", "show", "logs"]) {
      const result = await cli([command, "--help"]);
      assert.equal(result.code, 0);
      assert.match(result.stdout, new RegExp(`^Usage: clockwork ${command}`));
      assert.match(result.stdout, /Examples:/);
    }
  });
});

describe("a reader that goes away", () => {
  test("logs piped into a reader that closes early (| head) ends quietly, not with an EPIPE stack trace", async () => {
    home.write("chatty.workflow.ts", workflowSource("chatty", [`shell("lines", "seq 1 200000")`]));
    const ran = await cli(["run", "chatty.workflow.ts", "--json"]);
    assert.equal(ran.code, 0, ran.stderr);
    const { id } = JSON.parse(ran.stdout) as RunSummary;
    const logs = startCli(["logs", id, "--json"], { env: home.env, cwd: home.work });
    logs.child.stdout.once("data", () => logs.child.stdout.destroy());
    const { code } = await logs.exited;
    assert.equal(logs.stderr, "");
    assert.equal(code, 0);
  });
});

describe("clockwork run, other step kinds", () => {
  test("a code step's returned value is shown under its header, since no log line carried it", async () => {
    home.write("value.workflow.ts", workflowSource("value", [`code("answer", () => ({ answer: 42 }))`]));
    const result = await cli(["run", "value.workflow.ts"]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split("\n");
    assert.equal(lines[1], "▸ answer (code)");
    assert.equal(lines[2], '  {"answer":42}');
    assert.match(lines[3]!, /^✓ answer  success  \d+ms$/);
  });
});
