// Every step kind against real endpoints: a local HTTP server, and a fake
// model server speaking the OpenAI-compatible and Anthropic APIs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { realpathSync } from "node:fs";
import type { LogChunk, RunRecord } from "../../agent/protocol";
import { runCli, runCliJson } from "../helpers/cli";
import { startFakeLlm, type FakeLlm } from "../helpers/fakeLlm";
import { makeTestHome, workflowSource, type TestHome } from "../helpers/home";
import { startHttpServer, type TestServer } from "../helpers/httpServer";

let home: TestHome;
let server: TestServer;
let model: FakeLlm;
let flaky = 0;

before(async () => {
  home = makeTestHome("run-steps", { TEST_LLM_KEY: "sk-test-123", ANTHROPIC_TEST_KEY: "ant-test-456" });
  server = await startHttpServer((request) => {
    if (request.path === "/created") return { status: 201, body: { id: 7 } };
    if (request.path === "/teapot") return { status: 418, body: "short and stout" };
    if (request.path === "/flaky") return ++flaky < 3 ? { status: 503, body: "try later" } : { body: "finally" };
    return { body: { method: request.method, path: request.path, body: request.text, type: request.headers["content-type"] ?? null } };
  });
  model = await startFakeLlm();
});
after(async () => {
  await server.close();
  await model.close();
  home.cleanup();
});

async function runWorkflow(name: string, steps: string[], extra: string[] = []): Promise<RunRecord> {
  home.write(`${name}.workflow.ts`, workflowSource(name, steps));
  return runCliJson<RunRecord>(["run", `${name}.workflow.ts`, "--json", ...extra], { env: home.env, cwd: home.work });
}

async function logsOf(runId: string): Promise<LogChunk[]> {
  const result = await runCli(["logs", runId, "--json"], { env: home.env });
  return result.stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as LogChunk);
}

describe("shell steps", () => {
  test("an argv array runs without a shell: its arguments are never split or expanded", async () => {
    const record = await runWorkflow("argv", [`shell("a", "echo one two")`, `shell("b", ["printf", "%s|", "{a}", "$HOME", "*"])`]);
    assert.equal(record.steps[1]!.output, "one two|$HOME|*|");
  });

  test("cwd is relative to the workflow file and env values may hold placeholders", async () => {
    home.write("sub/marker.txt", "");
    const record = await runWorkflow("cwdenv", [
      `shell("where", "pwd; ls", { cwd: "sub" })`,
      `shell("vars", 'printf "%s/%s" "$GREETING" "$CLOCKWORK_STEP_WHERE"', { env: { GREETING: "hi {run.workflow}" } })`,
    ]);
    assert.equal(record.steps[0]!.output, `${realpathSync(home.path("sub"))}\nmarker.txt`);
    assert.equal(record.steps[1]!.output, `hi cwdenv/${record.steps[0]!.output}`);
  });

  test("a missing working directory fails the step before anything runs", async () => {
    const record = await runWorkflow("nocwd", [`shell("a", "true", { cwd: "does-not-exist" })`]);
    assert.equal(record.steps[0]!.error, `working directory ${home.path("does-not-exist")} does not exist or is not a folder`);
  });

  test("the run's identity and trigger are in the environment", async () => {
    const record = await runWorkflow("identity", [`shell("env", "env | grep -E '^CLOCKWORK_(RUN|TRIGGER|STEP|PREVIOUS)_' | sort")`], ["--body", '{"k":"v"}']);
    assert.equal(
      record.steps[0]!.output,
      [`CLOCKWORK_RUN_ID=${record.id}`, "CLOCKWORK_RUN_WORKFLOW=identity", 'CLOCKWORK_TRIGGER_BODY={"k":"v"}', "CLOCKWORK_TRIGGER_EVENT=manual", "CLOCKWORK_TRIGGER_KIND=manual"].join("\n"),
    );
  });

  test("retries wait and log each attempt; the step records how many it took", async () => {
    const record = await runWorkflow("retry", [
      `shell("count", "n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; echo attempt $n; [ $n -ge 3 ]", { retries: { attempts: 4, backoffMs: 10 } })`,
    ]);
    assert.equal(record.status, "success");
    assert.equal(record.steps[0]!.attempts, 3);
    assert.equal(record.steps[0]!.output, "attempt 3");
    const info = (await logsOf(record.id)).filter((c) => c.stream === "info").map((c) => c.text);
    assert.deepEqual(info, [
      "attempt 1 of 4 failed: exit code 1; retrying in 10ms\n",
      "attempt 2 of 4\n",
      "attempt 2 of 4 failed: exit code 1; retrying in 20ms\n",
      "attempt 3 of 4\n",
    ]);
  });

  test("when every attempt fails the step fails with the last error", async () => {
    const record = await runWorkflow("retryfail", [`shell("never", "echo nope >&2; exit 2", { retries: { attempts: 2, backoffMs: 1 } })`]);
    assert.equal(record.steps[0]!.status, "failed");
    assert.equal(record.steps[0]!.attempts, 2);
    assert.equal(record.steps[0]!.error, "exit code 2: nope");
  });
});

