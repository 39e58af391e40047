// A 10 MiB body is refused with 413 without the agent reading it into
// memory: its resident set does not grow by anything like the body's size.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import { ListRuns } from "../../agent/protocol";
import { writeWorkflow } from "./agent-harness";
import { echoBodyWorkflow, post, registerWebhook, rssBytes, startTestAgent, type RegisteredWebhook, type TestAgent } from "./webhook-harness";

const MiB = 1024 * 1024;

/**
 * Sends `total` bytes in 64 KiB chunks, declared up front or chunked, over a
 * raw socket, and resolves with the status line the agent answered. A raw
 * socket because the agent answers 413 and hangs up while the body is still
 * being sent: an HTTP client then reports EPIPE and drops the answer it
 * already received, whereas here whatever arrived is read regardless of
 * write errors.
 */
function sendLarge(url: string, total: number, declared: boolean, signature: string): Promise<{ status: number }> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (received += d));
    socket.on("error", () => undefined); // EPIPE/ECONNRESET once the agent hangs up: expected.
    socket.on("close", () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (match) resolve({ status: Number(match[1]) });
      else reject(new Error(`no HTTP answer; got ${JSON.stringify(received.slice(0, 200))}`));
    });
    const head = [
      `POST ${pathname} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      `X-Clockwork-Signature: ${signature}`,
      declared ? `Content-Length: ${total}` : "Transfer-Encoding: chunked",
      "Connection: close",
      "",
      "",
    ].join("\r\n");
    const chunk = Buffer.alloc(64 * 1024, "x");
    const framed = declared ? chunk : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
    let sent = 0;
    const pump = () => {
      while (sent < total && !socket.destroyed && socket.writable) {
        sent += chunk.length;
        if (!socket.write(framed)) return void socket.once("drain", pump);
      }
      if (!declared && socket.writable) socket.write("0\r\n\r\n");
    };
    socket.once("connect", () => {
      socket.write(head);
      pump();
    });
  });
}

describe("oversized webhook bodies", { timeout: 60_000 }, () => {
  let t: TestAgent;
  let hook: RegisteredWebhook;

  before(async () => {
    t = await startTestAgent("webhook-mem");
    const file = writeWorkflow(t.work, "echo.workflow.ts", echoBodyWorkflow("echo-body"));
    hook = await registerWebhook(t, file, ["--name", "mem"]);
    // Warm up the request path so the baseline includes its one-time costs.
    for (let i = 0; i < 20; i++) {
      const body = JSON.stringify({ i });
      await post(`${hook.url}?wait=1`, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
    }
  });
  after(async () => t.stop());

  for (const declared of [true, false]) {
    test(`a 10 MiB body ${declared ? "with Content-Length" : "sent chunked"} gets 413 and the agent's memory does not grow by 10 MiB`, async () => {
      const baseline = rssBytes(t.agent.pid);
      const runsBefore = (await t.watcher.client.request(ListRuns, { trigger: "mem", limit: 1000 })).length;
      const result = await sendLarge(hook.url, 10 * MiB, declared, signBody(hook.secret, "whatever"));
      assert.equal(result.status, 413);
      const grown = rssBytes(t.agent.pid) - baseline;
      assert.ok(grown < 10 * MiB, `RSS grew by ${(grown / MiB).toFixed(1)} MiB`);
      assert.equal((await t.watcher.client.request(ListRuns, { trigger: "mem", limit: 1000 })).length, runsBefore);
      // The agent still serves requests afterwards.
      const body = "{}";
      assert.equal((await post(hook.url, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } })).status, 202);
    });
  }
});
