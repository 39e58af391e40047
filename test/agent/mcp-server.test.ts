// `clockwork mcp` as an MCP host sees it: the built CLI started over stdio
// (and over Streamable HTTP) by the MCP SDK's own Client, in front of a real
// agent process in a temporary CLOCKWORK_HOME.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { RunRecord, TriggerRecord } from "../../agent/protocol";
import { runCli, startCli, type CliProcess } from "../helpers/cli";
import { cliBundle, makeTestHome, workflowSource, type TestHome } from "../helpers/home";
import { AgentProcess, type Watcher } from "./agent-harness";
import { send } from "./webhook-harness";

const TOOLS = [
  "list_triggers",
  "list_runs",
  "get_run",
  "get_run_logs",
  "run_workflow",
  "cancel_run",
  "register_schedule",
  "pause_trigger",
  "resume_trigger",
  "preview_cron",
];
const TOKEN = "mcp-test-token-" + "k".repeat(40);

interface McpSession {
  client: Client;
  /** What the server wrote on stderr so far. */
  stderr(): string;
}

/** Starts `clockwork mcp <args>` over stdio, as an MCP host does, and completes the handshake. */
async function connectStdio(t: TestHome, args: string[] = []): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    // Started elsewhere, as hosts do: --cwd says where relative paths start.
    args: [cliBundle, "mcp", "--cwd", t.work, ...args],
    env: t.env as Record<string, string>,
    cwd: t.root,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: "clockwork-test", version: "0.0.0" });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The structured result of a call that must succeed. */
async function ok<T>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = await call(client, name, args);
  assert.ok(!result.isError, `${name} failed: ${textOf(result)}`);
  return result.structuredContent as T;
}

/** The message of a call that must fail as a tool error. */
async function toolError(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(client, name, args);
  assert.equal(result.isError, true, `${name} should have failed but returned ${textOf(result)}`);
  return textOf(result);
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : `[${c.type}]`)).join("\n");
}

/** What `clockwork <args>` prints after `error: `. */
async function cliError(t: TestHome, args: string[]): Promise<string> {
  const result = await runCli(args, { env: t.env, cwd: t.work });
  assert.equal(result.code, 1, `clockwork ${args.join(" ")} should fail:\n${result.stdout}`);
  return result.stderr.replace(/^error: /, "").trimEnd();
}

/** `clockwork mcp` driven by hand, line by line, to see the exact order of what it writes. */
class RawStdio {
  readonly child: ChildProcessWithoutNullStreams;
  readonly received: Array<{ id?: number; method?: string; params?: any; result?: any }> = [];
  readonly exited: Promise<number | null>;
  private buffer = "";
  private wake: () => void = () => {};

  constructor(t: TestHome, args: string[] = []) {
    this.child = spawn(process.execPath, [cliBundle, "mcp", ...args], { env: t.env, cwd: t.work });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.stdout.on("data", (d: Buffer) => {
      this.buffer += d.toString();
      for (let nl = this.buffer.indexOf("\n"); nl >= 0; nl = this.buffer.indexOf("\n")) {
        this.received.push(JSON.parse(this.buffer.slice(0, nl)));
        this.buffer = this.buffer.slice(nl + 1);
      }
      this.wake();
    });
  }

  send(message: object): void {
    this.child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n");
  }

  /** Sends a request and resolves with everything received up to its response. */
  async request(id: number, method: string, params: object): Promise<RawStdio["received"]> {
    const from = this.received.length;
    this.send({ id, method, params });
    while (!this.received.slice(from).some((m) => m.id === id && !m.method)) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.received.slice(from);
  }

  async initialize(): Promise<void> {
    await this.request(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } });
    this.send({ method: "notifications/initialized" });
  }
}

const helloSource = workflowSource("hello", ['shell("greet", "echo hello from mcp")', 'shell("shout", "echo {greet} | tr a-z A-Z")']);

