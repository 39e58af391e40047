// The mcp step's bad input, in a real agent: a server command that does not
// exist, a server that exits before the handshake or crashes mid-call, a
// run cancelled during a call, names mcp.json does not have, an mcp.json
// others can write, a variable that is not set, and the crash of the agent
// itself while a server waits between two steps.
import assert from "node:assert/strict";
import { chmodSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CancelRun, ListRuns, StartRun, type RunRecord } from "../../agent/protocol";
import { AgentProcess, removeDir, tempHome, writeWorkflow, type Watcher } from "./agent-harness";
import { EVERYTHING, everythingStdio, finishedRun, freePort, NODE, runInAgent, runLog, serverPids, writeMcpConfig } from "./mcp-harness";
import { isAlive, waitUntilGone } from "../helpers/processes";
import { startTestAgent, type TestAgent } from "./webhook-harness";

const workflowIn = (dir: string, name: string, steps: string[]) =>
  writeWorkflow(
    dir,
    `${name}.workflow.ts`,
    `import { defineWorkflow, mcp, shell } from "clockwork";
export default defineWorkflow({ name: ${JSON.stringify(name)}, steps: [
  ${steps.join(",\n  ")},
] });
`,
  );

/** The pid in the first "… ready (pid N)" line the watcher has seen for a run. */
function readyPid(watcher: Watcher, runId: string): number | undefined {
  return serverPids(watcher.logs.filter((c) => c.runId === runId))[0];
}

