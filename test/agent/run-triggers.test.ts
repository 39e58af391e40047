// Run triggers in a real agent: a workflow runs when another's run ends.
// A notifier runs once for a failed run and sees its id and error; a
// trigger never reacts to a run it started; two triggers that start each
// other stop at the chain limit with a recorded reason; a paused or
// unregistered trigger does not react; a registration made with no agent
// running is picked up when one starts.
//
// Nothing here sleeps. To know that the agent has decided about every run
// that finished so far, a test finishes a `tick` run, which a run trigger
// of its own answers with a `tock` run: the agent offers finished runs to
// the run triggers one after another, so once that `tock` exists every
// earlier run has been decided (settle()).
import assert from "node:assert/strict";
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { GetRun, ListRuns, StartRun, type RunSummary, type TriggerRecord } from "../../agent/protocol";
import { runCli } from "../helpers/cli";
import { startHttpServer } from "../helpers/httpServer";
import { AgentProcess, removeDir, repoRoot, shellWorkflow, tempHome, writeWorkflow } from "./agent-harness";
import { startTestAgent, type TestAgent } from "./webhook-harness";

const NOTIFY_WORKFLOW = `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({
  name: "notify",
  steps: [shell("post", "printf '%s|%s|%s|%s|%s' {trigger.run.id} {trigger.run.workflow} {trigger.run.status} {trigger.run.trigger_kind} {trigger.run.error}")],
});
`;

interface Registered {
  trigger: TriggerRecord;
  warnings: string[];
}