describe("clockwork mcp over stdio, with an agent running", { timeout: 120_000 }, () => {
  let t: TestHome;
  let agent: AgentProcess;
  let watcher: Watcher;
  let mcp: McpSession;
  before(async () => {
    t = makeTestHome("mcp");
    t.write("hello.workflow.ts", helloSource);
    agent = await AgentProcess.start(t.home);
    watcher = await agent.watch();
    mcp = await connectStdio(t);
  });
  after(async () => {
    await mcp?.client.close();
    watcher?.client.close();
    await agent?.stop();
    t.cleanup();
  });

  test("lists its ten tools, each with a description, an input schema and hints saying what it changes", async () => {
    const { tools } = await mcp.client.listTools();
    assert.deepEqual(
      tools.map((tool) => tool.name),
      TOOLS,
    );
    for (const tool of tools) {
      assert.ok((tool.description ?? "").length > 60, `${tool.name} needs a description`);
      assert.equal(tool.inputSchema.type, "object");
      assert.equal(typeof tool.annotations?.readOnlyHint, "boolean", `${tool.name} says whether it is read-only`);
      assert.equal(typeof tool.annotations?.destructiveHint, "boolean", `${tool.name} says whether it is destructive`);
    }
    const names = (hint: "readOnlyHint" | "destructiveHint") => tools.filter((tool) => tool.annotations?.[hint]).map((tool) => tool.name);
    assert.deepEqual(names("readOnlyHint"), ["list_triggers", "list_runs", "get_run", "get_run_logs", "preview_cron"]);
    assert.deepEqual(names("destructiveHint"), ["run_workflow", "cancel_run"]);
    const runWorkflow = tools.find((tool) => tool.name === "run_workflow")!;
    assert.deepEqual(Object.keys(runWorkflow.inputSchema.properties ?? {}).sort(), [
      "body",
      "file",
      "max_output_bytes",
      "timeout_seconds",
      "trigger",
      "wait",
    ]);
  });

  test("register_schedule registers a schedule in the agent, with a path relative to --cwd", async () => {
    const trigger = await ok<TriggerRecord>(mcp.client, "register_schedule", {
      file: "hello.workflow.ts",
      cron: "0 9 * * 1-5",
      timezone: "Europe/Berlin",
      name: "weekday-hello",
      overlap: "queue",
    });
    assert.equal(trigger.name, "weekday-hello");
    assert.equal(trigger.workflowFile, t.path("hello.workflow.ts"));
    assert.equal(trigger.schedule?.timezone, "Europe/Berlin");
    assert.equal(trigger.schedule?.overlap, "queue");
    assert.equal(trigger.schedule?.catchup, "once");
    assert.ok(trigger.schedule?.nextFireAt, "a next fire");

    const listed = await ok<{ triggers: TriggerRecord[] }>(mcp.client, "list_triggers", { type: "schedule" });
    assert.deepEqual(
      listed.triggers.map((x) => x.name),
      ["weekday-hello"],
    );
    const viaCli = JSON.parse((await runCli(["list", "--json"], { env: t.env })).stdout) as TriggerRecord[];
    assert.equal(viaCli.find((x) => x.name === "weekday-hello")?.schedule?.nextFireAt, trigger.schedule?.nextFireAt);
  });

  test("run_workflow with wait returns the finished run, and get_run and get_run_logs read it back", async () => {
    const run = await ok<RunRecord>(mcp.client, "run_workflow", { file: t.path("hello.workflow.ts"), wait: true });
    assert.equal(run.status, "success", run.error ?? "");
    assert.equal(run.triggerKind, "manual");
    assert.deepEqual(
      run.steps.map((s) => [s.name, s.status, s.output]),
      [
        ["greet", "success", "hello from mcp"],
        ["shout", "success", "HELLO FROM MCP"],
      ],
    );

    const again = await ok<RunRecord>(mcp.client, "get_run", { id: run.id.slice(0, 6) });
    assert.deepEqual(again, run);

    const logs = await call(mcp.client, "get_run_logs", { id: run.id });
    assert.ok(!logs.isError, textOf(logs));
    assert.match(textOf(logs), /── greet \(shell\) ──\nhello from mcp\n[\s\S]*── shout \(shell\) ──\nHELLO FROM MCP\n/);
    assert.match(textOf(logs), new RegExp(`── run ${run.id} \\(hello\\) is success ──$`));

    const listed = await ok<{ runs: Array<{ id: string }> }>(mcp.client, "list_runs", { workflow: "hello", status: "success", limit: 5 });
    assert.ok(listed.runs.some((r) => r.id === run.id));
  });

  test("run_workflow with wait sends a progress notification for each step change, all before its result", async () => {
    const raw = new RawStdio(t);
    try {
      await raw.initialize();
      const call = { name: "run_workflow", arguments: { file: "hello.workflow.ts", wait: true }, _meta: { progressToken: "p-1" } };
      const messages = await raw.request(1, "tools/call", call);
      const progress = messages.filter((m) => m.method === "notifications/progress").map((m) => m.params);
      assert.deepEqual(
        progress.map((p) => [p.progressToken, p.progress, p.message]),
        [
          ["p-1", 1, "step greet: running"],
          ["p-1", 2, "step greet: success"],
          ["p-1", 3, "step shout: running"],
          ["p-1", 4, "step shout: success"],
        ],
      );
      const result = messages[messages.length - 1]!;
      assert.equal(result.id, 1, "the result comes last");
      assert.equal(result.result.structuredContent.status, "success");
    } finally {
      raw.child.stdin.end();
      await raw.exited;
    }
  });

  test("run_workflow runs a registered trigger's workflow with a body, recorded under the trigger", async () => {
    const file = t.write("echo.workflow.ts", workflowSource("echo-user", ['shell("who", "echo user={trigger.body.user}")']));
    const registered = await runCli(["register", file, "--cron", "0 0 1 1 *", "--name", "yearly-echo"], { env: t.env });
    assert.equal(registered.code, 0, registered.stderr);

    const run = await ok<RunRecord>(mcp.client, "run_workflow", { trigger: "yearly-echo", body: { user: "ada; rm -rf /" }, wait: true });
    assert.equal(run.status, "success", run.error ?? "");
    assert.equal(run.triggerName, "yearly-echo");
    assert.deepEqual(run.trigger.body, { user: "ada; rm -rf /" });
    assert.equal(run.steps[0]!.output, "user=ada; rm -rf /");
  });

  test("run_workflow without wait answers at once; cancel_run stops the run, and a second cancel is the CLI's error", async () => {
    const file = t.write("sleeper.workflow.ts", workflowSource("sleeper", ['shell("nap", "sleep 60")']));
    const result = await call(mcp.client, "run_workflow", { file });
    assert.ok(!result.isError, textOf(result));
    const started = result.structuredContent as unknown as RunRecord;
    assert.ok(["queued", "running"].includes(started.status), started.status);
    assert.match(textOf(result), /Started run \w+ \(sleeper\)/);
    await watcher.until((runs) => runs.some((r) => r.id === started.id && r.status === "running"), "the run to start");

    const cancelled = await ok<RunRecord>(mcp.client, "cancel_run", { id: started.id });
    assert.equal(cancelled.status, "cancelled");
    const message = await toolError(mcp.client, "cancel_run", { id: started.id });
    assert.equal(message, await cliError(t, ["cancel", started.id]));
    assert.match(message, /already finished \(cancelled\); nothing to cancel/);
  });

  test("get_run caps long outputs with Clockwork's marker; get_run_logs pages a long log", async () => {
    const file = t.write("big.workflow.ts", workflowSource("big", [`shell("big", "for i in $(seq 1 3000); do echo line-$i; done")`]));
    const run = await ok<RunRecord>(mcp.client, "run_workflow", { file, wait: true, max_output_bytes: 1000 });
    const output = run.steps[0]!.output!;
    assert.ok(output.startsWith("line-1\nline-2\n"));
    assert.match(output, /\[… output truncated by Clockwork: [^\]]+ in total, the first [^\]]+ kept\]$/);
    assert.ok(Buffer.byteLength(output) < 1200, `${Buffer.byteLength(output)} bytes`);

    // 3000 lines at 4 KiB a page: every line comes once, in order, each page ending where the next begins.
    const lines: string[] = [];
    let cursor: Record<string, number> = {};
    let pages = 0;
    let last = "";
    for (;;) {
      const page = await call(mcp.client, "get_run_logs", { id: run.id, max_bytes: 4096, ...cursor });
      last = textOf(page);
      assert.ok(Buffer.byteLength(last) < 4096 + 200, `a page of ${Buffer.byteLength(last)} bytes`);
      pages++;
      lines.push(...last.split("\n").filter((l) => l.startsWith("line-")));
      const next = /more output: call get_run_logs again with after_seq (\d+)(?: and offset (\d+))?$/.exec(last);
      if (!next) break;
      cursor = { after_seq: Number(next[1]), offset: Number(next[2] ?? 0) };
    }
    assert.ok(pages >= 6, `${pages} pages`);
    assert.deepEqual(lines, Array.from({ length: 3000 }, (_, i) => `line-${i + 1}`));
    assert.match(last, /is success ──$/);
  });

  test("pause_trigger and resume_trigger keep the cadence; preview_cron explains an expression as `clockwork cron` does", async () => {
    const paused = await ok<TriggerRecord>(mcp.client, "pause_trigger", { name: "weekday-hello" });
    assert.deepEqual([paused.paused, paused.state, paused.schedule?.nextFireAt], [true, "paused", null]);
    const resumed = await ok<TriggerRecord>(mcp.client, "resume_trigger", { name: "weekday-hello" });
    assert.deepEqual([resumed.paused, resumed.state], [false, "active"]);
    assert.ok(resumed.schedule?.nextFireAt);

    const preview = await ok<{ description: string; timezone: string; next: string[] }>(mcp.client, "preview_cron", {
      expression: "0 9 * * 1-5",
      timezone: "Europe/Berlin",
      count: 3,
    });
    const cli = JSON.parse((await runCli(["cron", "0 9 * * 1-5", "--tz", "Europe/Berlin", "--count", "3", "--json"], { env: t.env })).stdout) as typeof preview;
    assert.deepEqual([preview.description, preview.timezone, preview.next.length], [cli.description, cli.timezone, 3]);
  });

  test("bad input comes back as tool errors carrying the CLI's messages", async () => {
    assert.equal(await toolError(mcp.client, "get_run", { id: "zzzzzz" }), await cliError(t, ["show", "zzzzzz"]));
    assert.equal(await toolError(mcp.client, "get_run_logs", { id: "zzzzzz" }), await cliError(t, ["logs", "zzzzzz"]));
    assert.equal(
      await toolError(mcp.client, "register_schedule", { file: "hello.workflow.ts", cron: "61 * * * *", name: "bad-cron" }),
      await cliError(t, ["register", "hello.workflow.ts", "--cron", "61 * * * *", "--name", "bad-cron"]),
    );
    assert.equal(
      await toolError(mcp.client, "register_schedule", { file: "hello.workflow.ts", cron: "@daily", name: "weekday-hello" }),
      await cliError(t, ["register", "hello.workflow.ts", "--cron", "@daily", "--name", "weekday-hello"]),
    );
    assert.equal(await toolError(mcp.client, "preview_cron", { expression: "61 * * * *" }), await cliError(t, ["cron", "61 * * * *"]));
    assert.equal(await toolError(mcp.client, "pause_trigger", { name: "nope" }), await cliError(t, ["pause", "nope"]));
    assert.equal(await toolError(mcp.client, "run_workflow", { trigger: "nope" }), await cliError(t, ["fire", "nope"]));

    for (const both of [{}, { trigger: "weekday-hello", file: "hello.workflow.ts" }]) {
      assert.match(await toolError(mcp.client, "run_workflow", both), /give exactly one of `trigger` .* and `file`/);
    }
    assert.match(await toolError(mcp.client, "run_workflow", { file: "missing.workflow.ts" }), /missing\.workflow\.ts/);
    assert.match(await toolError(mcp.client, "list_runs", { limit: 0 }), /limit/);
    assert.match(await toolError(mcp.client, "list_runs", { status: "done" }), /status/);
    // The server is still there after all of that.
    assert.ok((await ok<{ runs: unknown[] }>(mcp.client, "list_runs", { limit: 1 })).runs.length === 1);
  });
});

