// Bad input to the schedule commands: a clear message and a non-zero exit,
// with an agent (the refusal is a JSON-RPC error) and without one (the same
// checks run against the store), and the agent keeps running.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AgentProcess, cli, removeDir, shellWorkflow, tempHome, writeWorkflow } from "./agent-harness";

interface Case {
  what: string;
  args: (file: string, broken: string, missing: string) => string[];
  message: RegExp;
}

const cases: Case[] = [
  { what: "a minute of 61", args: (f) => ["register", f, "--cron", "61 * * * *", "--name", "x"], message: /minute .*61.* out of range/ },
  { what: "three fields", args: (f) => ["register", f, "--cron", "* * *", "--name", "x"], message: /expected 5 fields .*got 3/ },
  { what: "@reboot", args: (f) => ["register", f, "--cron", "@reboot", "--name", "x"], message: /@reboot is not supported/ },
  { what: "an unknown zone", args: (f) => ["register", f, "--cron", "@daily", "--tz", "Mars/Olympus_Mons", "--name", "x"], message: /unknown zone "Mars\/Olympus_Mons"/ },
  { what: "a missing workflow file", args: (_f, _b, m) => ["register", m, "--cron", "@daily", "--name", "x"], message: /workflow file not found: .*missing\.workflow\.ts/ },
  { what: "a workflow that does not load", args: (_f, b) => ["register", b, "--cron", "@daily", "--name", "x"], message: /broken\.workflow\.ts:\d+:\d+/ },
  { what: "a duplicate name", args: (f) => ["register", f, "--cron", "@daily", "--name", "taken"], message: /a trigger named "taken" already exists/ },
  { what: "an invalid name", args: (f) => ["register", f, "--cron", "@daily", "--name", "no spaces please"], message: /not a valid trigger name/ },
  { what: "an unknown overlap policy", args: (f) => ["register", f, "--cron", "@daily", "--overlap", "sometimes"], message: /sometimes/ },
  { what: "pausing an unknown name", args: () => ["pause", "ghost"], message: /no trigger named "ghost"/ },
  { what: "resuming an unknown name", args: () => ["resume", "ghost"], message: /no trigger named "ghost"/ },
  { what: "unregistering an unknown name", args: () => ["unregister", "ghost"], message: /no trigger named "ghost"/ },
  { what: "updating an unknown name", args: () => ["update", "ghost", "--cron", "@daily"], message: /no trigger named "ghost"/ },
  { what: "updating with a bad expression", args: () => ["update", "taken", "--cron", "* * * * * * * *"], message: /cron/ },
  { what: "updating with nothing to change", args: () => ["update", "taken"], message: /nothing to change/ },
];

function suite(withAgent: boolean) {
  describe(withAgent ? "bad input with an agent running" : "bad input with no agent", () => {
    let home: string;
    let file: string;
    let broken: string;
    let missing: string;
    let agent: AgentProcess | undefined;

    before(async () => {
      home = tempHome(withAgent ? "bad-agent" : "bad-store");
      const work = join(home, "work");
      mkdirSync(work);
      file = writeWorkflow(work, "ok.workflow.ts", shellWorkflow("ok", "true"));
      broken = join(work, "broken.workflow.ts");
      writeFileSync(broken, `import { defineWorkflow } from "clockwork";\nexport default defineWorkflow({ name: "b", steps: [ });\n`);
      missing = join(work, "missing.workflow.ts");
      if (withAgent) agent = await AgentProcess.start(home);
      const taken = await cli(home, ["register", file, "--cron", "@daily", "--name", "taken"]);
      assert.equal(taken.code, 0, taken.stderr);
    });
    after(async () => {
      await agent?.stop();
      removeDir(home);
    });

    for (const c of cases) {
      test(`${c.what} is refused with a clear message and a non-zero exit`, async () => {
        const result = await cli(home, c.args(file, broken, missing));
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, c.message);
        assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
      });
    }

    test("nothing was stored by the refused commands", async () => {
      const list = JSON.parse((await cli(home, ["list", "--json"])).stdout) as Array<{ name: string }>;
      assert.deepEqual(
        list.map((t) => t.name),
        ["taken"],
      );
      if (agent) assert.equal((await cli(home, ["status"])).code, 0, "the agent is still running");
    });
  });
}

suite(true);
suite(false);