describe("http steps", () => {
  test("GET returns the response body as the output", async () => {
    const record = await runWorkflow("get", [`http("get", { url: "${server.url}/things?q={run.workflow}" })`]);
    assert.deepEqual(JSON.parse(record.steps[0]!.output!), { method: "GET", path: "/things?q=get", body: "", type: null });
  });

  test("a JSON body is sent as JSON with placeholders filled in; values in the url are encoded", async () => {
    const record = await runWorkflow("post", [
      `shell("word", "echo 'a b&c'")`,
      `http("send", { url: "${server.url}/echo?w={word}", method: "PUT", headers: { "X-Run": "{run.id}" }, body: { text: "{word}", n: 1 }, expectStatus: 200 })`,
    ]);
    const request = server.requests.at(-1)!;
    assert.equal(request.method, "PUT");
    assert.equal(request.path, "/echo?w=a%20b%26c");
    assert.equal(request.headers["x-run"], record.id);
    assert.equal(request.headers["content-type"], "application/json");
    assert.deepEqual(request.json, { text: "a b&c", n: 1 });
  });

  test("an unexpected status fails the step with the status and the start of the body", async () => {
    const record = await runWorkflow("teapot", [`http("brew", { url: "${server.url}/teapot" })`]);
    assert.equal(record.steps[0]!.error, `GET ${server.url}/teapot answered 418 I'm a Teapot (expected 2xx): short and stout`);
    const created = await runWorkflow("created", [`http("make", { url: "${server.url}/created", method: "POST", body: "x", expectStatus: [201] })`]);
    assert.equal(created.steps[0]!.output, '{"id":7}');
  });

  test("a server error is retried when the step asks for retries", async () => {
    flaky = 0;
    const record = await runWorkflow("flaky", [`http("call", { url: "${server.url}/flaky", retries: { attempts: 3, backoffMs: 5 } })`]);
    assert.equal(record.status, "success");
    assert.equal(record.steps[0]!.output, "finally");
    assert.equal(record.steps[0]!.attempts, 3);
  });
});

describe("llm steps", () => {
  test("an OpenAI-compatible server gets the model, system and prompt, and the key from the named variable", async () => {
    model.setReply("A fine summary.");
    const record = await runWorkflow("openai", [
      `shell("commits", "printf 'fix: a\\\\nfeat: b'")`,
      `llm("summary", { baseUrl: "${model.baseUrl}", model: "tiny-1", apiKeyEnv: "TEST_LLM_KEY", system: "Be brief.", prompt: "Commits:\\n{commits}", temperature: 0.1, maxTokens: 50 })`,
    ]);
    assert.equal(record.status, "success", record.error ?? "");
    assert.equal(record.steps[1]!.output, "A fine summary.");
    const chat = model.chats.at(-1)!;
    assert.equal(chat.api, "openai");
    assert.equal(chat.model, "tiny-1");
    assert.equal(chat.system, "Be brief.");
    assert.equal(chat.prompt, "Commits:\nfix: a\nfeat: b");
    assert.equal(chat.request.headers.authorization, "Bearer sk-test-123");
    assert.deepEqual((chat.request.json as { temperature: number; max_tokens: number }).temperature, 0.1);
    assert.equal((chat.request.json as { max_tokens: number }).max_tokens, 50);
    const logs = await runCli(["logs", record.id], { env: home.env });
    assert.doesNotMatch(logs.stdout, /sk-test-123/, "the key never reaches the log");
    assert.match(logs.stdout, new RegExp(`openai model tiny-1 at ${model.baseUrl}`));
  });

  test("Anthropic's Messages API gets x-api-key, the version header and max_tokens", async () => {
    model.setReply((chat) => `Claude says: ${chat.prompt.toUpperCase()}`);
    const record = await runWorkflow("anthropic", [
      `llm("ask", { provider: "anthropic", baseUrl: "${model.baseUrl}", model: "claude-test", apiKeyEnv: "ANTHROPIC_TEST_KEY", system: "Shout.", prompt: "hello {run.workflow}" })`,
    ]);
    assert.equal(record.steps[0]!.output, "Claude says: HELLO ANTHROPIC");
    const chat = model.chats.at(-1)!;
    assert.equal(chat.api, "anthropic");
    assert.equal(chat.model, "claude-test");
    assert.equal(chat.system, "Shout.");
    assert.equal(chat.request.headers["x-api-key"], "ant-test-456");
    assert.equal(chat.request.headers["anthropic-version"], "2023-06-01");
    assert.equal(chat.request.headers.authorization, undefined);
    assert.equal((chat.request.json as { max_tokens: number }).max_tokens, 4096);
  });

  test("an unset key variable fails before any request, naming the variable", async () => {
    const before = model.requests.length;
    const record = await runWorkflow("nokey", [`llm("ask", { baseUrl: "${model.baseUrl}", apiKeyEnv: "NOT_SET_ANYWHERE", prompt: "hi" })`]);
    assert.match(record.steps[0]!.error!, /^the environment variable NOT_SET_ANYWHERE \(apiKeyEnv\) is not set/);
    assert.equal(model.requests.length, before);
  });

  test("an API error is reported with the server's message", async () => {
    model.failNext(401, "invalid api key");
    const record = await runWorkflow("badkey", [`llm("ask", { baseUrl: "${model.baseUrl}", apiKeyEnv: "TEST_LLM_KEY", prompt: "hi" })`]);
    assert.equal(
      record.steps[0]!.error,
      `the model server at ${model.baseUrl}/chat/completions answered 401 Unauthorized: invalid api key (check the key in TEST_LLM_KEY)`,
    );
  });

  test("without a model the default is used, and {previous.x} feeds yesterday's answer in", async () => {
    model.setReply((chat) => `reply to: ${chat.prompt}`);
    const steps = [`llm("summary", { baseUrl: "${model.baseUrl}", prompt: "before: {previous.summary}" })`];
    home.write("daily.workflow.ts", workflowSource("daily", steps));
    const first = await runCliJson<RunRecord>(["run", "daily.workflow.ts", "--json"], { env: home.env, cwd: home.work });
    assert.equal(first.status, "failed", "no previous value on the very first run");
    // Seed a success under the same name, then the strict one resolves.
    home.write("daily-seed.workflow.ts", workflowSource("daily", [`llm("summary", { baseUrl: "${model.baseUrl}", prompt: "first" })`]));
    await runCliJson<RunRecord>(["run", "daily-seed.workflow.ts", "--json"], { env: home.env, cwd: home.work });
    const second = await runCliJson<RunRecord>(["run", "daily.workflow.ts", "--json"], { env: home.env, cwd: home.work });
    assert.equal(model.chats.at(-1)!.model, "llama3.2");
    assert.equal(model.chats.at(-1)!.prompt, "before: reply to: first");
    assert.equal(second.steps[0]!.output, "reply to: before: reply to: first");
  });
});

