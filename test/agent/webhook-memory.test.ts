// A body over the webhook's limit is refused with 413 without being read
// into memory. What is asserted is the agent's own bookkeeping of the body
// bytes it holds (GET /healthz), which cannot flake; the resident-memory
// figures are in bench/webhook-memory.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import { ListRuns } from "../../agent/protocol";
import { writeWorkflow } from "./agent-harness";
import { bodyFigures, echoBodyWorkflow, post, rawUpload, registerWebhook, startTestAgent, type RegisteredWebhook, type TestAgent } from "./webhook-harness";

const MiB = 1024 * 1024;
const LIMIT = MiB; // the default --max-body

describe("oversized webhook bodies", { timeout: 60_000 }, () => {
  let t: TestAgent;
  let hook: RegisteredWebhook;

  before(async () => {
    t = await startTestAgent("webhook-mem");
    const file = writeWorkflow(t.work, "echo.workflow.ts", echoBodyWorkflow("echo-body"));
    hook = await registerWebhook(t, file, ["--name", "mem"]);
  });
  after(async () => t.stop());

  for (const declared of [true, false]) {
    test(`a 10 MiB body ${declared ? "with Content-Length" : "sent chunked"} gets 413 and no more of it than the limit is ever held`, async () => {
      const runsBefore = (await t.watcher.client.request(ListRuns, { trigger: "mem", limit: 1000 })).length;
      const upload = rawUpload(hook.url, { total: 10 * MiB, declared, headers: { "X-Clockwork-Signature": signBody(hook.secret, "whatever") } });
      assert.equal((await upload.answer).status, 413);
      upload.close();
      const figures = await bodyFigures(t.url);
      // A declared length over the limit reserves nothing; a chunked body
      // is held up to the limit, and dropped when the next chunk crosses it.
      assert.ok(figures.peakBytes <= LIMIT, `peak ${figures.peakBytes} bytes held`);
      assert.equal(figures.inFlightBytes, 0, "nothing is held once the answer is out");
      assert.equal((await t.watcher.client.request(ListRuns, { trigger: "mem", limit: 1000 })).length, runsBefore);
      // The agent still serves requests afterwards.
      const body = "{}";
      assert.equal((await post(hook.url, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } })).status, 202);
    });
  }
});