describe("run triggers in a running agent", { timeout: 120_000 }, () => {
  let t: TestAgent;
  let tocks = 0;

  before(async () => {
    t = await startTestAgent("runtrig");
    writeWorkflow(t.work, "backup.workflow.ts", shellWorkflow("backup", "echo copying; echo 'disk full' >&2; exit 3"));
    writeWorkflow(t.work, "notify.workflow.ts", NOTIFY_WORKFLOW);
    writeWorkflow(t.work, "tick.workflow.ts", shellWorkflow("tick", "true"));
    writeWorkflow(t.work, "tock.workflow.ts", shellWorkflow("tock", "true"));
    await register("tock.workflow.ts", "--workflow", "tick", "--status", "success", "--name", "tock-after-tick");
  });
  after(async () => t.stop());

  async function register(file: string, ...args: string[]): Promise<Registered> {
    const result = await runCli(["register-on-run", file, "--json", ...args], { env: t.env, cwd: t.work });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Registered;
  }

  async function cli(...args: string[]): Promise<string> {
    const result = await runCli(args, { env: t.env, cwd: t.work });
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  }

  /** Starts a manual run of a workflow file in the work folder and waits for it to finish. */
  async function runToEnd(file: string): Promise<RunSummary> {
    const { runId } = await t.watcher.client.request(StartRun, { file: `${t.work}/${file}` });
    return finishedRun(runId);
  }

  function finishedRun(id: string): Promise<RunSummary> {
    return t.watcher.until((runs) => runs.find((r) => r.id === id && r.finishedAt !== null), `run ${id} to finish`);
  }

  /** Waits until the agent has decided about every run that has finished so far (see the top of the file). */
  async function settle(): Promise<void> {
    await runToEnd("tick.workflow.ts");
    const want = ++tocks;
    await t.watcher.until((runs) => new Set(runs.filter((r) => r.workflowName === "tock").map((r) => r.id)).size >= want || undefined, `tock #${want}`);
  }

  async function runsOf(trigger: string): Promise<RunSummary[]> {
    return t.watcher.client.request(ListRuns, { trigger, limit: 100 });
  }

  test("a run trigger on a failing workflow runs once, with the failed run's id and error", async () => {
    const registered = await register("notify.workflow.ts", "--workflow", "backup", "--name", "notify");
    assert.equal(registered.trigger.type, "run");
    assert.deepEqual(registered.trigger.run, { workflows: ["backup"], statuses: ["failed"] });
    assert.deepEqual(registered.warnings, ['no workflow named "backup" has run or is registered yet; the trigger reacts once a run of that name finishes']);

    const failed = await runToEnd("backup.workflow.ts");
    assert.equal(failed.status, "failed");
    assert.ok(failed.error, "a failed run says why");
    const notified = await t.watcher.until((runs) => runs.find((r) => r.triggerName === "notify" && r.finishedAt !== null), "the notifier's run");
    assert.equal(notified.status, "success", notified.error ?? "");
    assert.equal(notified.triggerKind, "run");
    const record = await t.watcher.client.request(GetRun, { id: notified.id });
    assert.equal(record.steps[0]!.output, `${failed.id}|backup|failed|manual|${failed.error}`);
    assert.deepEqual(record.trigger.run, { id: failed.id, workflow: "backup", status: "failed", error: failed.error, triggerKind: "manual", depth: 1 });
    assert.match(await cli("show", notified.id), new RegExp(`trigger\\s+run:notify\\n.*after\\s+run ${failed.id} of backup ended failed \\(this is the 1st run in its chain of run triggers\\)`, "s"));

    await settle();
    assert.equal((await runsOf("notify")).length, 1, "one failed run, one notification");
    // A success is not what it listens for.
    await runToEnd("tick.workflow.ts");
    await settle();
    assert.equal((await runsOf("notify")).length, 1);
  });

  test("a trigger that runs the workflow it watches never reacts to its own run", async () => {
    writeWorkflow(t.work, "flaky.workflow.ts", shellWorkflow("flaky", "exit 1"));
    const registered = await register("flaky.workflow.ts", "--workflow", "flaky", "--name", "retry-flaky");
    assert.ok(registered.warnings.some((w) => /"retry-flaky" runs "flaky", which it also watches/.test(w)), registered.warnings.join("\n"));

    const first = await runToEnd("flaky.workflow.ts");
    const retry = await t.watcher.until((runs) => runs.find((r) => r.triggerName === "retry-flaky" && r.finishedAt !== null), "the retry");
    assert.equal(retry.status, "failed");
    assert.equal((await t.watcher.client.request(GetRun, { id: retry.id })).trigger.run?.id, first.id);
    await settle();
    const runs = await t.watcher.client.request(ListRuns, { workflow: "flaky", limit: 100 });
    assert.deepEqual(runs.map((r) => r.triggerKind).sort(), ["manual", "run"], "the retry's own failure started nothing");
  });

  test("two run triggers that start each other stop at the chain limit, with the reason recorded", async () => {
    writeWorkflow(t.work, "ping.workflow.ts", shellWorkflow("ping", "exit 1"));
    writeWorkflow(t.work, "pong.workflow.ts", shellWorkflow("pong", "exit 1"));
    const first = await register("pong.workflow.ts", "--workflow", "ping", "--name", "pong-on-ping");
    assert.ok(first.warnings.every((w) => !/start each other/.test(w)));
    const second = await register("ping.workflow.ts", "--workflow", "pong", "--name", "ping-on-pong");
    assert.ok(
      second.warnings.some((w) => w.includes("these workflows start each other through run triggers: pong → ping → pong")),
      second.warnings.join("\n"),
    );

    const origin = await runToEnd("ping.workflow.ts");
    const cut = await t.watcher.until(
      (runs) => runs.find((r) => r.triggerKind === "run" && r.status === "skipped" && /chain/.test(r.error ?? "")),
      "the chain to be cut",
    );
    assert.equal(cut.triggerName, "ping-on-pong");
    assert.match(cut.error!, /not started: run \w+ of "pong" was already the 5th run in a chain of run triggers, and a chain stops at 5/);
    await settle();

    const chain = [
      ...(await t.watcher.client.request(ListRuns, { workflow: "ping", limit: 100 })),
      ...(await t.watcher.client.request(ListRuns, { workflow: "pong", limit: 100 })),
    ].filter((r) => r.triggerKind === "run");
    const depths = await Promise.all(chain.map(async (r) => [(await t.watcher.client.request(GetRun, { id: r.id })).trigger.run!.depth, r] as const));
    depths.sort((a, b) => a[0] - b[0]);
    assert.deepEqual(
      depths.map(([depth, r]) => `${depth} ${r.workflowName} ${r.status}`),
      ["1 pong failed", "2 ping failed", "3 pong failed", "4 ping failed", "5 pong failed", "6 ping skipped"],
    );
    // The chain starts at the manual run.
    assert.equal((await t.watcher.client.request(GetRun, { id: depths[0]![1].id })).trigger.run!.id, origin.id);
    await cli("unregister", "ping-on-pong");
    await cli("unregister", "pong-on-ping");
  });

  test("a paused run trigger does not react, a resumed one does, an unregistered one no longer does", async () => {
    const before = (await runsOf("notify")).length;
    const paused = JSON.parse(await cli("pause", "notify", "--json")) as TriggerRecord;
    assert.equal(paused.state, "paused");
    await runToEnd("backup.workflow.ts");
    await settle();
    assert.equal((await runsOf("notify")).length, before, "paused: no run");

    await cli("resume", "notify");
    const known = new Set((await runsOf("notify")).map((r) => r.id));
    const failed = await runToEnd("backup.workflow.ts");
    const resumed = await t.watcher.until(
      (runs) => runs.find((r) => r.triggerName === "notify" && r.finishedAt !== null && !known.has(r.id)),
      "a notification after resuming",
    );
    assert.equal((await t.watcher.client.request(GetRun, { id: resumed.id })).trigger.run!.id, failed.id);

    await cli("unregister", "notify");
    await runToEnd("backup.workflow.ts");
    await settle();
    assert.equal((await t.watcher.client.request(ListRuns, { workflow: "notify", limit: 100 })).length, before + 1);
  });

  test("run triggers are listed with their workflows and statuses, in their own table", async () => {
    await register("notify.workflow.ts", "--workflow", "backup,flaky", "--status", "failed,cancelled", "--name", "listed");
    const listed = JSON.parse(await cli("list", "--type", "run", "--json")) as TriggerRecord[];
    assert.deepEqual(
      listed.map((r) => [r.name, r.run]),
      [
        ["listed", { workflows: ["backup", "flaky"], statuses: ["failed", "cancelled"] }],
        ["retry-flaky", { workflows: ["flaky"], statuses: ["failed"] }],
        ["tock-after-tick", { workflows: ["tick"], statuses: ["success"] }],
      ],
    );
    const table = await cli("list");
    assert.match(table, /RUN TRIGGER\s+WORKFLOW\s+WHEN A RUN OF\s+ENDS/);
    assert.match(table, /listed\s+notify\s+backup, flaky\s+failed,cancelled\s+active/);
    assert.match(await cli("list-triggers"), /listed\s+run\s+notify\s+active\s+—\s+when backup, flaky ends failed or cancelled/);
    assert.match(await cli("status"), /\b3 run triggers\b/);
  });

  test("bad registrations are refused with what was wrong", async () => {
    const refuse = async (args: string[], pattern: RegExp) => {
      const result = await runCli(["register-on-run", ...args], { env: t.env, cwd: t.work });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, pattern);
    };
    await refuse(["notify.workflow.ts", "--workflow", "backup", "--status", "failed,broken"], /--status: choose from success, failed, cancelled, skipped \(comma-separated\); got broken/);
    await refuse(["notify.workflow.ts"], /--workflow: name at least one workflow/);
    await refuse(["notify.workflow.ts", "--workflow", " , "], /--workflow: name at least one workflow/);
    await refuse(["notify.workflow.ts", "--workflow", "backup", "--name", "listed"], /a trigger named "listed" already exists \(a run trigger\)/);
    await refuse(["missing.workflow.ts", "--workflow", "backup"], /workflow file not found/);
    const update = await runCli(["update", "listed", "--cron", "* * * * *"], { env: t.env, cwd: t.work });
    assert.match(update.stderr, /"listed" is a run trigger; cron cannot be changed on it/);
  });
});