describe("mcp steps with bad input", { timeout: 120_000 }, () => {
  let t: TestAgent;
  const workflow = (name: string, steps: string[]) => workflowIn(t.work, name, steps);
  const startError = async (file: string) =>
    t.watcher.client.request(StartRun, { file }).then(
      () => assert.fail("the workflow should not load"),
      (error: Error) => error.message,
    );

  before(async () => {
    t = await startTestAgent("mcp-bad");
  });
  after(async () => t?.stop());

  test("a server command that does not exist fails at once, naming it", async () => {
    const run = await runInAgent(t.watcher, workflow("nocmd", [`mcp("x", { server: { command: "no-such-mcp-server-cmd" }, tool: "t", retries: { attempts: 3, backoffMs: 10 } })`]));
    assert.equal(run.steps[0]!.error, "MCP server (stdio: no-such-mcp-server-cmd): command not found: no-such-mcp-server-cmd");
    assert.equal(run.steps[0]!.attempts, 1, "no retry can find a command");
  });

  test("a server that exits before the handshake fails with how it ended and the end of its stderr", async () => {
    const script = `console.error("starting"); console.error("fatal: GITHUB_TOKEN is not set"); process.exit(3)`;
    const run = await runInAgent(t.watcher, workflow("noshake", [`mcp("x", { server: { command: ${JSON.stringify(NODE)}, args: ["-e", ${JSON.stringify(script)}] }, tool: "t" })`]));
    assert.match(run.steps[0]!.error!, /^MCP server \(stdio: .*\) exited with code 3 before completing the MCP handshake \(.*\); its stderr ends with:\nstarting\nfatal: GITHUB_TOKEN is not set$/);
  });

  test("a server that crashes mid-call fails the step with how it ended", async () => {
    const file = workflow("crash", [`mcp("long", { server: ${everythingStdio()}, tool: "trigger-long-running-operation", arguments: { duration: 120, steps: 120 } })`]);
    const { runId } = await t.watcher.client.request(StartRun, { file });
    await t.watcher.until(() => t.watcher.logs.some((c) => c.runId === runId && c.text.startsWith("call trigger-long-running-operation")), "the call");
    const pid = readyPid(t.watcher, runId)!;
    process.kill(pid, "SIGKILL");
    const crashed = await finishedRun(t.watcher, runId);
    assert.equal(crashed.status, "failed");
    assert.match(crashed.error!, /^step "long" failed: the MCP server \(stdio: .*\) was killed by SIGKILL during the call to trigger-long-running-operation/);
  });

  test("cancelling a run during a call ends its server", async () => {
    const file = workflow("cancel", [`mcp("long", { server: ${everythingStdio()}, tool: "trigger-long-running-operation", arguments: { duration: 120, steps: 120 } })`]);
    const { runId } = await t.watcher.client.request(StartRun, { file });
    await t.watcher.until(() => t.watcher.logs.some((c) => c.runId === runId && c.text.startsWith("call trigger-long-running-operation")), "the call");
    const pid = readyPid(t.watcher, runId)!;
    const summary = await t.watcher.client.request(CancelRun, { id: runId });
    assert.equal(summary.status, "cancelled");
    assert.equal(isAlive(pid), false);
  });

  test("a server name mcp.json does not have is a load error listing the names it has", async () => {
    const file = workflow("named", [`mcp("x", { server: "evrything", tool: "echo" })`]);
    assert.match(await startError(file), /named\.workflow\.ts:3:\d+: step "x" \(mcp\): no MCP server named "evrything": there is no .*mcp\.json; configure servers there as/);
    writeMcpConfig(t.home, { servers: { everything: { command: NODE, args: [EVERYTHING, "stdio"] }, old: { type: "sse", url: "http://127.0.0.1:1/sse" } } });
    assert.match(
      await startError(file),
      /step "x" \(mcp\): no MCP server named "evrything" in .*mcp\.json \(did you mean "everything"\?\); the servers it configures: "everything", "old"$/,
    );
    const old = workflow("old", [`mcp("x", { server: "old", tool: "echo" })`]);
    assert.match(await startError(old), /step "x" \(mcp\): the MCP server "old" in .*mcp\.json cannot be used: it is an SSE server/);
  });

  test("mcp.json that others can write, or that is not JSON, is refused with the fix", async () => {
    const config = writeMcpConfig(t.home, { servers: { everything: { command: NODE, args: [EVERYTHING, "stdio"] } } });
    const file = workflow("perm", [`mcp("x", { server: "everything", tool: "echo", arguments: { message: "m" } })`]);
    chmodSync(config, 0o664);
    assert.match(await startError(file), /refusing to use .*mcp\.json: its mode is 0664, so its group can write to it\. Fix: `chmod 600 /);
    writeMcpConfig(t.home, '{ "servers": { "everything": } }');
    // Where the parser says what it found depends on the Node version: a position, or the text around it.
    assert.match(await startError(file), /mcp\.json is not valid JSON: .*(line 1, column 29|"rything": \} \})/);
    rmSync(config);
  });

  test("a ${env:NAME} that is not set where the run executes fails the step, naming it", async () => {
    const file = workflow("unset", [`mcp("x", { server: { url: "http://127.0.0.1:9/mcp", headers: { Authorization: "Bearer \${env:NO_SUCH_MCP_TOKEN}" } }, tool: "t" })`]);
    const run = await runInAgent(t.watcher, file);
    assert.match(run.steps[0]!.error!, /^MCP server \(Streamable HTTP at http:\/\/127\.0\.0\.1:9\/mcp\): headers\.Authorization names the environment variable NO_SUCH_MCP_TOKEN \(\$\{env:NO_SUCH_MCP_TOKEN\}\), which is not set/);
  });

  test("an HTTP server nobody answers at says so", async () => {
    const url = `http://127.0.0.1:${await freePort()}/mcp`;
    const run: RunRecord = await runInAgent(t.watcher, workflow("refused", [`mcp("x", { server: { url: ${JSON.stringify(url)} }, tool: "t" })`]));
    assert.equal(run.steps[0]!.error!, `cannot reach MCP server (Streamable HTTP at ${url}): connection refused (is the server running?) (ECONNREFUSED)`);
  });
});

describe("after a kill -9 of the agent, an MCP server idle between two steps does not outlive its run", { timeout: 60_000, skip: process.platform !== "linux" && "reads /proc" }, () => {
  let home: string;
  let agent: AgentProcess;

  before(() => {
    home = tempHome("mcp-crash");
  });
  after(async () => {
    await agent?.stop();
    removeDir(home);
  });

  test("the next start ends the server's group, recorded with the run, before it fails the run", async () => {
    // A server that outlives its standard input: after the MCP server exits on EOF, its group's leader sleeps on.
    const wrapper = `"${NODE}" "${EVERYTHING}" stdio; exec sleep 600`;
    const file = workflowIn(home, "idle", [
      `mcp("first", { server: { command: "/bin/sh", args: ["-c", ${JSON.stringify(wrapper)}] }, tool: "echo", arguments: { message: "x" } })`,
      `shell("wait", "sleep 600")`,
    ]);
    agent = await AgentProcess.start(home);
    const watcher = await agent.watch();
    const { runId } = await watcher.client.request(StartRun, { file });
    await watcher.until(() => watcher.steps.some((s) => s.runId === runId && s.step.name === "wait" && s.step.status === "running"), "the second step");
    const pid = serverPids(await runLog(watcher, runId))[0]!;
    assert.ok(isAlive(pid), "the server waits for the run's next mcp step");
    watcher.client.close();
    await agent.kill9();
    assert.ok(isAlive(pid), "nothing else ends the server's group");

    agent = await AgentProcess.start(home);
    assert.ok(await waitUntilGone(pid, 5000), "recovery ended the server's group");
    const next = await agent.watch();
    const [run] = await next.client.request(ListRuns, { workflow: "idle", limit: 1 });
    assert.equal(run!.status, "failed");
    assert.match(run!.error!, /^interrupted: the agent stopped while this run was in progress; \d+ step processes it left running were ended first/);
    next.client.close();
  });
});
