// What a webhook sends never reaches a shell as code: command substitutions,
// backticks and quotes in the body arrive in a shell step verbatim through
// {trigger.body} and {trigger.body.field}, and nothing they spell executes.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import type { RunRecord } from "../../agent/protocol";
import { writeWorkflow } from "./agent-harness";
import { post, registerWebhook, startTestAgent, type RegisteredWebhook, type TestAgent } from "./webhook-harness";

describe("webhook bodies reaching shell steps", { timeout: 30_000 }, () => {
  let t: TestAgent;
  let hook: RegisteredWebhook;

  before(async () => {
    t = await startTestAgent("inject");
    const source = `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({
  name: "inject",
  steps: [
    shell("field", "printf '%s' {trigger.body.field}", { cwd: ${JSON.stringify(t.work)} }),
    shell("nested", "printf '%s' {trigger.body.a.b}", { cwd: ${JSON.stringify(t.work)} }),
    shell("whole", "printf '%s' {trigger.body}", { cwd: ${JSON.stringify(t.work)} }),
    shell("env", 'printf "%s" "$CLOCKWORK_TRIGGER_BODY"', { cwd: ${JSON.stringify(t.work)} }),
  ],
});
`;
    const file = writeWorkflow(t.work, "inject.workflow.ts", source);
    hook = await registerWebhook(t, file, ["--name", "inject"]);
  });
  after(async () => t.stop());

  const hostile = [
    "$(touch PWNED)",
    "`touch PWNED2`",
    "'; touch PWNED3; '",
    '"; touch PWNED4; "',
    "$(touch PWNED5)`touch PWNED6` \\ ' \" ; | & > out.txt",
    "\n touch PWNED7 \n",
  ];

  for (const value of hostile) {
    test(`${JSON.stringify(value)} arrives verbatim and executes nothing`, async () => {
      const body = JSON.stringify({ field: value, a: { b: value } });
      const res = await post(`${hook.url}?wait=1`, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
      assert.equal(res.status, 200, res.text);
      const run = res.json<RunRecord>();
      assert.equal(run.status, "success", run.error ?? "");
      const output = (name: string) => run.steps.find((s) => s.name === name)?.output;
      // Shell steps' output is trimmed; compare with the trimmed value.
      assert.equal(output("field"), value.trim());
      assert.equal(output("nested"), value.trim());
      assert.deepEqual(JSON.parse(output("whole")!), { a: { b: value }, field: value });
      assert.deepEqual(JSON.parse(output("env")!), { a: { b: value }, field: value });
      const created = readdirSync(t.work).filter((f) => f.startsWith("PWNED") || f === "out.txt");
      assert.deepEqual(created, []);
      assert.equal(existsSync(join(t.work, "PWNED")), false);
    });
  }
});

// The report that started this: an agent whose /bin/sh is bash (here: told so
// by CLOCKWORK_SHELL) ran `touch pwned` from this body, because bash evaluates
// the operands of `[[ … -gt … ]]` as arithmetic, subscripts and all.
describe("the arithmetic injection through a webhook, under bash", { timeout: 30_000 }, () => {
  let t: TestAgent;
  let hook: RegisteredWebhook;

  before(async () => {
    t = await startTestAgent("inject-bash", { CLOCKWORK_SHELL: "/bin/bash" });
    const source = `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({
  name: "dbl",
  steps: [shell("dbl", "if [[ {trigger.body.n} -gt 5 ]]; then echo big; fi", { cwd: ${JSON.stringify(t.work)} })],
});
`;
    hook = await registerWebhook(t, writeWorkflow(t.work, "dbl.workflow.ts", source), ["--name", "dbl"]);
  });
  after(async () => t.stop());

  const deliver = async (body: string) => {
    const res = await post(`${hook.url}?wait=1`, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
    assert.equal(res.status, 200, res.text);
    return res.json<RunRecord>();
  };

  test('{"n":"a[$(touch pwned)]"} fails the step with the reason and runs nothing', async () => {
    const run = await deliver('{"n":"a[$(touch pwned)]"}');
    assert.equal(run.status, "failed");
    assert.equal(
      run.steps[0]!.error,
      '{trigger.body.n} is used as a number in an operand of [[ … -gt … ]], where bash or zsh evaluates it as arithmetic and would run a command hidden in it (such as a[$(…)]); only a plain integer is accepted there, and its value "a[$(touch pwned)]" is not one. Compare it as text instead ([[ $X == 5 ]], case), or check or convert it in an earlier step (a code step can return Number(…)).',
    );
    assert.equal(run.error, `step "dbl" failed: ${run.steps[0]!.error}`);
    assert.deepEqual(readdirSync(t.work).filter((f) => f !== "dbl.workflow.ts"), []);
  });

  test("a number still works, under bash", async () => {
    const run = await deliver('{"n":7}');
    assert.equal(run.status, "success", run.error ?? "");
    assert.equal(run.steps[0]!.output, "big");
  });
});