test("a run trigger registered with no agent running reacts once an agent starts", { timeout: 60_000 }, async () => {
  const home = tempHome("runtrig-offline");
  const env = { CLOCKWORK_HOME: home, CLOCKWORK_HTTP_PORT: "0", NO_COLOR: "1" };
  try {
    writeWorkflow(home, "backup.workflow.ts", shellWorkflow("backup", "exit 4"));
    writeWorkflow(home, "notify.workflow.ts", NOTIFY_WORKFLOW);
    const registered = await runCli(["register-on-run", "notify.workflow.ts", "--workflow", "backup", "--name", "notify"], { env: { ...process.env, ...env }, cwd: home });
    assert.equal(registered.code, 0, registered.stderr);
    assert.match(registered.stdout, /registered run trigger notify → notify/);
    assert.match(registered.stdout, /no agent is running: saved to the store/);
    assert.match(registered.stderr, /warning: no workflow named "backup" has run or is registered yet/);

    const agent = await AgentProcess.start(home);
    const watcher = await agent.watch();
    try {
      const { runId } = await watcher.client.request(StartRun, { file: `${home}/backup.workflow.ts` });
      const notified = await watcher.until((runs) => runs.find((r) => r.triggerName === "notify" && r.finishedAt !== null), "the notification");
      const record = await watcher.client.request(GetRun, { id: notified.id });
      assert.match(record.steps[0]!.output ?? "", new RegExp(`^${runId}\\|backup\\|failed\\|manual\\|step "main" failed`));
    } finally {
      watcher.client.close();
      await agent.stop();
    }
  } finally {
    removeDir(home);
  }
});

