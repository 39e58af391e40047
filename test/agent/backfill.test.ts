// Backfill against a real agent: an hourly New York schedule over the days
// the clocks change (23 and 25 instants), run oldest first, idempotent, and
// `--reprocess failed` running exactly the instants that failed; a replay
// of a backfill run keeps its instant; the refusals; a paused schedule;
// --max-parallel lanes kept by the agent that starts after the backfill.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FINISHED_STATUSES, ListRuns, ListTriggers, type BackfillResult, type RunRecord, type RunSummary } from "../../agent/protocol";
import { runCli, runCliJson } from "../helpers/cli";
import { AgentProcess, cli, mostAtOnce, removeDir, shellWorkflow, tempHome, writeWorkflow, type Watcher } from "./agent-harness";
import { startTestAgent, type TestAgent } from "./webhook-harness";

const SPRING = { from: "2025-03-09", to: "2025-03-10" };
const FALL = { from: "2025-11-02", to: "2025-11-03" };

/** Logs each instant it runs for, then fails if the instant is listed in `fail.txt`. */
function sliceWorkflow(work: string): string {
  const ran = join(work, "ran.txt");
  const fail = join(work, "fail.txt");
  return `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({
  name: "hourly-slice",
  steps: [shell("slice", "echo {run.scheduled_for} >> ${ran} && if grep -qxF {run.scheduled_for} ${fail}; then echo failing {run.scheduled_for}; exit 3; fi; echo {run.scheduled_for}")],
});
`;
}

/** Waits until every run in `ids` has finished; returns their last states. */
async function allFinished(watcher: Watcher, ids: readonly string[]): Promise<RunSummary[]> {
  const done = (runs: RunSummary[]) => {
    const latest = new Map(runs.map((r) => [r.id, r]));
    const states = ids.map((id) => latest.get(id));
    return states.every((r) => r && FINISHED_STATUSES.includes(r.status)) ? (states as RunSummary[]) : undefined;
  };
  return watcher.until(done, `${ids.length} backfill runs to finish`);
}

