// POST /run against real agents: absent without CLOCKWORK_API_TOKEN, the
// bearer token checked, only workflows the agent knows, never a path from
// the request.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { GetRun, ListRuns, type RunRecord } from "../../agent/protocol";
import { runCli } from "../helpers/cli";
import { shellWorkflow, writeWorkflow } from "./agent-harness";
import { echoBodyWorkflow, post, startTestAgent, type TestAgent } from "./webhook-harness";

const TOKEN = "test-token-" + "t".repeat(40);

describe("POST /run without a token configured", { timeout: 30_000 }, () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent("api-off", { CLOCKWORK_API_TOKEN: "" });
    const file = writeWorkflow(t.work, "echo.workflow.ts", echoBodyWorkflow("echo-body"));
    assert.equal((await runCli(["register-webhook", file, "--name", "known"], { env: t.env })).code, 0);
  });
  after(async () => t.stop());

  test("answers 404 as if the route did not exist, whatever the request carries", async () => {
    for (const authorization of [undefined, "Bearer ", `Bearer ${TOKEN}`]) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const res = await post(`${t.url}/run`, JSON.stringify({ workflow: "known" }), { headers });
      assert.equal(res.status, 404);
    }
    assert.equal((await t.watcher.client.request(ListRuns, { limit: 100 })).length, 0);
  });
});

describe("POST /run with CLOCKWORK_API_TOKEN", { timeout: 30_000 }, () => {
  let t: TestAgent;
  let file: string;
  before(async () => {
    t = await startTestAgent("api-on", { CLOCKWORK_API_TOKEN: TOKEN });
    file = writeWorkflow(t.work, "echo.workflow.ts", echoBodyWorkflow("echo-body"));
    assert.equal((await runCli(["register-webhook", file, "--name", "by-trigger"], { env: t.env })).code, 0);
  });
  after(async () => t.stop());

  const call = (body: unknown, authorization?: string, query = "") =>
    post(`${t.url}/run${query}`, JSON.stringify(body), { headers: authorization ? { authorization } : {} });

  test("a missing or wrong token gets 401 and runs nothing", async () => {
    for (const auth of [undefined, "Bearer wrong", `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`]) {
      assert.equal((await call({ workflow: "by-trigger" }, auth)).status, 401, String(auth));
    }
    assert.equal((await t.watcher.client.request(ListRuns, { limit: 100 })).length, 0);
  });

  test("the right token runs a registered trigger's workflow with the body as {trigger.body}", async () => {
    const res = await call({ workflow: "by-trigger", body: { n: 42 } }, `Bearer ${TOKEN}`);
    assert.equal(res.status, 202, res.text);
    const run = await t.watcher.client.request(GetRun, { id: res.json<{ run_id: string }>().run_id });
    assert.equal(run.triggerKind, "api");
    assert.equal(run.triggerName, "by-trigger");
    assert.deepEqual(run.trigger.body, { n: 42 });
  });

  test("a workflow is also found by its workflow name, and ?wait=1 returns the finished record", async () => {
    const res = await call({ workflow: "echo-body", body: "text" }, `Bearer ${TOKEN}`, "?wait=1");
    assert.equal(res.status, 200, res.text);
    const run = res.json<RunRecord>();
    assert.equal(run.status, "success");
    assert.equal(run.steps[0]!.output, JSON.stringify({ body: "text", headers: null }));
  });

  test("a workflow the agent does not know, or a path, gets 404 and nothing runs", async () => {
    const outside = writeWorkflow(t.work, "outside.workflow.ts", shellWorkflow("outside", `touch ${join(t.work, "RAN")}`));
    const before = (await t.watcher.client.request(ListRuns, { limit: 100 })).length;
    for (const workflow of ["nope", outside, "./outside.workflow.ts", "outside", "../echo.workflow.ts"]) {
      const res = await call({ workflow }, `Bearer ${TOKEN}`);
      assert.equal(res.status, 404, workflow);
    }
    assert.equal((await t.watcher.client.request(ListRuns, { limit: 100 })).length, before);
    assert.equal(existsSync(join(t.work, "RAN")), false);
  });

  test("a body that is not {workflow} gets 400", async () => {
    assert.equal((await post(`${t.url}/run`, "not json", { headers: { authorization: `Bearer ${TOKEN}` } })).status, 400);
    assert.equal((await call({ body: {} }, `Bearer ${TOKEN}`)).status, 400);
    assert.equal((await call(["by-trigger"], `Bearer ${TOKEN}`)).status, 400);
  });
});