test("the failure-notifier example posts the failed run's workflow, id and error to a chat webhook as Slack JSON", { timeout: 60_000 }, async () => {
  const chat = await startHttpServer(() => ({ status: 200, body: "ok" }));
  const t = await startTestAgent("runtrig-chat", { CHAT_WEBHOOK_URL: `${chat.url}/services/T000/B000/XXXX` });
  try {
    cpSync(join(repoRoot, "examples", "failure-notifier.workflow.ts"), join(t.work, "failure-notifier.workflow.ts"));
    writeWorkflow(t.work, "backup.workflow.ts", shellWorkflow("backup", "echo 'it said $(touch PWNED)' >&2; exit 3"));
    const registered = await runCli(["register-on-run", "failure-notifier.workflow.ts", "--workflow", "backup"], { env: t.env, cwd: t.work });
    assert.equal(registered.code, 0, registered.stderr);

    const { runId } = await t.watcher.client.request(StartRun, { file: join(t.work, "backup.workflow.ts") });
    const failed = await t.watcher.until((runs) => runs.find((r) => r.id === runId && r.finishedAt !== null), "the backup to fail");
    const posted = await chat.waitForRequest(1);
    assert.equal(posted.method, "POST");
    assert.equal(posted.path, "/services/T000/B000/XXXX");
    assert.equal(posted.headers["content-type"], "application/json");
    assert.deepEqual(posted.json, { text: `backup failed (run ${runId}, started by manual):\n${failed.error}` });
    assert.match(failed.error!, /\$\(touch PWNED\)/);
    assert.equal(existsSync(join(t.work, "PWNED")), false, "the error was printed, not run");
    const notifier = await t.watcher.until((runs) => runs.find((r) => r.triggerName === "failure-notifier" && r.finishedAt !== null), "the notifier");
    assert.equal(notifier.status, "success", notifier.error ?? "");
  } finally {
    await t.stop();
    await chat.close();
  }
});

test("a run interrupted by the death of the agent reaches the run triggers when the next agent fails it", { timeout: 60_000 }, async () => {
  const home = tempHome("runtrig-crash");
  const env = { ...process.env, CLOCKWORK_HOME: home, CLOCKWORK_HTTP_PORT: "0", NO_COLOR: "1" };
  try {
    const slow = writeWorkflow(home, "slow.workflow.ts", shellWorkflow("slow", "sleep 30"));
    writeWorkflow(home, "notify.workflow.ts", NOTIFY_WORKFLOW);
    const first = await AgentProcess.start(home);
    const watcher = await first.watch();
    const registered = await runCli(["register-on-run", "notify.workflow.ts", "--workflow", "slow", "--name", "notify"], { env, cwd: home });
    assert.equal(registered.code, 0, registered.stderr);
    const { runId } = await watcher.client.request(StartRun, { file: slow });
    await watcher.until(() => watcher.steps.some((s) => s.runId === runId && s.step.status === "running") || undefined, "the step to start");
    watcher.client.close();
    await first.kill9();

    const second = await AgentProcess.start(home);
    const next = await second.watch();
    try {
      // The new agent may have finished the notification before this client subscribed: the store has it then.
      const done = (runs: RunSummary[]) => runs.find((r) => r.triggerName === "notify" && r.finishedAt !== null);
      const notified = done(await next.client.request(ListRuns, { trigger: "notify" })) ?? (await next.until(done, "the notification"));
      const record = await next.client.request(GetRun, { id: notified.id });
      assert.equal(record.trigger.run?.id, runId);
      assert.equal(record.trigger.run?.status, "failed");
      assert.match(record.trigger.run?.error ?? "", /interrupted/);
    } finally {
      next.client.close();
      await second.stop();
    }
  } finally {
    removeDir(home);
  }
});
