import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { code, defineWorkflow, http, llm, mcp, shell } from "../../agent/sdk";
import { locate, positionOf } from "../../agent/workflow/locate";
import { validateWorkflow } from "../../agent/workflow/validate";

const messages = (exports: unknown) => validateWorkflow(exports).problems.map((p) => p.message);
const wf = (definition: unknown) => ({ default: definition });

describe("validating a workflow's default export", () => {
  test("a well-formed workflow passes and keeps its steps", () => {
    const result = validateWorkflow(
      wf(
        defineWorkflow({
          name: "daily-digest",
          description: "summary",
          steps: [
            shell("commits", ["git", "log"], { timeout: "30s", retries: { attempts: 3, backoffMs: 200 }, cwd: "~/src", env: { A: "1" } }),
            llm("summary", { prompt: "{commits}", provider: "anthropic", model: "m", apiKeyEnv: "KEY", maxTokens: 100, temperature: 0.2 }),
            http("notify", { url: "http://127.0.0.1:9/x", method: "POST", body: { text: "{summary}" }, expectStatus: [200, 202] }),
            code("count", async () => 1),
          ],
        }),
      ),
    );
    assert.deepEqual(result.problems, []);
    assert.equal(result.workflow?.name, "daily-digest");
    assert.deepEqual(result.workflow?.steps.map((s) => s.name), ["commits", "summary", "notify", "count"]);
  });

  test("no default export says how to write one", () => {
    assert.deepEqual(messages({}), ["the file has no default export: end it with `export default defineWorkflow({ name, steps: [...] })`"]);
    assert.match(messages(wf("text"))[0]!, /must be defineWorkflow\(\{ name, steps \}\), not string "text"/);
  });

  test("a missing or invalid name, missing steps and unknown top-level keys are each reported", () => {
    assert.deepEqual(messages(wf({ steps: [shell("a", "true")] })), ['the workflow needs a name: defineWorkflow({ name: "my-workflow", steps: [...] })']);
    assert.match(messages(wf({ name: "has space", steps: [shell("a", "true")] }))[0]!, /workflow name "has space" is not valid/);
    assert.match(messages(wf({ name: "x" }))[0]!, /the workflow needs steps/);
    assert.deepEqual(messages(wf({ name: "x", steps: [] })), ["the workflow has no steps"]);
    assert.match(messages(wf({ name: "x", step: [], steps: [shell("a", "true")] }))[0]!, /unknown workflow option "step" \(did you mean "steps"\?\)/);
  });

  test("duplicate step names name both steps", () => {
    assert.deepEqual(messages(wf({ name: "x", steps: [shell("a", "true"), shell("b", "true"), shell("a", "false")] })), [
      'duplicate step name "a": step 1 already has it; step names must be unique',
    ]);
  });

  test("invalid, reserved and colliding step names are refused", () => {
    assert.match(messages(wf({ name: "x", steps: [shell("has space", "true")] }))[0]!, /"has space" is not a valid step name/);
    assert.match(messages(wf({ name: "x", steps: [shell("trigger", "true")] }))[0]!, /"trigger" is reserved for placeholders/);
    assert.match(messages(wf({ name: "x", steps: [shell("", "true")] }))[0]!, /needs a name as its first argument/);
    assert.match(
      messages(wf({ name: "x", steps: [shell("send-mail", "true"), shell("send_mail", "true")] }))[0]!,
      /"send_mail" and "send-mail" both become the environment variable CLOCKWORK_STEP_SEND_MAIL/,
    );
  });

  test("unknown options suggest the right one and list what the step takes", () => {
    const [message] = messages(wf({ name: "x", steps: [shell("a", "true", { timout: "5s" } as never)] }));
    assert.equal(message, 'step "a" (shell): unknown option "timout" (did you mean "timeout"?) (shell steps take: timeout, retries, cwd, env, shell)');
  });

  test("the shell option takes the absolute path of a POSIX shell, for a string command only", () => {
    const one = (step: unknown) => messages(wf({ name: "x", steps: [step] }));
    assert.deepEqual(one(shell("a", "true", { shell: "/bin/bash" })), []);
    assert.deepEqual(one(shell("a", "true", { shell: "/usr/local/bin/zsh-5.9" })), []);
    assert.deepEqual(one(shell("a", "true", { shell: "bash" })), ['step "a" (shell): option "shell": must be an absolute path, such as "/bin/bash", not "bash"']);
    assert.match(one(shell("a", "true", { shell: "/usr/bin/fish" }))[0]!, /option "shell": must be a POSIX shell \(sh, bash, dash, .*\), since placeholders are quoted for their syntax; "fish" is not one/);
    assert.match(one(shell("a", "true", { shell: "/usr/bin/python3" }))[0]!, /"python3" is not one \(run other interpreters with an argv array/);
    assert.deepEqual(one(shell("a", ["true"], { shell: "/bin/bash" })), [
      'step "a" (shell): option "shell" applies to a string command; an array runs its program directly',
    ]);
  });

  test("option values are checked with a message per problem", () => {
    assert.deepEqual(messages(wf({ name: "x", steps: [shell("a", "true", { timeout: "soon" as never })] })), [
      'step "a" (shell): option "timeout": "soon" is not a duration: use milliseconds (a number) or a string such as "500ms", "30s", "5m", "1h"',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [http("h", {} as never)] })), ['step "h" (http): option "url" is required']);
    assert.deepEqual(messages(wf({ name: "x", steps: [http("h", { url: "http://x", method: "FETCH" as never })] })), [
      'step "h" (http): option "method" must be one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [llm("l", { prompt: "p", apiKeyEnv: "sk-abc123-secret" })] })), [
      'step "l" (llm): option "apiKeyEnv" must be the NAME of an environment variable, not the key itself',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [shell("a", "true", { retries: { attempts: 0 } })] })), [
      'step "a" (shell): option "retries.attempts" must be at least 1',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [shell("a", "true", { env: { A: 1 as never } })] })), [
      'step "a" (shell): option "env.A" must be a string, not number 1',
    ]);
  });

  test("a GET or HEAD request with a body is refused before it is sent", () => {
    assert.deepEqual(messages(wf({ name: "x", steps: [http("h", { url: "http://x", method: "GET", body: "b" })] })), [
      'step "h" (http): a GET request cannot have a body; use method: "POST" (the default when there is a body)',
    ]);
  });

  test("a shell step needs a command and a code step a function", () => {
    assert.match(messages(wf({ name: "x", steps: [shell("a", "  ")] }))[0]!, /the command must be a non-empty string or an array of strings/);
    assert.match(messages(wf({ name: "x", steps: [shell("a", [])] }))[0]!, /the command must be/);
    assert.match(messages(wf({ name: "x", steps: [code("c", "nope" as never)] }))[0]!, /the second argument must be a function/);
    assert.match(messages(wf({ name: "x", steps: [{ kind: "ftp", name: "m" }] }))[0]!, /step 1 is an object: build steps with shell\(\), http\(\), llm\(\), code\(\) or mcp\(\)/);
  });

  test("an mcp step needs a server of a known shape, a tool, and arguments JSON can carry", () => {
    assert.deepEqual(messages(wf({ name: "x", steps: [mcp("m", { tool: "t" } as never)] })), [
      'step "m" (mcp): option "server" is required: the name of a server in $CLOCKWORK_HOME/mcp.json, { command, args?, env?, cwd? } (a stdio server) or { url, headers? } (Streamable HTTP)',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [mcp("m", { server: { comand: "npx" } as never, tool: "t" })] })), [
      'step "m" (mcp): option "server" needs command (a stdio server: { command, args?, env?, cwd? }) or url (Streamable HTTP: { url, headers? })',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [mcp("m", { server: { command: "npx", env: { A: "1" }, header: {} } as never, tool: "t" })] })), [
      'step "m" (mcp): option "server" has an unknown field "header" (a stdio server takes command, args, env, cwd)',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [mcp("m", { server: { url: "ftp://x" }, tool: "t" })] })), [
      'step "m" (mcp): option "server" its url must be an http:// or https:// URL',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [mcp("m", { server: { url: "http://h/mcp", headers: { Authorization: "Bearer ${input:token}" } }, tool: "t" })] })), [
      "step \"m\" (mcp): option \"server\" its headers.Authorization uses ${input:token}, which Clockwork cannot fill in: it fills in only ${env:NAME}, a variable of the agent's environment",
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [mcp("m", { server: "s", tool: "" })] })), ['step "m" (mcp): option "tool" must not be empty']);
    assert.deepEqual(messages(wf({ name: "x", steps: [mcp("m", { server: "s", tool: "t", arguments: { n: Number.NaN } })] })), [
      'step "m" (mcp): option "arguments.n" is NaN: arguments are sent as JSON',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [mcp("m", { server: "s", tool: "t", arguments: "x" as never })] })), [
      'step "m" (mcp): option "arguments" must be an object, not string "x"',
    ]);
    assert.deepEqual(messages(wf({ name: "x", steps: [mcp("m", { server: { command: "npx", env: { T: "${env:TOKEN}" } }, tool: "t", arguments: { q: "{nope}" } })] })), [
      'step "m" (mcp), arguments.q: {nope}: no step named "nope" in this workflow',
    ]);
  });

  test("placeholders that can never resolve are reported, but the workflow still loads", () => {
    const result = validateWorkflow(
      wf({ name: "x", steps: [shell("a", "echo {b} {previous.zz} {trigger.nope}"), shell("b", "echo {a} {{literal}} {previous.b}")] }),
    );
    assert.ok(result.workflow);
    assert.deepEqual(
      result.problems.map((p) => p.message),
      [
        'step "a" (shell), command: {b}: step "b" runs after this step, so it has no output yet',
        'step "a" (shell), command: {previous.zz}: no step named "zz" in this workflow',
        'step "a" (shell), command: {trigger.nope}: unknown trigger field; use one of {trigger.event}, {trigger.kind}, {trigger.body}, {trigger.headers.<name>}, {trigger.path}, {trigger.file_event}, {trigger.name}, {trigger.run.<field>}',
      ],
    );
  });
});

