// A 10 MiB body is refused with 413 without the agent reading it into
// memory: its resident set does not grow by anything like the body's size.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import { ListRuns } from "../../agent/protocol";
import { writeWorkflow } from "./agent-harness";
import { echoBodyWorkflow, post, registerWebhook, rssBytes, startTestAgent, type RegisteredWebhook, type TestAgent } from "./webhook-harness";

const MiB = 1024 * 1024;

/**
 * Sends `total` bytes in 64 KiB chunks, declared up front or chunked, and
 * resolves with the status. The agent hangs up after answering, so write
 * errors after the response are expected and ignored.
 */
function sendLarge(url: string, total: number, declared: boolean, signature: string): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "x-clockwork-signature": signature };
    if (declared) headers["content-length"] = String(total);
    let sent = 0;
    let status = 0;
    const req = request(url, { method: "POST", headers, agent: false }, (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.on("end", () => resolve({ status, sent }));
    });
    req.on("error", (error) => (status ? resolve({ status, sent }) : reject(error)));
    const chunk = Buffer.alloc(64 * 1024, "x");
    const pump = () => {
      while (sent < total && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
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
