// clockwork/triggers/list with `names`: what the editor asks after a
// TriggersChanged, so that one change does not re-read every trigger.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ListTriggers, RegisterSchedule } from "../../agent/protocol";
import type { AgentClient } from "../../agent/cli/client";
import { AgentProcess, removeDir, shellWorkflow, tempHome, writeWorkflow } from "./agent-harness";

describe("listing triggers by name", () => {
  let home: string;
  let agent: AgentProcess;
  let client: AgentClient;

  before(async () => {
    home = tempHome("list-names");
    agent = await AgentProcess.start(home);
    client = await agent.connect();
    const file = writeWorkflow(home, "n.workflow.ts", shellWorkflow("n", "true"));
    for (const name of ["alpha", "beta", "gamma"]) {
      await client.request(RegisterSchedule, { file, name, cron: "0 9 * * *", timezone: "UTC" });
    }
  });

  after(async () => {
    client?.close();
    await agent?.stop();
    removeDir(home);
  });

  it("returns only the named triggers and leaves out names that are not registered", async () => {
    const listed = await client.request(ListTriggers, { names: ["gamma", "missing", "alpha"] });
    assert.deepEqual(listed.map((t) => t.name).sort(), ["alpha", "gamma"]);
  });

  it("still lists every trigger without names", async () => {
    const listed = await client.request(ListTriggers, {});
    assert.deepEqual(listed.map((t) => t.name), ["alpha", "beta", "gamma"]);
  });

  it("applies the type filter to named triggers too", async () => {
    assert.deepEqual(await client.request(ListTriggers, { names: ["alpha"], type: "webhook" }), []);
  });
});
