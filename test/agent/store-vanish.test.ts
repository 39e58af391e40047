// The store cannot vanish silently. Deleting clockwork.db (or replacing it,
// or moving the home away) under a running agent: the agent notices within
// seconds, accepts no run after it noticed, says so in its log and exits
// non-zero; and no command then creates an empty store in its place, while
// a brand-new home still just works.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { after, describe, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import { loadConfig } from "../../agent/config";
import { AgentStatusChanged, Status, type AgentStatus } from "../../agent/protocol";
import { runCli } from "../helpers/cli";
import { makeTestHome, workflowSource, type TestHome } from "../helpers/home";
import { AgentProcess } from "./agent-harness";
import { post, registerWebhook } from "./webhook-harness";

const homes: TestHome[] = [];
after(() => homes.forEach((h) => h.cleanup()));

/** A running agent with a registered webhook, in a fresh home. */
async function agentWithWebhook(label: string) {
  const home = makeTestHome(label);
  homes.push(home);
  const agent = await AgentProcess.start(home.home);
  const watcher = await agent.watch();
  const statuses: AgentStatus[] = [];
  watcher.client.onNotification(AgentStatusChanged, (s) => statuses.push(s));
  const httpUrl = (await watcher.client.request(Status, undefined)).httpUrl!;
  const file = home.write("hook.workflow.ts", workflowSource("hook", [`code("ok", () => "ok")`]));
  const hook = await registerWebhook(home, file, ["--name", "hook"]);
  return { home, agent, watcher, statuses, httpUrl, hook, config: loadConfig(home.env) };
}

/** Signed deliveries, four at a time, until the agent stops answering; every answer, in order. */
async function deliverUntilGone(url: string, secret: string): Promise<Array<{ status: number; runId?: string }>> {
  const answers: Array<{ status: number; runId?: string }> = [];
  let gone = false;
  let i = 0;
  const worker = async () => {
    while (!gone) {
      const body = JSON.stringify({ i: i++ });
      try {
        const res = await post(url, body, { headers: { "x-clockwork-signature": signBody(secret, body) } });
        answers.push(res.status === 202 ? { status: 202, runId: res.json<{ run_id: string }>().run_id } : { status: res.status });
      } catch {
        gone = true; // ECONNREFUSED or a reset: the agent has exited
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return answers;
}

/** Log lines of the agent (its stdout), in order. */
const lines = (agent: AgentProcess) => agent.output.split("\n");

describe("a store that vanishes under a running agent", { timeout: 120_000 }, () => {
  test("deleting clockwork.db: no run is accepted after the agent noticed, it says why and exits non-zero", async () => {
    const { agent, statuses, httpUrl, hook, config, home } = await agentWithWebhook("store-deleted");
    const delivering = deliverUntilGone(`${httpUrl}/webhook/hook`, hook.secret);
    // Let some deliveries be accepted first, then pull the file away.
    await new Promise<void>((resolve) => {
      const check = () => (/run \S+ queued: hook \(webhook/.test(agent.output) ? resolve() : setTimeout(check, 10));
      check();
    });
    unlinkSync(config.dbFile);
    const code = await agent.exited();
    const answers = await delivering;
    assert.equal(code, 1, agent.output);

    const log = lines(agent);
    const noticed = log.findIndex((l) => l.includes(`the store ${config.dbFile} was deleted or moved away: the agent accepts no more work and exits`));
    assert.ok(noticed > 0, agent.output);
    const queuedAfter = log.slice(noticed).filter((l) => / queued: hook \(webhook/.test(l));
    assert.deepEqual(queuedAfter, [], "no delivery was accepted after the agent noticed");
    const queuedBefore = new Set(log.slice(0, noticed).flatMap((l) => /run (\S+) queued: hook/.exec(l)?.[1] ?? []));
    for (const a of answers) {
      assert.ok(a.status === 202 || a.status === 503, `answers are 202 or 503, got ${a.status}`);
      if (a.runId) assert.ok(queuedBefore.has(a.runId), `202 for ${a.runId} came before the agent noticed`);
    }
    assert.ok(answers.some((a) => a.status === 202));
    // Clients were told before the agent went.
    assert.ok(statuses.some((s) => s.storeError?.includes("was deleted or moved away")), "status notified with the store error");
    assert.match(readFileSync(config.logFile, "utf8"), /was deleted or moved away: the agent accepts no more work/);

    // Nothing recreates an empty store in its place.
    const restart = await runCli(["agent"], { env: home.env });
    assert.equal(restart.code, 1);
    assert.match(restart.stderr, new RegExp(`the store ${config.dbFile} is missing, but .* held one .*Restore it`));
    for (const args of [["history"], ["list-triggers"], ["register-webhook", home.path("hook.workflow.ts")]]) {
      const result = await runCli(args, { env: home.env });
      assert.equal(result.code, 1, `${args[0]}: ${result.stdout}`);
      assert.match(result.stderr, /is missing, but .* held one/, args[0]);
    }
    const status = await runCli(["status", "--json"], { env: home.env });
    assert.equal(status.code, 1);
    assert.match(JSON.parse(status.stdout).reason, /is missing, but/);
    assert.equal(existsSync(config.dbFile), false, "still no store file");

    // Deleting the marker is how one starts over on purpose.
    unlinkSync(`${config.dbFile}.marker`);
    const fresh = await runCli(["history", "--json"], { env: home.env });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.deepEqual(JSON.parse(fresh.stdout), []);
  });

  test("replacing clockwork.db with another file: the agent notices and exits non-zero", async () => {
    const { agent, config } = await agentWithWebhook("store-replaced");
    copyFileSync(config.dbFile, `${config.dbFile}.copy`);
    renameSync(`${config.dbFile}.copy`, config.dbFile);
    assert.equal(await agent.exited(), 1);
    assert.match(agent.output, new RegExp(`the store ${config.dbFile} was replaced by another file`));
  });

  test("moving the home away: the agent notices and exits non-zero, and the moved store is intact", async () => {
    const { agent, home } = await agentWithWebhook("store-moved");
    const moved = `${home.home}-moved`;
    renameSync(home.home, moved);
    assert.equal(await agent.exited(), 1);
    assert.match(agent.output, new RegExp(`the folder ${home.home} is gone \\(moved or deleted\\)`));
    renameSync(moved, home.home);
    const listed = await runCli(["list-triggers", "--json"], { env: home.env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as Array<{ name: string }>).map((t) => t.name), ["hook"]);
  });
});
