// The mcp step in a real agent, against the reference MCP servers from npm:
// server-everything over stdio and over Streamable HTTP, server-filesystem
// on a temporary folder, servers named in $CLOCKWORK_HOME/mcp.json, a
// webhook's fields reaching a tool, and the editor's view of mcp steps.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import type { RunRecord } from "../../agent/protocol";
import { writeWorkflow } from "./agent-harness";
import { EVERYTHING, everythingStdio, FILESYSTEM, NODE, runInAgent, runLog, serverPids, startHttpEverything, writeMcpConfig, type HttpEverything } from "./mcp-harness";
import { isAlive } from "../helpers/processes";
import { post, registerWebhook, startTestAgent, type TestAgent } from "./webhook-harness";

const SECRET = "agent-side-secret-value";

describe("mcp steps against the reference servers", { timeout: 180_000 }, () => {
  let t: TestAgent;
  let web: HttpEverything;
  let files: string;

  before(async () => {
    web = await startHttpEverything();
    t = await startTestAgent("mcp-step", { MCP_TEST_SECRET: SECRET });
    files = join(t.work, "files");
    mkdirSync(files);
    writeMcpConfig(t.home, {
      servers: {
        everything: { type: "stdio", command: NODE, args: [EVERYTHING, "stdio"], env: { FROM_AGENT: "${env:MCP_TEST_SECRET}" } },
        web: { type: "http", url: web.url },
      },
      mcpServers: { files: { command: NODE, args: [FILESYSTEM, files] } },
    });
  });
  after(async () => {
    await t?.stop();
    await web?.stop();
  });

  const workflow = (name: string, steps: string[]) =>
    writeWorkflow(
      t.work,
      `${name}.workflow.ts`,
      `import { defineWorkflow, mcp, shell } from "clockwork";
export default defineWorkflow({ name: ${JSON.stringify(name)}, steps: [
  ${steps.join(",\n  ")},
] });
`,
    );
  const output = (run: RunRecord, step: string) => run.steps.find((s) => s.name === step)?.output;

  test("over stdio: echo, get-sum and structured content in one session, whose server ends with the run", async () => {
    const file = workflow("stdio", [
      `mcp("echo", { server: "everything", tool: "echo", arguments: { message: "hi {trigger.body.name}" } })`,
      `mcp("sum", { server: "everything", tool: "get-sum", arguments: { a: "{trigger.body.a}", b: 3 } })`,
      `mcp("weather", { server: "everything", tool: "get-structured-content", arguments: { location: "Chicago" } })`,
      `shell("both", ["echo", "{echo} / {sum}"])`,
    ]);
    const run = await runInAgent(t.watcher, file, { name: "bob", a: 4 });
    assert.equal(run.status, "success", run.error ?? "");
    assert.equal(output(run, "echo"), "Echo: hi bob");
    assert.equal(output(run, "sum"), "The sum of 4 and 3 is 7.");
    assert.deepEqual(JSON.parse(output(run, "weather")!), { temperature: 36, conditions: "Light rain / drizzle", humidity: 82 });
    assert.equal(output(run, "both"), "Echo: hi bob / The sum of 4 and 3 is 7.");
    const log = await runLog(t.watcher, run.id);
    const pids = serverPids(log);
    assert.equal(pids.length, 1, "the run's steps share one server");
    assert.equal(isAlive(pids[0]!), false, "the server ended with the run");
    // What the run panel shows for a call: its arguments and its result.
    const sumLines = log.filter((c) => c.step === 1).map((c) => `${c.stream}: ${c.text}`);
    assert.ok(sumLines.includes('info: call get-sum {"a":4,"b":3}\n'), sumLines.join(""));
    assert.ok(sumLines.includes("stdout: The sum of 4 and 3 is 7.\n"), sumLines.join(""));
  });

  test("${env:NAME} in mcp.json hands an agent variable to the server, which inherits nothing else of the agent's", async () => {
    const run = await runInAgent(t.watcher, workflow("env", [`mcp("env", { server: "everything", tool: "get-env" })`]));
    assert.equal(run.status, "success", run.error ?? "");
    const env = JSON.parse(output(run, "env")!) as Record<string, string>;
    assert.equal(env.FROM_AGENT, SECRET);
    assert.equal(env.MCP_TEST_SECRET, undefined);
    assert.equal(env.CLOCKWORK_HOME, undefined);
    assert.equal(env.PATH, process.env.PATH);
  });

  test("over Streamable HTTP: echo and get-sum in one session, terminated when the run ends", async () => {
    const before = (web.output().match(/Session initialized/g) ?? []).length;
    const file = workflow("http", [
      `mcp("echo", { server: "web", tool: "echo", arguments: { message: "over http" } })`,
      `mcp("sum", { server: { url: ${JSON.stringify(web.url)} }, tool: "get-sum", arguments: { a: 1.5, b: 2 } })`,
      `mcp("again", { server: "web", tool: "echo", arguments: { message: "{sum}" } })`,
    ]);
    const run = await runInAgent(t.watcher, file);
    assert.equal(run.status, "success", run.error ?? "");
    assert.equal(output(run, "echo"), "Echo: over http");
    assert.equal(output(run, "again"), "Echo: The sum of 1.5 and 2 is 3.5.");
    const sessions = (web.output().match(/Session initialized/g) ?? []).length - before;
    assert.equal(sessions, 2, "one session for the named server, one for the same URL written inline");
    assert.equal((web.output().match(/Received session termination request/g) ?? []).length >= sessions, true);
  });

  test("server-filesystem on a temporary folder: a webhook's fields name the file and its text", async () => {
    const file = workflow("notes", [
      `mcp("write", { server: "files", tool: "write_file", arguments: { path: ${JSON.stringify(files)} + "/{trigger.body.file}", content: "{trigger.body.text}" } })`,
      `mcp("list", { server: "files", tool: "list_directory", arguments: { path: ${JSON.stringify(files)} } })`,
      `mcp("read", { server: "files", tool: "read_text_file", arguments: { path: ${JSON.stringify(files)} + "/{trigger.body.file}" } })`,
      `shell("show", ["printf", "%s", "{read}"])`,
    ]);
    const hook = await registerWebhook(t, file, ["--name", "notes"]);
    const text = "line one\n$(touch PWNED) `id` 'quoted'";
    const body = JSON.stringify({ file: "note.txt", text });
    const res = await post(`${hook.url}?wait=1`, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
    assert.equal(res.status, 200, res.text);
    const run = res.json<RunRecord>();
    assert.equal(run.status, "success", run.error ?? "");
    assert.equal(readFileSync(join(files, "note.txt"), "utf8"), text);
    assert.match(JSON.parse(output(run, "list")!).content, /\[FILE\] note\.txt/);
    // structuredContent comes as JSON, which the next step reads.
    assert.deepEqual(JSON.parse(output(run, "show")!), { content: text });
  });

  test("a huge result is capped with the marker every output has", async () => {
    writeFileSync(join(files, "big.txt"), "x".repeat(3 * 1024 * 1024));
    const run = await runInAgent(t.watcher, workflow("big", [`mcp("read", { server: "files", tool: "read_text_file", arguments: { path: ${JSON.stringify(join(files, "big.txt"))} } })`]));
    assert.equal(run.status, "success", run.error ?? "");
    const out = output(run, "read")!;
    assert.match(out, /\n\[… output truncated by Clockwork: 3(\.0)? MiB in total, the first 1(\.0)? MiB kept\]$/);
    assert.ok(Buffer.byteLength(out) < 1024 * 1024 + 200);
  });

  test("a tool's error result fails the step with the tool's message; arguments that do not fit its schema show the server's error", async () => {
    const missing = join(files, "missing.txt");
    const read = await runInAgent(t.watcher, workflow("toolerr", [`mcp("read", { server: "files", tool: "read_text_file", arguments: { path: ${JSON.stringify(missing)} } })`]));
    assert.equal(read.status, "failed");
    assert.match(read.steps[0]!.error!, /^tool "read_text_file" on MCP server "files" returned an error: .*ENOENT/);
    const sum = await runInAgent(t.watcher, workflow("schema", [`mcp("sum", { server: "everything", tool: "get-sum", arguments: { a: "two", b: 2 } })`]));
    assert.equal(sum.status, "failed");
    assert.match(sum.steps[0]!.error!, /^tool "get-sum" on MCP server "everything" returned an error: MCP error -32602: Input validation error: .*expected number, received string/);
    const overHttp = await runInAgent(t.watcher, workflow("schemahttp", [`mcp("sum", { server: "web", tool: "get-sum", arguments: { a: 1 } })`]));
    assert.match(overHttp.steps[0]!.error!, /^tool "get-sum" on MCP server "web" returned an error: MCP error -32602: Input validation error: .*\bb\b/);
  });

  test("an unknown tool fails with the tools the server offers", async () => {
    const run = await runInAgent(t.watcher, workflow("notool", [`mcp("x", { server: "everything", tool: "echoo", arguments: { message: "x" } })`]));
    assert.equal(run.status, "failed");
    assert.match(run.steps[0]!.error!, /^MCP server "everything" has no tool "echoo" \(did you mean "echo"\?\); it offers: echo, .*get-sum.*trigger-long-running-operation/);
    assert.equal(run.steps[0]!.attempts, 1);
  });

  test("a long-running tool: the step's timeout cancels the call and ends the stdio server's process group", async () => {
    const file = workflow("hang", [
      `mcp("long", { server: { command: ${JSON.stringify(NODE)}, args: [${JSON.stringify(EVERYTHING)}, "stdio"] }, tool: "trigger-long-running-operation", arguments: { duration: 120, steps: 120 }, timeout: "3s" })`,
    ]);
    const run = await runInAgent(t.watcher, file);
    assert.equal(run.status, "failed");
    assert.equal(run.steps[0]!.error, "timed out after 3.0s; the call was cancelled and the session with its MCP server ended");
    const [pid] = serverPids(await runLog(t.watcher, run.id));
    assert.ok(pid !== undefined);
    assert.equal(isAlive(pid), false);
  });

  test("over HTTP, a timed-out call is cancelled and its session terminated", async () => {
    const before = (web.output().match(/Received session termination request/g) ?? []).length;
    const run = await runInAgent(
      t.watcher,
      workflow("hanghttp", [`mcp("long", { server: "web", tool: "trigger-long-running-operation", arguments: { duration: 120, steps: 120 }, timeout: "2s" })`]),
    );
    assert.equal(run.steps[0]!.error, "timed out after 2.0s; the call was cancelled and the session with its MCP server ended");
    assert.equal((web.output().match(/Received session termination request/g) ?? []).length, before + 1);
  });

  test("inline stdio servers and arguments from earlier steps: placeholders are values, never shell words", async () => {
    const file = workflow("inline", [
      `shell("word", "printf '%s' '$(id); rm -rf ~'")`,
      `mcp("echo", { server: ${everythingStdio()}, tool: "echo", arguments: { message: "{word}" } })`,
    ]);
    const run = await runInAgent(t.watcher, file);
    assert.equal(run.status, "success", run.error ?? "");
    assert.equal(output(run, "echo"), "Echo: $(id); rm -rf ~");
  });
});
