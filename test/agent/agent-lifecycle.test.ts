// The agent's lifecycle against a real process: lock, socket permissions,
// status exit codes, start/stop, taking over what a dead agent left behind,
// and clients that misbehave.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from "vscode-jsonrpc/node";
import { tryConnect } from "../../agent/cli/client";
import { loadConfig } from "../../agent/config";
import { isPidAlive, lockHolder } from "../../agent/daemon/lock";
import { ErrorCodes, ListTriggers, Status } from "../../agent/protocol";
import { openStore } from "../../agent/store";
import { AgentProcess, baseEnv, cli, removeDir, shellWorkflow, tempHome, writeWorkflow } from "./agent-harness";

/** The pid of a process that has certainly exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((r) => child.on("exit", r));
  return child.pid!;
}

/** Leaves a socket file behind by SIGKILLing the process that listens on it. */
async function strandedSocket(path: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ["-e", `require("net").createServer().listen(${JSON.stringify(path)}, () => console.log("listening"))`],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((r) => child.stdout!.once("data", () => r()));
  child.kill("SIGKILL");
  await new Promise((r) => child.on("exit", r));
  assert.ok(existsSync(path), "the killed process left its socket file");
}

/**
 * Runs `body` against an agent stopped with SIGSTOP: the real thing hung
 * (alive, holding its lock, silent). It is let go and stopped afterwards.
 */
async function withStoppedAgent(label: string, body: (home: string, agent: AgentProcess) => Promise<void>): Promise<void> {
  const home = tempHome(label);
  const agent = await AgentProcess.start(home);
  try {
    process.kill(agent.pid, "SIGSTOP");
    await body(home, agent);
  } finally {
    process.kill(agent.pid, "SIGCONT");
    await agent.stop();
    removeDir(home);
  }
}

describe("a running agent", () => {
  let home: string;
  let agent: AgentProcess;

  before(async () => {
    home = tempHome("life");
    agent = await AgentProcess.start(home);
  });
  after(async () => {
    await agent.stop();
    removeDir(home);
  });

  test("keeps its socket and its store at mode 0600 inside a 0700 home", () => {
    const config = loadConfig(baseEnv(home));
    assert.equal(statSync(config.socketPath).mode & 0o777, 0o600);
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.equal(statSync(config.dbFile).mode & 0o777, 0o600);
  });

  test("status exits 0 and reports the pid, socket and counts", async () => {
    const result = await cli(home, ["status", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout);
    assert.equal(parsed.state, "running");
    assert.equal(parsed.status.pid, agent.pid);
    assert.equal(parsed.status.socket, loadConfig(baseEnv(home)).socketPath);
    assert.deepEqual(parsed.status.counts, { schedules: 0, webhooks: 0, watchers: 0, runTriggers: 0, running: 0, queued: 0 });
    assert.equal(parsed.status.stopping, false);
  });

  test("a second agent on the same home refuses to start and names the running pid", async () => {
    const second = await cli(home, ["agent"]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`already running .*pid ${agent.pid}`));
    const detached = await cli(home, ["agent", "start"]);
    assert.notEqual(detached.code, 0);
    assert.match(detached.stderr, new RegExp(`pid ${agent.pid}`));
    assert.equal((await cli(home, ["status"])).code, 0, "the first agent is unaffected");
  });

  test("a client sending bytes that are not JSON gets a parse error and is closed, and the agent keeps serving", async () => {
    const socket = net.connect(agent.socketPath);
    let received = "";
    socket.on("data", (d) => (received += d));
    await new Promise((r) => socket.once("connect", r));
    const body = "{this is not json";
    socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await new Promise((r) => socket.once("close", r));
    assert.match(received, /"code":-32700/);

    const headerless = net.connect(agent.socketPath);
    headerless.on("data", () => undefined);
    await new Promise((r) => headerless.once("connect", r));
    headerless.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((r) => headerless.once("close", r));

    const client = await agent.connect();
    try {
      assert.equal((await client.request(Status, undefined)).pid, agent.pid);
    } finally {
      client.close();
    }
  });

  test("unknown methods and malformed params get JSON-RPC errors, not a crash", async () => {
    const socket = net.connect(agent.socketPath);
    await new Promise((r) => socket.once("connect", r));
    const connection = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    connection.listen();
    try {
      await assert.rejects(connection.sendRequest("clockwork/noSuchThing", {}), (e: { code: number }) => e.code === -32601);
      await assert.rejects(
        connection.sendRequest(ListTriggers.method, { type: "cronjob" }),
        (e: { code: number; message: string }) => e.code === -32602 && /type/.test(e.message),
      );
      await assert.rejects(
        connection.sendRequest("clockwork/triggers/setPaused", { name: "nope", paused: true }),
        (e: { code: number; message: string }) => e.code === ErrorCodes.NotFound && /no trigger named "nope"/.test(e.message),
      );
      assert.equal(((await connection.sendRequest(Status.method)) as { pid: number }).pid, agent.pid);
    } finally {
      connection.dispose();
      socket.destroy();
    }
  });

  test("an LSP client can initialize, shut down and exit without stopping the agent; a CLI client needs no initialize", async () => {
    const socket = net.connect(agent.socketPath);
    await new Promise((r) => socket.once("connect", r));
    const lsp = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    lsp.listen();
    const init = (await lsp.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} })) as {
      serverInfo: { name: string };
      capabilities: object;
    };
    assert.equal(init.serverInfo.name, "clockwork-agent");
    assert.equal(typeof init.capabilities, "object");
    await lsp.sendNotification("initialized", {});
    await lsp.sendRequest("shutdown");
    await lsp.sendNotification("exit");
    await closed;
    lsp.dispose();

    const cliClient = await tryConnect({ socketPath: agent.socketPath });
    assert.ok(cliClient, "the agent still answers after an LSP client exited");
    try {
      assert.equal((await cliClient.request(Status, undefined)).pid, agent.pid);
    } finally {
      cliClient.close();
    }
  });
});