describe("code steps", () => {
  test("a function gets earlier outputs, the trigger, the run and a logger; objects become JSON", async () => {
    const record = await runWorkflow(
      "code",
      [
        `shell("a", "echo 21")`,
        `code("double", async ({ steps, trigger, run, log, signal }) => { log("doubling", steps.a); return { n: Number(steps.a) * 2, body: trigger.body, event: trigger.event, id: run.id, workflow: run.workflow, aborted: signal.aborted }; })`,
        `shell("use", "echo {double}")`,
      ],
      ["--body", '{"x":1}'],
    );
    assert.equal(record.status, "success", record.error ?? "");
    const output = JSON.parse(record.steps[1]!.output!);
    assert.deepEqual(output, { n: 42, body: { x: 1 }, event: "manual", id: record.id, workflow: "code", aborted: false });
    assert.equal(record.steps[2]!.output, record.steps[1]!.output);
    const logs = await logsOf(record.id);
    assert.ok(logs.some((c) => c.step === 1 && c.stream === "stdout" && c.text === "doubling 21\n"));
  });

  test("a throwing function fails with its message and the line in the workflow file", async () => {
    const record = await runWorkflow("throws", [`code("boom", () => { throw new Error("no luck"); })`]);
    assert.equal(record.steps[0]!.error, `the function threw Error: no luck (at ${home.path("throws.workflow.ts")}:6:32)`);
  });

  test("a function that ignores its signal still ends at the timeout", async () => {
    const record = await runWorkflow("hang", [`code("forever", () => new Promise(() => {}), { timeout: "200ms" })`]);
    assert.equal(record.steps[0]!.error, "timed out after 200ms; the executor running it was stopped");
  });

  test("a function that leaves timers running cannot keep clockwork run from exiting", async () => {
    const record = await runWorkflow("busy", [`code("ticking", () => { setInterval(() => {}, 1000); return new Promise(() => {}); }, { timeout: "200ms" })`]);
    assert.equal(record.status, "failed");
    assert.equal(record.steps[0]!.error, "timed out after 200ms; the executor running it was stopped");
  });

  test("previous() returns the last successful run's output or undefined", async () => {
    const steps = [`code("n", ({ previous }) => String(Number(previous("n") ?? 0) + 1))`];
    assert.equal((await runWorkflow("counter", steps)).steps[0]!.output, "1");
    assert.equal((await runWorkflow("counter", steps)).steps[0]!.output, "2");
  });
});
