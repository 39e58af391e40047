// Clients' status bars follow clockwork/agentStatus: it must be sent again
// whenever the next fire or the counts change, not only at start.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AgentStatusChanged, Status, type AgentStatus } from "../../agent/protocol";
import { AgentProcess, cli, recordNotifications, removeDir, shellWorkflow, tempHome, writeWorkflow } from "./agent-harness";

test("registering, pausing and resuming a schedule each send a status with the new next fire and counts", { timeout: 60_000 }, async () => {
  const home = tempHome("status-notify");
  const file = writeWorkflow(home, "yearly.workflow.ts", shellWorkflow("yearly", "true"));
  const agent = await AgentProcess.start(home);
  const client = await agent.connect();
  try {
    const statuses = recordNotifications(client, AgentStatusChanged);
    const until = (match: (s: AgentStatus) => boolean) => statuses.until(match);
    assert.equal((await client.request(Status, undefined)).nextFire, null);

    assert.equal((await cli(home, ["register", file, "--cron", "0 0 1 1 *", "--name", "yearly"])).code, 0);
    const registered = await until((s) => s.nextFire?.trigger === "yearly");
    assert.equal(registered.counts.schedules, 1);

    statuses.seen.length = 0;
    assert.equal((await cli(home, ["pause", "yearly"])).code, 0);
    await until((s) => s.nextFire === null);

    statuses.seen.length = 0;
    assert.equal((await cli(home, ["resume", "yearly"])).code, 0);
    await until((s) => s.nextFire?.trigger === "yearly");
  } finally {
    client.close();
    await agent.stop();
    removeDir(home);
  }
});