describe("backfilling an hourly New York schedule", { timeout: 180_000 }, () => {
  let t: TestAgent;
  let ranFile: string;
  let failFile: string;

  before(async () => {
    t = await startTestAgent("backfill");
    ranFile = join(t.work, "ran.txt");
    failFile = join(t.work, "fail.txt");
    writeFileSync(ranFile, "");
    writeFileSync(failFile, "");
    const file = writeWorkflow(t.work, "slice.workflow.ts", sliceWorkflow(t.work));
    const registered = await runCli(["register", file, "--cron", "0 * * * *", "--tz", "America/New_York", "--name", "hourly"], { env: t.env });
    assert.equal(registered.code, 0, registered.stderr);
  });
  after(async () => t?.stop());

  test("a dry run lists the 25 instants of the fall-back day, the repeated hour twice, and starts nothing", async () => {
    const result = await runCliJson<BackfillResult>(["backfill", "hourly", "--from", FALL.from, "--to", FALL.to, "--dry-run", "--json"], { env: t.env });
    assert.equal(result.dryRun, true);
    assert.equal(result.instants.length, 25);
    assert.equal(result.toRun, 25);
    assert.equal(result.from, "2025-11-02T04:00:00.000Z", "local midnight, EDT");
    assert.equal(result.to, "2025-11-03T05:00:00.000Z", "the next local midnight, EST");
    const hours = result.instants.map((i) => i.scheduledFor);
    assert.deepEqual(hours.slice(0, 3), ["2025-11-02T04:00:00.000Z", "2025-11-02T05:00:00.000Z", "2025-11-02T06:00:00.000Z"], "01:00 EDT and 01:00 EST");
    assert.deepEqual(hours, [...hours].sort(), "oldest first");
    assert.ok(result.instants.every((i) => i.state === "none" && i.action === "run" && i.runId === null));
    assert.deepEqual(await t.watcher.client.request(ListRuns, { trigger: "hourly" }), []);
    const table = await runCli(["backfill", "hourly", "--from", FALL.from, "--to", FALL.to, "--dry-run"], { env: t.env });
    assert.match(table.stdout, /dry run: 25 would run \(one at a time, oldest first\), 0 kept; nothing started/);
    assert.match(table.stdout, /2025-11-02 01:00 EDT +none +run\n2025-11-02 01:00 EST +none +run/);
  });

  test("the spring-forward day runs its 23 instants oldest first, each with its own scheduled_for; the failing ones fail", async () => {
    const failing = ["2025-03-09T07:00:00.000Z", "2025-03-09T12:00:00.000Z", "2025-03-10T03:00:00.000Z"];
    writeFileSync(failFile, `${failing.join("\n")}\n`);
    const result = await runCliJson<BackfillResult>(["backfill", "hourly", "--from", SPRING.from, "--to", SPRING.to, "--json"], { env: t.env });
    assert.equal(result.instants.length, 23);
    assert.equal(result.toRun, 23);
    assert.deepEqual(result.concurrency, { kind: "serial" }, "overlap skip: one at a time");
    const instants = result.instants.map((i) => i.scheduledFor);
    assert.equal(instants[0], "2025-03-09T05:00:00.000Z");
    assert.equal(instants[2], "2025-03-09T07:00:00.000Z", "02:00 does not exist: 01:00 EST is followed by 03:00 EDT");
    assert.equal(instants[22], "2025-03-10T03:00:00.000Z");

    const runs = await allFinished(t.watcher, result.instants.map((i) => i.runId!));
    assert.ok(runs.every((r) => r.backfill && r.triggerKind === "cron" && r.triggerName === "hourly"));
    assert.deepEqual(runs.map((r) => r.scheduledFor), instants);
    assert.deepEqual(runs.filter((r) => r.status === "failed").map((r) => r.scheduledFor), failing);
    assert.equal(runs.filter((r) => r.status === "success").length, 20);
    // One at a time, oldest first: the order the workflow saw them in.
    assert.deepEqual(readFileSync(ranFile, "utf8").trim().split("\n"), instants);
  });

  test("the same backfill again runs nothing; --reprocess failed runs exactly the failed instants again", async () => {
    const before = (await t.watcher.client.request(ListRuns, { trigger: "hourly", limit: 1000 })).length;
    const again = await runCliJson<BackfillResult>(["backfill", "hourly", "--from", SPRING.from, "--to", SPRING.to, "--json"], { env: t.env });
    assert.equal(again.toRun, 0);
    assert.deepEqual(new Set(again.instants.map((i) => i.state)), new Set(["success", "failed"]));
    assert.equal((await t.watcher.client.request(ListRuns, { trigger: "hourly", limit: 1000 })).length, before, "no new run");

    writeFileSync(failFile, "");
    const retry = await runCliJson<BackfillResult>(["backfill", "hourly", "--from", SPRING.from, "--to", SPRING.to, "--reprocess", "failed", "--json"], { env: t.env });
    const rerun = retry.instants.filter((i) => i.action === "run");
    assert.deepEqual(rerun.map((i) => i.scheduledFor), ["2025-03-09T07:00:00.000Z", "2025-03-09T12:00:00.000Z", "2025-03-10T03:00:00.000Z"]);
    assert.ok(rerun.every((i) => i.state === "failed"));
    const runs = await allFinished(t.watcher, rerun.map((i) => i.runId!));
    assert.deepEqual(runs.map((r) => r.status), ["success", "success", "success"]);
    const ran = readFileSync(ranFile, "utf8").trim().split("\n");
    assert.equal(ran.length, 26);
    assert.deepEqual(ran.slice(23), rerun.map((i) => i.scheduledFor));
    const done = await runCliJson<BackfillResult>(["backfill", "hourly", "--from", SPRING.from, "--to", SPRING.to, "--reprocess", "failed", "--dry-run", "--json"], { env: t.env });
    assert.equal(done.toRun, 0, "nothing failed is left");
  });

  test("a replay of a backfill run keeps its instant, so {run.scheduled_for} is the same", async () => {
    const [run] = await t.watcher.client.request(ListRuns, { trigger: "hourly", status: "success", limit: 1 });
    const replay = await runCliJson<RunRecord>(["replay", run!.id, "--wait", "--json"], { env: t.env });
    assert.equal(replay.status, "success", replay.error ?? "");
    assert.equal(replay.scheduledFor, run!.scheduledFor);
    assert.equal(replay.replayOf, run!.id);
    assert.equal(replay.backfill, false);
    assert.equal(replay.steps[0]!.output?.split("\n").pop(), run!.scheduledFor);
  });

  test("bad input: an unknown schedule, a backwards or empty range, a range too long, not a schedule", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["backfill", "nope", "--from", SPRING.from, "--to", SPRING.to], /no trigger named "nope"/],
      [["backfill", "hourly", "--from", SPRING.to, "--to", SPRING.from], /--to \(2025-03-09T05:00:00\.000Z\) must be after --from \(2025-03-10T04:00:00\.000Z\)/],
      [["backfill", "hourly", "--from", "2025-03-09T00:10", "--to", "2025-03-09T00:50"], /gives no instants in \[2025-03-09T05:10:00\.000Z, 2025-03-09T05:50:00\.000Z\)/],
      [["backfill", "hourly", "--from", "2020-01-01", "--to", "2025-01-01"], /gives 43848 instants .* more than the 10000 one backfill runs; split the range/],
      [["backfill", "hourly", "--from", "last tuesday", "--to", SPRING.to], /--from "last tuesday" is not a time/],
      [["backfill", "hourly", "--from", SPRING.from, "--to", "2999-01-01"], /is in the future/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { env: t.env });
      assert.equal(result.code, 1, args.join(" "));
      assert.match(result.stderr, message);
    }
    const hookFile = writeWorkflow(t.work, "hook.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "hook", steps: [shell("a", "true")] });\n`);
    assert.equal((await runCli(["register-webhook", hookFile, "--name", "a-hook"], { env: t.env })).code, 0);
    const notSchedule = await runCli(["backfill", "a-hook", "--from", SPRING.from, "--to", SPRING.to], { env: t.env });
    assert.match(notSchedule.stderr, /"a-hook" is a webhook, not a schedule/);
  });

  test("a paused schedule can be backfilled, and stays paused", async () => {
    assert.equal((await runCli(["pause", "hourly"], { env: t.env })).code, 0);
    const result = await runCli(["backfill", "hourly", "--from", "2025-06-01T00:00", "--to", "2025-06-01T02:00", "--max-parallel", "2"], { env: t.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /queued 2 backfill runs \(at most 2 at once, oldest first\), 0 kept/);
    assert.match(result.stdout, /the schedule is paused: the backfill runs anyway; its own fires stay paused/);
    const ids = [...result.stdout.matchAll(/run ([0-9a-z]{12})/g)].map((m) => m[1]!);
    assert.equal(ids.length, 2);
    const runs = await allFinished(t.watcher, ids);
    assert.deepEqual(runs.map((r) => r.status), ["success", "success"]);
    const [schedule] = await t.watcher.client.request(ListTriggers, { names: ["hourly"] });
    assert.equal(schedule!.state, "paused");
    assert.equal(schedule!.schedule!.nextFireAt, null);
  });
});

