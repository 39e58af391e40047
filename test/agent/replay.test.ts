// Replay against a real agent: a GitHub delivery signed by GitHub's own
// signer, replayed as it came and with an edited body; what the replay
// records and how show and history print it; the refusals (an unknown run,
// a body that is not JSON, a workflow file that is gone); and a replay with
// no agent running, which runs in the terminal.
import assert from "node:assert/strict";
import { renameSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import examples from "@octokit/webhooks-examples";
import { FINISHED_STATUSES, GetRun, type RunRecord, type RunSummary } from "../../agent/protocol";
import { runCli, runCliJson } from "../helpers/cli";
import { AgentProcess, writeWorkflow } from "./agent-harness";
import { post, registerWebhook, startTestAgent, type RegisteredWebhook, type TestAgent } from "./webhook-harness";

const githubSign = async (secret: string, payload: string): Promise<string> =>
  (await import("@octokit/webhooks-methods")).sign(secret, payload);

/** A GitHub `issues` example payload: its action and issue number are what the workflow echoes. */
function issuesPayload(): { text: string; action: string; number: number } {
  const entry = (examples as Array<{ name: string; examples: Array<{ action: string; issue: { number: number } }> }>).find((e) => e.name === "issues")!;
  const example = entry.examples[0]!;
  return { text: JSON.stringify(example), action: example.action, number: example.issue.number };
}

/** One shell step that prints what the trigger handed it: placeholders resolve strictly, so a missing one fails the run. */
const ECHO_TRIGGER = `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({
  name: "on-issue",
  steps: [shell("seen", "echo {trigger.kind} {trigger.headers.x-github-event} {trigger.body.action} {trigger.body.issue.number}")],
});
`;

describe("replaying a signed GitHub delivery", { timeout: 120_000 }, () => {
  let t: TestAgent;
  let file: string;
  let hook: RegisteredWebhook;
  let original: RunRecord;
  const payload = issuesPayload();

  before(async () => {
    t = await startTestAgent("replay");
    file = writeWorkflow(t.work, "on-issue.workflow.ts", ECHO_TRIGGER);
    hook = await registerWebhook(t, file, ["--name", "issues-hook"]);
    const res = await post(`${hook.url}?wait=1`, payload.text, {
      headers: {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": "delivery-replay-1",
        "x-hub-signature-256": await githubSign(hook.secret, payload.text),
      },
    });
    assert.equal(res.status, 200, res.text);
    original = res.json<RunRecord>();
    assert.equal(original.status, "success", original.error ?? "");
  });
  after(async () => t?.stop());

  test("the replay sees the same body and headers, records replay_of, and is not refused as a repeated delivery", async () => {
    assert.equal(original.steps[0]!.output, `webhook issues ${payload.action} ${payload.number}`);
    const replay = await runCliJson<RunRecord>(["replay", original.id, "--wait", "--json"], { env: t.env });
    assert.equal(replay.status, "success", replay.error ?? "");
    assert.notEqual(replay.id, original.id);
    assert.equal(replay.replayOf, original.id);
    assert.equal(replay.triggerKind, "webhook");
    assert.equal(replay.triggerName, "issues-hook");
    assert.deepEqual(replay.trigger, original.trigger);
    assert.equal(replay.steps[0]!.output, original.steps[0]!.output);

    // A second replay works too, and the delivery id still deduplicates what GitHub itself sends again.
    const again = await runCliJson<RunRecord>(["replay", original.id.slice(0, 6), "--wait", "--json"], { env: t.env });
    assert.equal(again.status, "success");
    assert.equal(again.replayOf, original.id);
    assert.notEqual(again.id, replay.id);
    const redelivered = await post(hook.url, payload.text, {
      headers: { "x-github-event": "issues", "x-github-delivery": "delivery-replay-1", "x-hub-signature-256": await githubSign(hook.secret, payload.text) },
    });
    assert.equal(redelivered.status, 200, "GitHub's own redelivery is still answered with the first run");
    assert.equal(redelivered.json<{ run_id: string }>().run_id, original.id);
  });

  test("a replay with an edited body sends that body, with the original headers", async () => {
    const edited = { ...JSON.parse(payload.text), action: "closed", issue: { number: 4242 } };
    const replay = await runCliJson<RunRecord>(["replay", original.id, "--body", JSON.stringify(edited), "--wait", "--json"], { env: t.env });
    assert.equal(replay.status, "success", replay.error ?? "");
    assert.equal(replay.steps[0]!.output, "webhook issues closed 4242");
    assert.deepEqual(replay.trigger.body, edited);
    assert.deepEqual(replay.trigger.headers, original.trigger.headers);
    assert.equal(replay.replayOf, original.id);
  });

  test("without --wait the replay is started and its id printed; show and history say what it replays", async () => {
    const started = await runCli(["replay", original.id], { env: t.env });
    assert.equal(started.code, 0, started.stderr);
    const id = /started run ([0-9a-z]{12}), a replay of ([0-9a-z]{12})/.exec(started.stdout);
    assert.ok(id, started.stdout);
    assert.equal(id[2], original.id);
    const done = await finished(t, id[1]!);
    assert.equal(done.status, "success");
    const history = await runCliJson<RunSummary[]>(["history", "--json", "--limit", "1"], { env: t.env });
    assert.equal(history[0]!.id, id[1]);
    assert.equal(history[0]!.replayOf, original.id);
    const table = await runCli(["history", "--limit", "1"], { env: t.env });
    assert.match(table.stdout, new RegExp(`webhook:issues-hook replay of ${original.id.slice(0, 8)}`));
    const show = await runCli(["show", id[1]!], { env: t.env });
    assert.match(show.stdout, new RegExp(`replay of +${original.id}`));
  });

  test("bad input: an unknown run, a body that is not JSON, a workflow file that is gone", async () => {
    const unknown = await runCli(["replay", "zzzzzzzzzzzz"], { env: t.env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no run with id "zzzzzzzzzzzz"/);
    const notJson = await runCli(["replay", original.id, "--body", "{action: closed}"], { env: t.env });
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /--body is not JSON .*give text as a JSON string/);
    const moved = `${file}.moved`;
    renameSync(file, moved);
    try {
      const gone = await runCli(["replay", original.id], { env: t.env });
      assert.equal(gone.code, 1);
      assert.ok(gone.stderr.includes(`its workflow file ${file} is gone`), gone.stderr);
    } finally {
      renameSync(moved, file);
    }
  });

  test("with no agent running, the replay runs in the terminal and is recorded the same way", async () => {
    await t.agent.stop();
    try {
      const replay = await runCliJson<RunRecord>(["replay", original.id, "--json"], { env: t.env });
      assert.equal(replay.status, "success", replay.error ?? "");
      assert.equal(replay.replayOf, original.id);
      assert.equal(replay.triggerKind, "webhook");
      assert.equal(replay.steps[0]!.output, original.steps[0]!.output);
    } finally {
      // Back up for `after`, which stops it again.
      t.agent = await AgentProcess.start(t.home);
      t.watcher = await t.agent.watch();
    }
  });
});

/** The run's record once it has finished, waiting on the agent's notifications. */
async function finished(t: TestAgent, id: string): Promise<RunSummary> {
  const now = await t.watcher.client.request(GetRun, { id });
  if (FINISHED_STATUSES.includes(now.status)) return now;
  return t.watcher.until((runs) => runs.find((r) => r.id === id && FINISHED_STATUSES.includes(r.status)), `run ${id} to finish`);
}
