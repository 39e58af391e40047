// Recovery of runs whose owner is gone (agent/runner/orphans.ts), on a real
// SQLite store: who is failed, who is adopted, and what each is told.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AGENT_ORPHAN_REASON, adoptQueuedRuns, failOrphanRuns, orphanReason } from "../../agent/runner/orphans";
import { openStore, type Owner, type Store } from "../../agent/store";

let dir: string;
let store: Store;
const here = hostname();
const deadCli: Owner = { id: "cli:dead", pid: 999_999, host: here };
const liveCli: Owner = { id: "cli:live", pid: process.pid, host: here };
const oldAgent: Owner = { id: "agent:old", pid: process.pid, host: here };
const otherHost: Owner = { id: "agent:far", pid: 999_998, host: `${here}-elsewhere` };
const newAgent: Owner = { id: "agent:new", pid: 4242, host: here };

before(() => {
  dir = mkdtempSync(join(tmpdir(), "cw-orphans-"));
  store = openStore(join(dir, "clockwork.db"));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (owner: Owner, status: "queued" | "running", triggerKind: "manual" | "webhook" = "manual") =>
  store.runs.insertRun({ workflowName: "o", workflowFile: "/o.ts", triggerKind, status, owner });

test("a started run whose process is gone is failed as interrupted; live, queued and other hosts' runs are left alone", async () => {
  const dead = await run(deadCli, "running");
  const waiting = await run(deadCli, "queued", "webhook");
  const alive = await run(liveCli, "running");
  const far = await run(otherHost, "running");

  const failed = await failOrphanRuns(store.runs);
  assert.deepEqual(
    failed.map((r) => r.id),
    [dead.id],
  );
  assert.equal((await store.runs.getSummary(dead.id))?.error, orphanReason(999_999));
  assert.equal((await store.runs.getSummary(waiting.id))?.status, "queued");
  assert.equal((await store.runs.getSummary(alive.id))?.status, "running");
  assert.equal((await store.runs.getSummary(far.id))?.status, "running", "another machine's run is its own agents' to recover");

  for (const r of [alive, far]) await store.runs.finishRun(r.id, "success");
  await store.runs.finishRun(waiting.id, "success");
});

test("an agent starting up fails every run an earlier agent was running, even under a pid that is alive again", async () => {
  const previous = await run(oldAgent, "running");
  const mine = await run(newAgent, "running");
  const failed = await failOrphanRuns(store.runs, { startingAgent: newAgent });
  assert.deepEqual(
    failed.map((r) => r.id),
    [previous.id],
  );
  assert.equal((await store.runs.getSummary(previous.id))?.error, AGENT_ORPHAN_REASON);
  assert.equal((await store.runs.getSummary(mine.id))?.status, "running", "the starting agent's own runs are not orphans");
  await store.runs.finishRun(mine.id, "success");
});

test("the agent adopts every queued run, oldest first, and becomes its owner", async () => {
  const first = await run(deadCli, "queued", "webhook");
  const second = await run(oldAgent, "queued");
  const adopted = await adoptQueuedRuns(store.runs, newAgent);
  assert.deepEqual(
    adopted.map(({ run }) => run.id),
    [first.id, second.id],
  );
  assert.deepEqual(await store.runs.ownerOf(first.id), newAgent);
  assert.deepEqual(await store.runs.ownerOf(second.id), newAgent);
  for (const { run } of adopted) await store.runs.finishRun(run.id, "success");
  assert.deepEqual(await store.runs.ownedActiveRuns(), []);
});
