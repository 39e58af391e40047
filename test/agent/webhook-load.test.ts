// Load: 2,000 signed webhooks from 50 concurrent connections. Every 2xx
// answer names a run that exists exactly once (redeliveries included), and
// no accepted delivery is lost. The agent's memory under this load is a
// figure, not a pass/fail line: bench/webhook-memory.mjs measures it.
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { after, before, describe, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import { FINISHED_STATUSES, ListRuns, RunChanged } from "../../agent/protocol";
import { writeWorkflow } from "./agent-harness";
import { post, trivialWorkflow, registerWebhook, startTestAgent, type RegisteredWebhook, type TestAgent } from "./webhook-harness";

const TOTAL = 2000;
const CONNECTIONS = 50;
// Every tenth request redelivers an earlier delivery id.
const REDELIVERY_EVERY = 10;

describe("webhooks under load", { timeout: 180_000 }, () => {
  let t: TestAgent;
  let hook: RegisteredWebhook;

  before(async () => {
    t = await startTestAgent("webhook-load", { CLOCKWORK_MAX_CONCURRENT_RUNS: "8" });
    const file = writeWorkflow(t.work, "echo.workflow.ts", trivialWorkflow("load"));
    hook = await registerWebhook(t, file, ["--name", "load"]);
  });
  after(async () => t.stop());

  test("2,000 signed deliveries over 50 connections: each 2xx has exactly one run row and every run succeeds", async () => {
    // Bodies of a realistic size (a GitHub push event is a few KiB).
    const padding = "p".repeat(4 * 1024);
    const finished = new Set<string>();
    let wake: (() => void) | undefined;
    t.watcher.client.onNotification(RunChanged, (run) => {
      if (FINISHED_STATUSES.includes(run.status)) finished.add(run.id);
      wake?.();
    });
    const allFinished = async (ids: Iterable<string>) => {
      const list = [...ids];
      while (!list.every((id) => finished.has(id))) await new Promise<void>((resolve) => (wake = resolve));
    };

    const fire = async (prefix: string, total: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
      const answers: Array<{ delivery: string; status: number; runId: string | null }> = [];
      let next = 0;
      const worker = async () => {
        while (next < total) {
          const i = next++;
          const redelivery = i > 0 && i % REDELIVERY_EVERY === 0;
          const delivery = `${prefix}-${redelivery ? i - 1 : i}`;
          const body = JSON.stringify({ i: redelivery ? i - 1 : i, padding });
          const res = await post(hook.url, body, {
            agent,
            headers: { "x-clockwork-signature": signBody(hook.secret, body), "x-github-delivery": delivery, "content-type": "application/json" },
          });
          answers.push({ delivery, status: res.status, runId: res.status < 300 ? res.json<{ run_id: string }>().run_id : null });
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, worker));
      agent.destroy();
      return answers;
    };

    const answers = await fire("load", TOTAL);

    assert.equal(answers.length, TOTAL);
    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    assert.deepEqual([...statuses.keys()].filter((s) => s < 200 || s >= 300), [], `statuses: ${JSON.stringify([...statuses])}`);

    // One run per delivery id, and every redelivery named its first run.
    const byDelivery = new Map<string, Set<string>>();
    for (const a of answers) {
      const ids = byDelivery.get(a.delivery) ?? new Set<string>();
      ids.add(a.runId!);
      byDelivery.set(a.delivery, ids);
    }
    for (const [delivery, ids] of byDelivery) assert.equal(ids.size, 1, `${delivery} got runs ${[...ids].join(", ")}`);
    const answeredRuns = new Set(answers.map((a) => a.runId!));
    assert.equal(answeredRuns.size, TOTAL - Math.floor((TOTAL - 1) / REDELIVERY_EVERY));

    // Wait (on notifications) until every accepted run has finished.
    await allFinished(answeredRuns);

    const rows = await t.watcher.client.request(ListRuns, { trigger: "load", limit: 10_000 });
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    for (const id of answeredRuns) assert.equal(counts.get(id), 1, `run ${id} has ${counts.get(id) ?? 0} rows`);
    // Nothing beyond the answered runs was started.
    assert.equal(rows.length, answeredRuns.size);
    assert.ok(rows.every((r) => r.status === "success"), "every run succeeded");
  });
});
