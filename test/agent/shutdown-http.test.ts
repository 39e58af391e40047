// Shutdown keeps its word over HTTP: during the grace period the listener
// stays open and new deliveries get 503 with Retry-After, a `?wait=1` caller
// whose run finishes within the grace gets its answer, and a run cut short
// by a second signal says so (not that the grace period ended).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import { AgentStatusChanged, type RunRecord } from "../../agent/protocol";
import { writeWorkflow } from "./agent-harness";
import { post, registerWebhook, startTestAgent, type TestAgent } from "./webhook-harness";

/** A code step that waits `ms`, or until cancelled. */
const waitingWorkflow = (name: string, ms: number) => `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({
  name: ${JSON.stringify(name)},
  steps: [code("wait", ({ signal }) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve("waited"), ${ms});
    signal.addEventListener("abort", () => { clearTimeout(timer); reject(signal.reason); });
  }))],
});
`;

const agents: TestAgent[] = [];
after(async () => {
  for (const t of agents) await t.stop();
});

async function agentWithHook(label: string, ms: number, env: NodeJS.ProcessEnv = {}) {
  const t = await startTestAgent(label, env);
  agents.push(t);
  const file = writeWorkflow(t.work, "wait.workflow.ts", waitingWorkflow("wait", ms));
  const hook = await registerWebhook(t, file, ["--name", "wait"]);
  const deliver = (query = "") => {
    const body = JSON.stringify({ at: Date.now() });
    return post(`${hook.url}${query}`, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
  };
  const running = () => t.watcher.until((runs) => runs.find((r) => r.status === "running"), "a run to start");
  const stopping = new Promise<void>((resolve) => t.watcher.client.onNotification(AgentStatusChanged, (s) => s.stopping && resolve()));
  return { t, deliver, running, stopping };
}

test("after SIGTERM the listener answers 503 with Retry-After, and a ?wait=1 caller whose run ends within the grace gets the run", async () => {
  const { t, deliver, running, stopping } = await agentWithHook("shutdown-wait", 1500);
  const waiting = deliver("?wait=1");
  const run = await running();
  process.kill(t.agent.pid, "SIGTERM");
  await stopping;

  const refused = await deliver();
  assert.equal(refused.status, 503);
  assert.deepEqual(refused.json(), { error: "the agent is shutting down" });
  assert.match(String(refused.headers["retry-after"]), /^\d+$/);

  const answered = await waiting;
  assert.equal(answered.status, 200, answered.text);
  const record = answered.json<RunRecord>();
  assert.equal(record.id, run.id);
  assert.equal(record.status, "success");
  assert.equal(await t.agent.exited(), 0);
});

test("a ?wait=1 caller whose run is still queued when the agent stops gets its 202: the run is kept for the next start", async () => {
  const { t, deliver, running, stopping } = await agentWithHook("shutdown-queued", 1500, { CLOCKWORK_MAX_CONCURRENT_RUNS: "1" });
  const first = deliver("?wait=1");
  const run = await running();
  const second = deliver("?wait=1");
  const queued = await t.watcher.until((runs) => runs.find((r) => r.id !== run.id && r.status === "queued"), "a second run to queue");
  process.kill(t.agent.pid, "SIGTERM");
  await stopping;

  assert.equal((await first).status, 200);
  const kept = await second;
  assert.equal(kept.status, 202, kept.text);
  assert.deepEqual(kept.json(), { run_id: queued.id });
  assert.equal(await t.agent.exited(), 0);
});

test("a second SIGTERM ends the grace early, and the cancelled run says so with the time it had", async () => {
  const { t, deliver, running, stopping } = await agentWithHook("shutdown-twice", 60_000);
  const waiting = deliver("?wait=1");
  const run = await running();
  process.kill(t.agent.pid, "SIGTERM");
  await stopping;
  process.kill(t.agent.pid, "SIGTERM");

  const answered = await waiting;
  assert.equal(answered.status, 200, "the ?wait=1 caller gets the cancelled run, not a cut connection");
  const record = answered.json<RunRecord>();
  assert.equal(record.id, run.id);
  assert.equal(record.status, "cancelled");
  assert.match(record.error ?? "", /the agent was stopping \(SIGTERM\) and a second SIGTERM ended its grace period early, after \d+ of 30000 ms$/);
  assert.doesNotMatch(record.error ?? "", /grace period of 30000 ms ended/);
  assert.equal(await t.agent.exited(), 0);
});
