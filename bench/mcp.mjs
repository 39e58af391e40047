// What an mcp step costs: a real agent (the built bundle) runs three one-step
// workflows, interleaved so machine noise hits all of them alike:
//   shell  — shell("s", ["echo", "hi"]), the baseline;
//   stdio  — server-everything's echo over stdio, the server started for the
//            run (and ended with it) included;
//   http   — the same tool over Streamable HTTP, against server-everything
//            started once beforehand: a session per run (handshake, tool
//            list, call, DELETE).
// Each time is run-now → finished: from sending clockwork/runs/start over the
// socket to the clockwork/runChanged notification saying the run finished.
// Beside them, the floor any MCP host pays: the SDK's own Client in this
// process, doing the same (spawn and handshake, or a session over HTTP; list
// the tools, call echo, close), with no Clockwork around it.
//
//   npm run build && node bench/mcp.mjs [runs]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { agentEnv, connectAgent, startAgent, stopAgent } from "./agentProcess.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const everything = join(root, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const runs = Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 50);
const dir = mkdtempSync(join(tmpdir(), "clockwork-bench-mcp-"));
const home = join(dir, "home");

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** server-everything over Streamable HTTP, resolved once it listens. */
async function startHttpServer() {
  const port = await freePort();
  const child = spawn(process.execPath, [everything, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  await new Promise((resolve, reject) => {
    let out = "";
    child.stderr.on("data", (d) => {
      out += d;
      if (out.includes(`listening on port ${port}`)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`server-everything exited ${code}: ${out}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/mcp` };
}

function workflow(name, step) {
  const file = join(dir, `${name}.workflow.ts`);
  writeFileSync(file, `import { defineWorkflow, mcp, shell } from "clockwork";\nexport default defineWorkflow({ name: ${JSON.stringify(name)}, steps: [${step}] });\n`);
  return file;
}

/** The same call by the SDK's Client alone: connect (spawning a stdio server), list tools, call echo, close. */
async function sdkCall(transport) {
  const start = process.hrtime.bigint();
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(transport);
  await client.listTools();
  await client.callTool({ name: "echo", arguments: { message: "hi" } });
  if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession();
  await client.close();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

let agent;
let http;
try {
  http = await startHttpServer();
  const stdioServer = `{ command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(everything)}, "stdio"] }`;
  const files = {
    shell: workflow("bench-shell", `shell("s", ["echo", "hi"])`),
    stdio: workflow("bench-stdio", `mcp("s", { server: ${stdioServer}, tool: "echo", arguments: { message: "hi" } })`),
    http: workflow("bench-http", `mcp("s", { server: { url: ${JSON.stringify(http.url)} }, tool: "echo", arguments: { message: "hi" } })`),
  };
  agent = await startAgent(agentEnv(home));
  const conn = await connectAgent(home);
  const finished = new Map();
  conn.onNotification("clockwork/runChanged", (run) => {
    if (run.finishedAt === null) return;
    const done = finished.get(run.id);
    if (typeof done === "function") done(run);
    else finished.set(run.id, run);
  });
  const once = async (file) => {
    const start = process.hrtime.bigint();
    const { runId } = await conn.sendRequest("clockwork/runs/start", { file });
    const run = finished.get(runId) ?? (await new Promise((resolve) => finished.set(runId, resolve)));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.status !== "success") throw new Error(`${file}: ${run.status}: ${run.error}`);
    return ms;
  };

  const sdk = {
    sdkStdio: () => sdkCall(new StdioClientTransport({ command: process.execPath, args: [everything, "stdio"], stderr: "ignore" })),
    sdkHttp: () => sdkCall(new StreamableHTTPClientTransport(new URL(http.url))),
  };
  // Warm-up: each workflow loaded once (the agent keeps it), the MCP client bundle loaded.
  for (const file of Object.values(files)) await once(file);
  for (const call of Object.values(sdk)) await call();
  const times = { shell: [], stdio: [], http: [], sdkStdio: [], sdkHttp: [] };
  for (let i = 0; i < runs; i++) {
    for (const [kind, file] of Object.entries(files)) times[kind].push(await once(file));
    for (const [kind, call] of Object.entries(sdk)) times[kind].push(await call());
  }

  const base = percentile(times.shell, 50);
  const line = (label, xs) => {
    const median = percentile(xs, 50);
    const extra = label === "shell echo" ? "(baseline)" : `+${(median - base).toFixed(1)} ms over shell`;
    return `${label.padEnd(28)} median ${median.toFixed(1).padStart(7)} ms   p99 ${percentile(xs, 99).toFixed(1).padStart(7)} ms   ${extra}`;
  };
  console.log(`run-now → finished, ${runs} runs of each, interleaved:`);
  console.log(line("shell echo", times.shell));
  console.log(line("mcp echo, stdio (+ start)", times.stdio));
  console.log(line("mcp echo, Streamable HTTP", times.http));
  console.log(`the SDK's Client alone, same calls:`);
  console.log(line("  stdio (spawn, handshake)", times.sdkStdio));
  console.log(line("  Streamable HTTP", times.sdkHttp));
  conn.dispose();
} finally {
  await stopAgent(agent);
  http?.child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