describe("locating problems in the source", () => {
  const source = `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({
  name: "x",
  steps: [
    shell("a", "true"),
    shell("a", "echo {b}", { timout: 5 }),
  ],
});
`;
  const steps = [shell("a", "true"), shell("a", "echo {b}")];

  test("a duplicate step points at the second occurrence of its name", () => {
    assert.deepEqual(locate(source, { kind: "step", index: 1, name: "a" }, steps), { line: 6, column: 11, length: 3 });
  });

  test("an option and a placeholder point at themselves, after their step", () => {
    assert.deepEqual(locate(source, { kind: "step", index: 1, name: "a", option: "timout" }, steps), { line: 6, column: 30, length: 6 });
    assert.deepEqual(locate(source, { kind: "step", index: 1, name: "a", text: "{b}" }, steps), { line: 6, column: 22, length: 3 });
  });

  test("workflow keys and the export are found; anything else is the file's start", () => {
    assert.deepEqual(locate(source, { kind: "workflow", key: "name" }), { line: 3, column: 3, length: 4 });
    assert.deepEqual(locate(source, { kind: "export" }), { line: 2, column: 1, length: 14 });
    assert.deepEqual(locate(source, { kind: "file" }), { line: 1, column: 1, length: undefined });
    assert.deepEqual(positionOf("ab\ncd", 4), { line: 2, column: 2 });
  });
});
