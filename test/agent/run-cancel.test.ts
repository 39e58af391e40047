// Stopping runs: Ctrl-C and SIGTERM cancel and kill every process the step
// started; a CLI killed outright leaves an orphan that the next command
// marks failed; another process can follow a run live with logs -f.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { readFileSync } from "node:fs";
import type { RunRecord, RunSummary } from "../../agent/protocol";
import { runCli, runCliJson, startCli, type CliProcess } from "../helpers/cli";
import { makeTestHome, workflowSource, type TestHome } from "../helpers/home";
import { killGroup, waitUntilGone } from "../helpers/processes";

let home: TestHome;
const started: CliProcess[] = [];
const groups: number[] = [];

before(() => {
  home = makeTestHome("run-cancel");
  // The step records its shell's pid (its process group) and a background
  // child's pid, prints a line, then waits for the child forever.
  home.write(
    "long.workflow.ts",
    workflowSource("long", [
      `shell("prepare", "echo ready")`,
      `shell("wait", "echo $$ > sh.pid; sleep 1000 & echo $! > bg.pid; echo started; wait")`,
      `shell("after", "echo never")`,
    ]),
  );
});
after(async () => {
  for (const child of started) child.kill("SIGKILL");
  for (const pid of groups) killGroup(pid);
  home.cleanup();
});

function start(args: string[]): CliProcess {
  const child = startCli(args, { env: home.env, cwd: home.work });
  started.push(child);
  return child;
}

const pidFile = (name: string) => Number(readFileSync(home.path(name), "utf8"));
const runIdOf = (stdout: string) => /run ([0-9a-z]{12})/.exec(stdout)![1]!;

describe("cancelling a run", () => {
  for (const [signal, code, reason] of [
    ["SIGINT", 130, "Ctrl-C"],
    ["SIGTERM", 143, "SIGTERM received"],
  ] as const) {
    test(`${signal} cancels the run, kills the step's whole process group and records "cancelled"`, async () => {
      const child = start(["run", "long.workflow.ts"]);
      await child.waitFor("  started\n");
      const shell = pidFile("sh.pid");
      const background = pidFile("bg.pid");
      groups.push(shell);
      child.kill(signal);
      const exit = await child.exited;
      assert.equal(exit.code, code);
      assert.match(child.stdout, new RegExp(`cancelling \\(${signal === "SIGINT" ? "Ctrl-C" : signal}\\)…`));
      assert.match(child.stdout, /■ wait  cancelled/);
      assert.match(child.stdout, /○ after  skipped/);
      assert.equal(await waitUntilGone(background), true, "the background child was killed");
      assert.equal(await waitUntilGone(shell), true, "the step's shell was killed");

      const record = await runCliJson<RunRecord>(["show", runIdOf(child.stdout), "--json"], { env: home.env });
      assert.equal(record.status, "cancelled");
      assert.equal(record.error, `cancelled: ${reason}`);
      assert.deepEqual(record.steps.map((s) => s.status), ["success", "cancelled", "skipped"]);
      assert.ok(record.finishedAt);
    });
  }
});

describe("a CLI killed in the middle of a run", () => {
  test("leaves an orphan that the next clockwork command marks failed, naming the pid", async () => {
    const child = start(["run", "long.workflow.ts"]);
    await child.waitFor("  started\n");
    const runId = runIdOf(child.stdout);
    groups.push(pidFile("sh.pid"));
    const before = await runCliJson<RunRecord>(["show", runId, "--json"], { env: home.env });
    assert.equal(before.status, "running", "while its process lives, the run is running");

    child.kill("SIGKILL");
    await child.exited;
    const [orphan] = await runCliJson<RunSummary[]>(["history", "--json", "--limit", "1"], { env: home.env });
    assert.equal(orphan!.id, runId);
    assert.equal(orphan!.status, "failed");
    assert.match(
      orphan!.error ?? "",
      new RegExp(`^interrupted: the process running this run \\(pid ${child.pid}\\) exited before it finished; \\d+ step process(es)? it left running (was|were) ended first$`),
    );
    assert.equal(await waitUntilGone(groups.at(-1)!), true, "the step's shell was ended before the run was marked failed");
    const record = await runCliJson<RunRecord>(["show", runId, "--json"], { env: home.env });
    assert.deepEqual(record.steps.map((s) => s.status), ["success", "failed"], "its running step is failed too");
  });
});

describe("following a run from another process", () => {
  test("logs -f prints output as it is produced and exits with the run's result", async () => {
    home.write("gate.workflow.ts", workflowSource("gate", [`shell("gate", "echo one; while [ ! -f open ]; do sleep 0.02; done; echo two")`]));
    const run = start(["run", "gate.workflow.ts"]);
    await run.waitFor("  one\n");
    const follower = start(["logs", runIdOf(run.stdout), "--follow"]);
    await follower.waitFor("▸ gate (shell)\n  one\n");
    assert.doesNotMatch(follower.stdout, /two/);
    home.write("open", "");
    const [runExit, followExit] = await Promise.all([run.exited, follower.exited]);
    assert.equal(runExit.code, 0);
    assert.equal(followExit.code, 0);
    assert.match(follower.stdout, /  one\n  two\n✓ gate succeeded in \d+(\.\d)?m?s · run [0-9a-z]{12}\n$/);
  });

  test("logs -f of a run whose process dies ends with the failure and exits 1", async () => {
    const run = start(["run", "long.workflow.ts"]);
    await run.waitFor("  started\n");
    groups.push(pidFile("sh.pid"));
    const follower = start(["logs", runIdOf(run.stdout), "-f"]);
    await follower.waitFor("  started\n");
    run.kill("SIGKILL");
    const exit = await follower.exited;
    assert.equal(exit.code, 1);
    assert.match(
      follower.stdout,
      new RegExp(`✗ long failed in .+\n  interrupted: the process running this run \\(pid ${run.pid}\\) exited before it finished; .+ ended first\n$`),
    );
  });

  test("logs of a finished run print once and exit 0 without --follow", async () => {
    const [last] = await runCliJson<RunSummary[]>(["history", "--json", "--limit", "1"], { env: home.env });
    const result = await runCli(["logs", last!.id], { env: home.env });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /▸ prepare \(shell\)\n  ready\n/);
  });
});
