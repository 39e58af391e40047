// Signed webhooks against a real agent over real HTTP: GitHub payloads
// signed by GitHub's own signer, Stripe events signed by Stripe's test
// helper, every status code, the delivery dedupe, the header allow-list,
// ?wait=1, rotation and imported secrets.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import examples from "@octokit/webhooks-examples";
import Stripe from "stripe";
import { signBody } from "../../agent/core/signature";
import { ListRuns, ListTriggers, GetRun, type RunRecord } from "../../agent/protocol";
import { runCli } from "../helpers/cli";
import { writeWorkflow } from "./agent-harness";
import { echoBodyWorkflow, post, registerWebhook, send, startTestAgent, type RegisteredWebhook, type TestAgent } from "./webhook-harness";

// GitHub's signer is an ES module only; load it the way a CommonJS test can.
const githubSign = async (secret: string, payload: string): Promise<string> =>
  (await import("@octokit/webhooks-methods")).sign(secret, payload);

function githubExample(event: string): string {
  const entry = (examples as Array<{ name: string; examples: unknown[] }>).find((e) => e.name === event);
  assert.ok(entry && entry.examples.length > 0, `the examples package has ${event} payloads`);
  return JSON.stringify(entry.examples[0]);
}

describe("signed webhooks in a running agent", { timeout: 60_000 }, () => {
  let t: TestAgent;
  let file: string;
  let hook: RegisteredWebhook;

  before(async () => {
    t = await startTestAgent("webhook");
    file = writeWorkflow(t.work, "echo.workflow.ts", echoBodyWorkflow("echo-body"));
    hook = await registerWebhook(t, file, ["--name", "gh", "--header", "X-Request-Id"]);
  });
  after(async () => t.stop());

  test("registration prints the URL on the agent's address and a 256-bit secret that no listing shows", async () => {
    assert.equal(hook.url, `${t.url}/webhook/gh`);
    assert.match(hook.secret, /^[0-9a-f]{64}$/);
    const listed = await runCli(["list-triggers", "--json"], { env: t.env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(hook.secret), "the secret is not in the listing");
    const table = await runCli(["list-triggers"], { env: t.env });
    assert.match(table.stdout, /gh\s+webhook\s+echo-body\s+active\s+—\s+http:\/\/127\.0\.0\.1:\d+\/webhook\/gh/);
    assert.ok(!table.stdout.includes(hook.secret));
  });

  test("a real GitHub push signed by GitHub's signer is accepted with 202 and becomes one webhook run", async () => {
    const payload = githubExample("push");
    const res = await post(hook.url, payload, {
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": "delivery-push-1",
        "x-hub-signature-256": await githubSign(hook.secret, payload),
        "x-request-id": "req-7",
        "x-not-listed": "hidden",
        authorization: "Bearer leak",
        cookie: "session=leak",
      },
    });
    assert.equal(res.status, 202, res.text);
    const { run_id } = res.json<{ run_id: string }>();
    const run = await t.watcher.client.request(GetRun, { id: run_id });
    assert.equal(run.triggerKind, "webhook");
    assert.equal(run.triggerName, "gh");
    assert.deepEqual(run.trigger.body, JSON.parse(payload));
    assert.deepEqual(run.trigger.headers, {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": "delivery-push-1",
      "x-request-id": "req-7",
    });
  });

  test("a repeated GitHub delivery id returns the first run instead of running again", async () => {
    const payload = githubExample("issues");
    const headers = { "x-github-delivery": "delivery-issues-1", "x-hub-signature-256": await githubSign(hook.secret, payload) };
    const first = await post(hook.url, payload, { headers });
    const second = await post(hook.url, payload, { headers });
    assert.equal(first.status, 202);
    assert.equal(second.status, 200);
    assert.equal(second.json<{ run_id: string }>().run_id, first.json<{ run_id: string }>().run_id);
    const runs = await t.watcher.client.request(ListRuns, { trigger: "gh", limit: 1000 });
    assert.equal(runs.filter((r) => r.id === first.json<{ run_id: string }>().run_id).length, 1);
    // Another delivery id with the same body is a new delivery.
    const third = await post(hook.url, payload, { headers: { ...headers, "x-github-delivery": "delivery-issues-2" } });
    assert.equal(third.status, 202);
    assert.notEqual(third.json<{ run_id: string }>().run_id, first.json<{ run_id: string }>().run_id);
  });

  test("?wait=1 answers with the finished run record", async () => {
    const body = JSON.stringify({ hello: "wait" });
    const res = await post(`${hook.url}?wait=1`, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
    assert.equal(res.status, 200, res.text);
    const run = res.json<RunRecord>();
    assert.equal(run.status, "success");
    assert.equal(run.steps[0]!.output, JSON.stringify({ body: { hello: "wait" }, headers: {} }));
  });

  for (const [label, headers] of [
    ["no signature", {}],
    ["a signature made with another secret", { "x-clockwork-signature": signBody("x".repeat(64), "{}") }],
    ["a malformed signature", { "x-clockwork-signature": "sha256=not-hex" }],
    ["a wrong prefix", { "x-hub-signature-256": "sha1=" + "0".repeat(40) }],
  ] as const) {
    test(`${label} gets 401 and starts no run`, async () => {
      const before = await t.watcher.client.request(ListRuns, { trigger: "gh", limit: 1000 });
      const rejectedBody = JSON.stringify({ label });
      const res = await post(hook.url, rejectedBody, { headers });
      assert.equal(res.status, 401);
      assert.deepEqual(res.json(), { error: "invalid signature" });
      const afterRuns = await t.watcher.client.request(ListRuns, { trigger: "gh", limit: 1000 });
      assert.equal(afterRuns.length, before.length);
    });
  }

  test("an unknown name and a paused webhook both answer 404", async () => {
    const body = "{}";
    const unknown = await post(`${t.url}/webhook/nobody`, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
    assert.equal(unknown.status, 404);
    assert.equal((await runCli(["pause", "gh"], { env: t.env })).code, 0);
    const paused = await post(hook.url, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
    assert.equal(paused.status, 404);
    assert.equal((await runCli(["resume", "gh"], { env: t.env })).code, 0);
    const resumed = await post(hook.url, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
    assert.equal(resumed.status, 202);
  });

  test("only the three routes exist", async () => {
    const health = await send("GET", `${t.url}/healthz`, null);
    assert.equal(health.status, 200);
    // The earlier tests were refused with 401 and 404 and counted.
    const counts = health.json<{ requests: { accepted: number; rejected: Record<string, number> } }>().requests;
    assert.ok(counts.accepted > 0);
    assert.ok((counts.rejected["401"] ?? 0) >= 4, JSON.stringify(counts));
    assert.ok((counts.rejected["404"] ?? 0) >= 2, JSON.stringify(counts));
    assert.equal((await send("GET", `${t.url}/`, null)).status, 404);
    assert.equal((await send("GET", hook.url, null)).status, 404);
    // Without CLOCKWORK_API_TOKEN, /run does not exist.
    assert.equal((await post(`${t.url}/run`, JSON.stringify({ workflow: "gh" }))).status, 404);
  });

  test("a body over the registration's limit gets 413, whether declared or streamed", async () => {
    const small = await registerWebhook(t, file, ["--name", "small", "--max-body", "1k"]);
    const big = Buffer.alloc(2048, "a");
    const declared = await post(small.url, big, { headers: { "x-clockwork-signature": signBody(small.secret, big) } });
    assert.equal(declared.status, 413);
    const streamed = await new Promise<number>((resolve, reject) => {
      // Chunked transfer: no Content-Length to refuse early, the count does it.
      const headers = { "x-clockwork-signature": signBody(small.secret, big) };
      const req = request(small.url, { method: "POST", headers, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write(big.subarray(0, 1000));
      req.write(big.subarray(1000));
      req.end();
    });
    assert.equal(streamed, 413);
    const fits = Buffer.alloc(1024, "a");
    assert.equal((await post(small.url, fits, { headers: { "x-clockwork-signature": signBody(small.secret, fits) } })).status, 202);
  });

  test("a Stripe event signed by Stripe's helper is accepted and deduplicated by its event id", async () => {
    const stripe = new Stripe("sk_test_x");
    const secret = "whsec_" + "s".repeat(32);
    const stripeHook = await registerWebhook(t, file, ["--name", "stripe", "--secret-stdin"], secret + "\n");
    assert.equal(stripeHook.secret, "", "an imported secret is not printed back");
    const payload = JSON.stringify({ id: "evt_test_1", object: "event", type: "invoice.paid", data: { object: { id: "in_1" } } });
    const signed = () => ({ "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret }) });
    const first = await post(stripeHook.url, payload, { headers: signed() });
    assert.equal(first.status, 202, first.text);
    const again = await post(stripeHook.url, payload, { headers: signed() });
    assert.equal(again.status, 200);
    assert.equal(again.json<{ run_id: string }>().run_id, first.json<{ run_id: string }>().run_id);
    const stale = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(Date.now() / 1000) - 600 });
    assert.equal((await post(stripeHook.url, payload, { headers: { "stripe-signature": stale } })).status, 401);
  });

  test("registering the same name again rotates the secret: the old one stops working", async () => {
    const first = await registerWebhook(t, file, ["--name", "rotating"]);
    const second = await registerWebhook(t, file, ["--name", "rotating"]);
    assert.notEqual(first.secret, second.secret);
    const body = JSON.stringify({ n: 1 });
    assert.equal((await post(second.url, body, { headers: { "x-clockwork-signature": signBody(first.secret, body) } })).status, 401);
    assert.equal((await post(second.url, body, { headers: { "x-clockwork-signature": signBody(second.secret, body) } })).status, 202);
    const triggers = await t.watcher.client.request(ListTriggers, { type: "webhook" });
    assert.equal(triggers.filter((x) => x.name === "rotating").length, 1);
  });

  test("credential headers cannot be exposed to runs", async () => {
    const refused = await runCli(["register-webhook", file, "--name", "leaky", "--header", "Authorization"], { env: t.env });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /credentials/);
  });
});
