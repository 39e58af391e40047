// Running a webhook's workflow by hand with one of its deliveries' payloads:
// clockwork/webhooks/deliveries lists them, clockwork/triggers/fire takes the
// chosen body and headers.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import { FireTrigger, GetRun, RegisterSchedule, WebhookDeliveries } from "../../agent/protocol";
import { echoBodyWorkflow, post, registerWebhook, startTestAgent, type RegisteredWebhook, type TestAgent } from "./webhook-harness";
import { shellWorkflow, writeWorkflow } from "./agent-harness";

describe("Run Now with a webhook's payload", { timeout: 60_000 }, () => {
  let t: TestAgent;
  let hook: RegisteredWebhook;

  before(async () => {
    t = await startTestAgent("webhook-run-now");
    const file = writeWorkflow(t.work, "gh.workflow.ts", echoBodyWorkflow("gh"));
    hook = await registerWebhook(t, file, ["--name", "gh", "--header", "x-github-event"]);
  });

  after(() => t?.stop());

  test("lists deliveries newest first with the headers the allow-list kept and a one-line preview", async () => {
    for (const [n, event] of [[1, "push"], [2, "issues"]] as const) {
      const body = JSON.stringify({ number: n, action: "opened" });
      const res = await post(`${hook.url}?wait=1`, body, {
        headers: { "x-clockwork-signature": signBody(hook.secret, body), "x-github-event": event, "x-other": "dropped" },
      });
      assert.equal(res.status, 200);
    }
    const deliveries = await t.watcher.client.request(WebhookDeliveries, { name: "gh" });
    assert.equal(deliveries.length, 2);
    assert.deepEqual(deliveries.map((d) => d.headers), [{ "x-github-event": "issues" }, { "x-github-event": "push" }]);
    assert.equal(deliveries[0]!.preview, '{"action":"opened","number":2}');
    assert.equal(deliveries[0]!.bytes, deliveries[0]!.preview.length);
    assert.equal(deliveries[0]!.status, "success");
  });

  test("runs the workflow with a chosen delivery's body and headers, as a manual run of the trigger", async () => {
    const [latest] = await t.watcher.client.request(WebhookDeliveries, { name: "gh", limit: 1 });
    const delivery = await t.watcher.client.request(GetRun, { id: latest!.runId });
    const { runId } = await t.watcher.client.request(FireTrigger, {
      name: "gh",
      body: delivery.trigger.body,
      headers: { "X-GitHub-Event": "issues" },
    });
    const run = await t.watcher.until((runs) => runs.find((r) => r.id === runId && r.status === "success"), "the run");
    assert.equal(run.triggerKind, "manual");
    assert.equal(run.triggerName, "gh");
    const record = await t.watcher.client.request(GetRun, { id: runId });
    assert.deepEqual(JSON.parse(record.steps[0]!.output!), {
      body: { number: 2, action: "opened" },
      headers: { "x-github-event": "issues" },
    });
    const after = await t.watcher.client.request(WebhookDeliveries, { name: "gh" });
    assert.equal(after.length, 2, "a manual run is not a delivery");
  });

  test("an empty body is a body: {trigger.body} reads as empty text", async () => {
    const file = writeWorkflow(t.work, "empty.workflow.ts", shellWorkflow("empty", "printf '[%s]' {trigger.body}"));
    const other = await registerWebhook(t, file, ["--name", "empty-body"]);
    assert.ok(other.secret);
    const { runId } = await t.watcher.client.request(FireTrigger, { name: "empty-body", body: "" });
    await t.watcher.until((runs) => runs.find((r) => r.id === runId && r.status === "success"), "the run");
    const record = await t.watcher.client.request(GetRun, { id: runId });
    assert.equal(record.steps[0]!.output, "[]");
  });

  test("asking for the deliveries of a trigger that is not a webhook is an Invalid error naming it", async () => {
    const file = writeWorkflow(t.work, "s.workflow.ts", shellWorkflow("s", "true"));
    await t.watcher.client.request(RegisterSchedule, { file, name: "a-schedule", cron: "0 0 1 1 *", timezone: "UTC" });
    await assert.rejects(t.watcher.client.request(WebhookDeliveries, { name: "a-schedule" }), /"a-schedule" is a schedule, not a webhook/);
    await assert.rejects(t.watcher.client.request(WebhookDeliveries, { name: "nope" }), /nope/);
  });
});