describe("clockwork mcp with no agent running", { timeout: 120_000 }, () => {
  test("starts the agent when a tool needs it, and says so on stderr", async () => {
    const t = makeTestHome("mcp-start");
    try {
      const mcp = await connectStdio(t);
      try {
        assert.equal((await runCli(["status"], { env: t.env })).code, 1, "no agent before the first call");
        const listed = await ok<{ triggers: unknown[] }>(mcp.client, "list_triggers");
        assert.deepEqual(listed.triggers, []);
        assert.match(mcp.stderr(), /started the Clockwork agent for .* \(pid \d+\)/);
        assert.equal((await runCli(["status"], { env: t.env })).code, 0, "the agent it started runs");
      } finally {
        await mcp.client.close();
      }
      assert.equal((await runCli(["status"], { env: t.env })).code, 0, "and keeps running after the server is gone");
    } finally {
      await runCli(["agent", "stop"], { env: t.env });
      t.cleanup();
    }
  });

  test("with --no-start-agent, tools fail with the CLI's message on how to start one", async () => {
    const t = makeTestHome("mcp-nostart");
    try {
      const mcp = await connectStdio(t, ["--no-start-agent"]);
      try {
        const message = await toolError(mcp.client, "list_runs", {});
        assert.equal(message, await cliError(t, ["fire", "anything"]));
        assert.match(message, /no agent is running for .*; start one with `clockwork agent start`/);
        // preview_cron is pure and needs no agent.
        await ok(mcp.client, "preview_cron", { expression: "@daily", timezone: "UTC" });
        assert.equal((await runCli(["status"], { env: t.env })).code, 1, "no agent was started");
      } finally {
        await mcp.client.close();
      }
    } finally {
      t.cleanup();
    }
  });

  test("the server exits with 0 when the host closes its standard input", async () => {
    const t = makeTestHome("mcp-eof");
    try {
      const raw = new RawStdio(t, ["--no-start-agent"]);
      const [answer] = await raw.request(1, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } });
      assert.equal(answer!.result.serverInfo.name, "clockwork");
      raw.child.stdin.end();
      assert.equal(await raw.exited, 0);
    } finally {
      t.cleanup();
    }
  });
});

