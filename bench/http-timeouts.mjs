// Slow senders against the agent's HTTP server: how long a request whose
// headers, or whose body, trickle in one byte a second may hold its
// connection, against the documented limits (docs/http-api.md: headers
// within 10 s, the whole request within 30 s). A timing figure, so a
// benchmark rather than a test.
//
// Usage: npm run build && node bench/http-timeouts.mjs
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentEnv, cli, startAgent, stopAgent } from "./agentProcess.mjs";
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

const home = mkdtempSync(join(tmpdir(), "cw-bench-timeouts-"));
const scratch = mkdtempSync(join(tmpdir(), "cw-bench-timeouts-work-"));
const workflow = join(scratch, "ok.workflow.ts");
writeFileSync(workflow, `import { defineWorkflow, code } from "clockwork";\nexport default defineWorkflow({ name: "ok", steps: [code("main", () => "ok")] });\n`);
const env = agentEnv(home);

/** Sends `head`, then `trickle` one byte a second; resolves with how long until the agent answered or hung up, and what it said. */
function trickle(url, head, trickleBytes) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    const started = Date.now();
    let received = "";
    let timer;
    const done = () => {
      clearInterval(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? "none (connection closed)";
      resolve({ seconds: (Date.now() - started) / 1000, answer: status });
    };
    socket.setEncoding("latin1");
    socket.on("data", (d) => (received += d));
    socket.on("error", () => undefined);
    socket.on("close", done);
    socket.once("connect", () => {
      socket.write(head);
      let sent = 0;
      timer = setInterval(() => {
        if (sent < trickleBytes.length && socket.writable) socket.write(trickleBytes[sent++]);
      }, 1000);
    });
  });
}

let agent;
try {
  agent = await startAgent(env);
  const hook = JSON.parse(await cli(env, ["register-webhook", workflow, "--name", "slow", "--json"]));
  const { host, pathname } = new URL(hook.url);
  log("two slow senders, about 30 s");
  const [headers, body] = await Promise.all([
    trickle(hook.url, `POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\n`, "X-Slow: " + "y".repeat(100)),
    trickle(hook.url, `POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\nX-Clockwork-Signature: sha256=00\r\nContent-Length: 1000\r\n\r\n`, "z".repeat(1000)),
  ]);
  console.log("\nSlow senders (one byte a second)");
  console.table([
    { sender: "headers trickle in", "documented limit s": 10, "cut after s": headers.seconds.toFixed(1), answer: headers.answer },
    { sender: "body trickles in", "documented limit s": 30, "cut after s": body.seconds.toFixed(1), answer: body.answer },
  ]);
} finally {
  await stopAgent(agent);
  rmSync(home, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}
