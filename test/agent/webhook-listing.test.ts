// One vocabulary for all triggers: list-triggers shows schedules, webhooks
// and watchers in one table (state, last run, next fire / URL / path), with
// or without an agent; and an HTTP port that is taken leaves the agent
// running with the reason in its status.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Status, type TriggerRecord } from "../../agent/protocol";
import { runCli } from "../helpers/cli";
import { AgentProcess, baseEnv, removeDir, tempHome, writeWorkflow } from "./agent-harness";
import { echoBodyWorkflow } from "./webhook-harness";

describe("list-triggers", { timeout: 60_000 }, () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let file: string;
  let watched: string;

  before(() => {
    home = tempHome("list-triggers");
    env = baseEnv(home, { CLOCKWORK_HTTP_PORT: "0" });
    const work = join(home, "work");
    watched = join(home, "watched");
    mkdirSync(work);
    mkdirSync(watched);
    file = writeWorkflow(work, "echo.workflow.ts", echoBodyWorkflow("echo-body"));
  });
  after(() => removeDir(home));

  test("without an agent, every kind registers into the store and lists in one table", async () => {
    assert.equal((await runCli(["register", file, "--cron", "0 9 * * *", "--tz", "UTC", "--name", "a-schedule"], { env })).code, 0);
    const hook = await runCli(["register-webhook", file, "--name", "b-webhook"], { env });
    assert.equal(hook.code, 0, hook.stderr);
    assert.match(hook.stdout, /no agent is running/);
    const secret = /secret {2}([0-9a-f]{64})/.exec(hook.stdout)?.[1];
    assert.ok(secret, hook.stdout);
    const watcher = await runCli(["register-watcher", file, "--path", watched, "--glob", "**/*.md", "--name", "c-watcher"], { env });
    assert.equal(watcher.code, 0, watcher.stderr);
    assert.match(watcher.stdout, /\(recursive\), files matching \*\*\/\*\.md/, "a glob reaching into subfolders implies --recursive");

    const table = await runCli(["list-triggers"], { env });
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split("\n");
    assert.match(lines[0]!, /^NAME\s+KIND\s+WORKFLOW\s+STATE\s+LAST RUN\s+FIRES ON$/);
    assert.match(lines[1]!, /^a-schedule\s+schedule\s+echo-body\s+active\s+—\s+\d{4}-\d\d-\d\dT09:00:00\.000Z \(in /);
    assert.match(lines[2]!, /^b-webhook\s+webhook\s+echo-body\s+active\s+—\s+\/webhook\/b-webhook \(agent not listening\)$/);
    assert.match(lines[3]!, new RegExp(`^c-watcher\\s+watcher\\s+echo-body\\s+active\\s+—\\s+${watched}/\\*\\* \\*\\*/\\*\\.md \\[created,modified,deleted\\]$`));

    const json = await runCli(["list-triggers", "--json"], { env });
    const records = JSON.parse(json.stdout) as TriggerRecord[];
    assert.deepEqual(records.map((r) => [r.name, r.type]), [["a-schedule", "schedule"], ["b-webhook", "webhook"], ["c-watcher", "watcher"]]);
    assert.ok(!json.stdout.includes(secret), "no listing carries the secret");
  });

  test("with an agent, webhooks show their URL and pause/resume/unregister work by name for every kind", async () => {
    const agent = await AgentProcess.start(home, { CLOCKWORK_HTTP_PORT: "0" });
    try {
      const client = await agent.connect();
      const status = await client.request(Status, undefined);
      client.close();
      const table = await runCli(["list-triggers"], { env });
      assert.match(table.stdout, new RegExp(`b-webhook\\s+webhook\\s+echo-body\\s+active\\s+—\\s+${status.httpUrl}/webhook/b-webhook`));
      for (const name of ["a-schedule", "b-webhook", "c-watcher"]) {
        assert.equal((await runCli(["pause", name], { env })).code, 0);
      }
      const paused = JSON.parse((await runCli(["list-triggers", "--json"], { env })).stdout) as TriggerRecord[];
      assert.deepEqual(paused.map((r) => r.state), ["paused", "paused", "paused"]);
      for (const name of ["a-schedule", "b-webhook", "c-watcher"]) {
        assert.equal((await runCli(["resume", name], { env })).code, 0);
        assert.equal((await runCli(["unregister", name], { env })).code, 0);
      }
      assert.match((await runCli(["list-triggers"], { env })).stdout, /no triggers registered/);
    } finally {
      await agent.stop();
    }
  });
});

describe("an HTTP port that is taken", { timeout: 30_000 }, () => {
  test("leaves the agent running, with the reason in its status", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const home = tempHome("port-taken");
    const agent = await AgentProcess.start(home, { CLOCKWORK_HTTP_PORT: String(port) });
    try {
      const client = await agent.connect();
      const status = await client.request(Status, undefined);
      client.close();
      assert.equal(status.httpUrl, null);
      assert.match(status.httpError ?? "", new RegExp(`127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
      const shown = await runCli(["status"], { env: baseEnv(home) });
      assert.equal(shown.code, 0);
      assert.match(shown.stdout, /http\s+off: cannot listen/);
    } finally {
      await agent.stop();
      blocker.close();
      removeDir(home);
    }
  });
});