describe("clockwork mcp --http", { timeout: 120_000 }, () => {
  test("refuses to start without CLOCKWORK_API_TOKEN, or with a bad port or folder, saying why", async () => {
    const t = makeTestHome("mcp-http-notoken");
    try {
      const result = await runCli(["mcp", "--http", "0"], { env: { ...t.env, CLOCKWORK_API_TOKEN: "" } });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /^error: --http needs CLOCKWORK_API_TOKEN: clients must send it as `Authorization: Bearer <token>`/);
      const badPort = await runCli(["mcp", "--http", "99999"], { env: { ...t.env, CLOCKWORK_API_TOKEN: TOKEN } });
      assert.equal(badPort.code, 1);
      assert.match(badPort.stderr, /--http: "99999" is not a port number/);
      const badFolder = await runCli(["mcp", "--cwd", t.path("nowhere")], { env: t.env });
      assert.equal(badFolder.code, 1);
      assert.match(badFolder.stderr, /--cwd: .*nowhere is not a folder/);
    } finally {
      t.cleanup();
    }
  });

  describe("with a token", () => {
    let t: TestHome;
    let agent: AgentProcess;
    let server: CliProcess;
    let url: string;
    before(async () => {
      t = makeTestHome("mcp-http", { CLOCKWORK_API_TOKEN: TOKEN });
      t.write("hello.workflow.ts", helloSource);
      agent = await AgentProcess.start(t.home, { CLOCKWORK_API_TOKEN: TOKEN });
      server = startCli(["mcp", "--http", "0"], { env: t.env, cwd: t.work });
      url = /on (http:\/\/\S+\/mcp);/.exec(await server.waitFor(/serving MCP .* on http:\/\/\S+\/mcp;/))![1]!;
    });
    after(async () => {
      server?.kill("SIGTERM");
      if (server) assert.equal((await server.exited).code, 0, server.stderr);
      await agent?.stop();
      t.cleanup();
    });

    test("listens on loopback only; a port in use is a clear error", async () => {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const port = new URL(url).port;
      const second = await runCli(["mcp", "--http", port], { env: t.env });
      assert.equal(second.code, 1);
      assert.equal(second.stderr, `error: --http ${port}: cannot listen on 127.0.0.1 (EADDRINUSE)\n`);
    });

    test("a client sending the token lists the tools and runs a workflow, waiting for it", async () => {
      const client = new Client({ name: "clockwork-test", version: "0.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
      try {
        assert.deepEqual(
          (await client.listTools()).tools.map((tool) => tool.name),
          TOOLS,
        );
        const run = await ok<RunRecord>(client, "run_workflow", { file: "hello.workflow.ts", wait: true });
        assert.deepEqual([run.status, run.steps[1]?.output], ["success", "HELLO FROM MCP"]);
        assert.match(await toolError(client, "get_run", { id: "zzzzzz" }), /no run with id "zzzzzz"/);
      } finally {
        await client.close();
      }
    });

    test("workflow files must lie inside the served folder: no path, .. or link leads out", async () => {
      const marker = join(t.root, "RAN");
      const outside = join(t.root, "outside.workflow.ts");
      writeFileSync(outside, workflowSource("outside", [`shell("touch", ${JSON.stringify(`touch ${marker}`)})`]));
      symlinkSync(outside, t.path("link.workflow.ts"));
      const client = new Client({ name: "clockwork-test", version: "0.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
      try {
        for (const file of [outside, "../outside.workflow.ts", "link.workflow.ts"]) {
          const message = await toolError(client, "run_workflow", { file, wait: true });
          assert.match(message, /is outside .*: over HTTP, clockwork mcp takes only workflow files inside the folder it serves \(--cwd\)/, file);
          assert.match(await toolError(client, "register_schedule", { file, cron: "@daily", name: "outside" }), /is outside/);
        }
        assert.equal(existsSync(marker), false, "nothing ran");
        assert.deepEqual((await ok<{ triggers: unknown[] }>(client, "list_triggers")).triggers, []);
      } finally {
        await client.close();
      }
    });

    test("a client without the token, or with a wrong one, is refused with 401", async () => {
      const attempts: Array<Record<string, string>> = [{}, { Authorization: `Bearer ${TOKEN}x` }, { Authorization: TOKEN }];
      for (const headers of attempts) {
        const client = new Client({ name: "clockwork-test", version: "0.0.0" });
        await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } })), (error: Error & { code?: number }) => {
          assert.equal(error.code, 401);
          assert.match(error.message, /missing or wrong bearer token/);
          return true;
        });
      }
      const raw = await post(url, { authorization: "Bearer nope" });
      assert.equal(raw.status, 401);
      assert.match(String(raw.headers["www-authenticate"]), /^Bearer/);
    });

    test("a Host or Origin that is not loopback is refused with 403, even with the token", async () => {
      const authorization = `Bearer ${TOKEN}`;
      assert.equal((await post(url, { authorization, host: "attacker.example" })).status, 403);
      assert.equal((await post(url, { authorization, origin: "http://attacker.example" })).status, 403);
      assert.equal((await post(url, { authorization, origin: "http://localhost:6274" })).status, 200, "a local tool's page may call");
    });

    test("only POST on /mcp is served", async () => {
      const authorization = `Bearer ${TOKEN}`;
      assert.equal((await post(url.replace(/\/mcp$/, "/other"), { authorization })).status, 404);
      assert.equal((await post(url, { authorization }, "GET")).status, 405);
    });
  });
});

/** A raw request with a valid `initialize` body, so only the headers decide the answer. */
function post(url: string, headers: Record<string, string>, method = "POST") {
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
  };
  return send(method, url, method === "POST" ? JSON.stringify(initialize) : null, {
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
  });
}