describe("starting and stopping", () => {
  test("agent start detaches and agent stop waits for an exit that removes the lock and the socket", async () => {
    const home = tempHome("startstop");
    try {
      const started = await cli(home, ["agent", "start"]);
      assert.equal(started.code, 0, started.stderr);
      const pid = Number(/pid (\d+)/.exec(started.stdout)![1]);
      const config = loadConfig(baseEnv(home));
      assert.equal(JSON.parse(readFileSync(config.pidFile, "utf8")).pid, pid);
      assert.deepEqual(lockHolder(config), { pid });
      assert.equal((await cli(home, ["status"])).code, 0);

      const stopped = await cli(home, ["agent", "stop"]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(lockHolder(config), undefined, "lock released");
      assert.equal(existsSync(config.pidFile), false, "pid file removed");
      assert.equal(existsSync(config.socketPath), false, "socket removed");
      assert.equal(isPidAlive(pid), false, "the agent process is gone");
      assert.match(readFileSync(config.logFile, "utf8"), /agent stopped/);

      const status = await cli(home, ["status", "--json"]);
      assert.equal(status.code, 1);
      assert.equal(JSON.parse(status.stdout).state, "not-running");
      assert.equal((await cli(home, ["agent", "stop"])).code, 0, "stopping a stopped agent is not an error");
    } finally {
      await cli(home, ["agent", "stop"]);
      removeDir(home);
    }
  });

  test("a pid file and a socket left by a dead agent are taken over", async () => {
    const home = tempHome("stale");
    const config = loadConfig(baseEnv(home));
    let agent: AgentProcess | undefined;
    try {
      await strandedSocket(config.socketPath);
      writeFileSync(config.pidFile, JSON.stringify({ pid: await deadPid(), startedAt: 1 }));
      const before = await cli(home, ["status"]);
      assert.equal(before.code, 1, "a stale pid file and socket are not a running agent");

      agent = await AgentProcess.start(home);
      assert.equal(JSON.parse(readFileSync(config.pidFile, "utf8")).pid, agent.pid);
      assert.equal(statSync(config.socketPath).mode & 0o777, 0o600);
      assert.equal((await cli(home, ["status"])).code, 0);
    } finally {
      await agent?.stop();
      removeDir(home);
    }
  });

  test("status exits 2 (unhealthy) when a live agent holds the lock but nothing answers", () =>
    withStoppedAgent("unhealthy", async (home, agent) => {
      const result = await cli(home, ["status", "--json"]);
      assert.equal(result.code, 2);
      const parsed = JSON.parse(result.stdout);
      assert.equal(parsed.state, "unhealthy");
      assert.equal(parsed.pid, agent.pid);
    }));

  test("a command sent to a stopped agent gives up after CLOCKWORK_REQUEST_TIMEOUT_MS, saying what to check, instead of waiting forever", () =>
    withStoppedAgent("hung-request", async (home) => {
      const result = await cli(home, ["list"], { CLOCKWORK_REQUEST_TIMEOUT_MS: "1500" });
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, /the agent did not answer clockwork\/triggers\/list within 1\.5 s: it may be stopped or stuck \(`clockwork status` tells/);
    }));

  test("clockwork run with a stopped agent runs at once and exits, even when its output fills the socket the agent does not read", () =>
    withStoppedAgent("hung-report", async (home, agent) => {
      const file = writeWorkflow(home, "loud.workflow.ts", shellWorkflow("loud", "yes clockwork | head -c 3000000"));
      // Far longer than the harness waits for a command: only a run that
      // does not wait on the agent finishes in time.
      const result = await cli(home, ["run", file], { CLOCKWORK_REQUEST_TIMEOUT_MS: "600000" });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /success/);
      const store = openStore(loadConfig(baseEnv(home)).dbFile);
      try {
        const [run] = await store.runs.listRuns({ limit: 1 });
        assert.equal(run?.workflowName, "loud");
        assert.equal(run?.status, "success");
      } finally {
        await store.close();
      }
      // The agent, once going again, reads what it can of the abandoned reports and carries on.
      process.kill(agent.pid, "SIGCONT");
      assert.equal((await cli(home, ["status"])).code, 0);
    }));

  test("a pid file naming a live process that holds no lock is stale: status, stop and start treat it so", async () => {
    const home = tempHome("reused-pid");
    let agent: AgentProcess | undefined;
    try {
      const config = loadConfig(baseEnv(home));
      // This test process is alive and holds no agent lock (a reused pid).
      writeFileSync(config.pidFile, JSON.stringify({ pid: process.pid, startedAt: 1 }));
      assert.equal((await cli(home, ["status"])).code, 1);
      const stop = await cli(home, ["agent", "stop"]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /no agent is running/);
      // Still alive: stop sent it nothing. A new agent takes the lock over.
      agent = await AgentProcess.start(home);
      assert.equal(JSON.parse(readFileSync(config.pidFile, "utf8")).pid, agent.pid);
    } finally {
      await agent?.stop();
      removeDir(home);
    }
  });

  test("SIGTERM with nothing running exits 0 and releases the lock", async () => {
    const home = tempHome("sigterm");
    try {
      const agent = await AgentProcess.start(home);
      assert.equal(await agent.stop(), 0);
      const config = loadConfig(baseEnv(home));
      assert.equal(lockHolder(config), undefined);
      assert.equal(existsSync(config.pidFile), false);
    } finally {
      removeDir(home);
    }
  });
});