test("--max-parallel lanes hold for the agent that starts after the backfill was queued, whatever its own concurrency", { timeout: 180_000 }, async () => {
  const home = tempHome("backfill-lanes");
  const log = join(home, "overlap.log");
  writeFileSync(log, "");
  const file = writeWorkflow(home, "lanes.workflow.ts", shellWorkflow("lanes", `echo start >> ${log}; sleep 0.3; echo end >> ${log}`));
  let agent: AgentProcess | undefined;
  try {
    const registered = await cli(home, ["register", file, "--cron", "0 * * * *", "--tz", "UTC", "--name", "lanes", "--overlap", "parallel"]);
    assert.equal(registered.code, 0, registered.stderr);
    // No agent yet: the command queues the rows, as a backfill left queued by an agent that stopped.
    const queued = await cli(home, ["backfill", "lanes", "--from", "2025-01-01T00:00:00Z", "--to", "2025-01-01T06:00:00Z", "--max-parallel", "2", "--json"]);
    assert.equal(queued.code, 0, queued.stderr);
    const ids = (JSON.parse(queued.stdout) as BackfillResult).instants.map((i) => i.runId!);
    assert.equal(ids.length, 6);

    // Room for six at once: only the lanes keep it to two.
    agent = await AgentProcess.start(home, { CLOCKWORK_MAX_CONCURRENT_RUNS: "6" });
    const runs = await allFinished(await agent.watch(), ids);
    assert.deepEqual(runs.map((r) => r.status), Array(6).fill("success"));
    const lines = readFileSync(log, "utf8");
    assert.equal(lines.split("start").length - 1, 6);
    assert.ok(mostAtOnce(lines) <= 2, `at most two at once:\n${lines}`);
  } finally {
    await agent?.stop();
    removeDir(home);
  }
});
