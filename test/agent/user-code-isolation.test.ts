// Workflow code never takes the agent down. A real agent runs a per-second
// schedule the whole time; each misbehaving workflow (at its top level, or
// in a code step) must end its own run or check with a sentence naming the
// cause, while the agent keeps answering `status` and /healthz and the
// schedule keeps firing — counted while the bad code is still misbehaving.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { mkdirSync, readFileSync, readlinkSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import type { PublishDiagnosticsParams } from "vscode-languageserver-protocol";
import { CancelRun, RegisterSchedule, StartRun, Status, type RunSummary } from "../../agent/protocol";
import { AgentProcess, cli, removeDir, shellWorkflow, tempHome, Watcher, writeWorkflow } from "./agent-harness";

const EVAL_TIMEOUT_MS = 4000;

let home: string;
let work: string;
let agent: AgentProcess;
let watcher: Watcher;
let httpUrl: string;

before(async () => {
  home = tempHome("isolation");
  work = join(home, "work");
  mkdirSync(work);
  agent = await AgentProcess.start(home, {
    CLOCKWORK_EVAL_TIMEOUT: `${EVAL_TIMEOUT_MS}ms`,
    CLOCKWORK_EXECUTOR_MEMORY_MB: "128",
    CLOCKWORK_MAX_CONCURRENT_RUNS: "4",
  });
  watcher = await agent.watch();
  const status = await watcher.client.request(Status, undefined);
  assert.ok(status.httpUrl, "the HTTP server is up");
  httpUrl = status.httpUrl;
  const tick = writeWorkflow(work, "tick.workflow.ts", shellWorkflow("tick", "echo tick"));
  await watcher.client.request(RegisterSchedule, { file: tick, cron: "* * * * * *", name: "tick", overlap: "parallel" });
});

after(async () => {
  watcher?.client.close();
  if (agent) assert.equal(await agent.stop(), 0, "the agent still stops cleanly on SIGTERM");
  removeDir(home);
});

const ticksSince = (at: number) =>
  [...watcher.latest().values()].filter((r) => r.triggerName === "tick" && r.status === "success" && Date.parse(r.createdAt) >= at).length;

/** Resolves once the per-second schedule has finished `count` runs created after `at`. */
const ticks = (at: number, count = 2) => watcher.until(() => ticksSince(at) >= count, `${count} schedule fires`);

async function assertResponsive(): Promise<void> {
  const status = await watcher.client.request(Status, undefined);
  assert.equal(status.pid, agent.pid);
  const health = await fetch(`${httpUrl}/healthz`);
  assert.equal(health.status, 200);
}

const finished = (runId: string) =>
  watcher.until(() => {
    const run = watcher.latest().get(runId);
    return run && !["queued", "running"].includes(run.status) ? run : undefined;
  }, `run ${runId} to finish`);

const stepRunning = (runId: string) =>
  watcher.until(() => watcher.steps.some((s) => s.runId === runId && s.step.status === "running"), `a step of ${runId} to start`);

/** A workflow whose first step is `code(fn)`, followed by a shell step that must be skipped. */
function codeWorkflow(name: string, fn: string, options = `{ timeout: "30s" }`): string {
  return `import { defineWorkflow, code, shell } from "clockwork";
export default defineWorkflow({
  name: ${JSON.stringify(name)},
  steps: [code("bad", ${fn}, ${options}), shell("after", "echo after")],
});
`;
}

function topLevelWorkflow(name: string, statement: string): string {
  return `import { defineWorkflow, shell } from "clockwork";
${statement}
export default defineWorkflow({ name: ${JSON.stringify(name)}, steps: [shell("a", "echo a")] });
`;
}

async function runFile(file: string): Promise<RunSummary> {
  const { runId } = await watcher.client.request(StartRun, { file });
  return finished(runId);
}

describe("a code step that misbehaves ends its own run, and the agent keeps serving", () => {
  test("a synchronous loop past its timeout: the schedule fires while it spins, then the step fails as timed out", async () => {
    const file = writeWorkflow(work, "spin.workflow.ts", codeWorkflow("spin", `() => { for (;;) {} }`, `{ timeout: "6s" }`));
    const { runId } = await watcher.client.request(StartRun, { file });
    await stepRunning(runId);
    const spinningSince = Date.now();
    await ticks(spinningSince);
    await assertResponsive();
    assert.equal(watcher.latest().get(runId)?.status, "running", "the spinning step is still going");
    const run = await finished(runId);
    assert.equal(run.status, "failed");
    assert.match(run.error ?? "", /step "bad" failed: timed out after 6\.0s; the executor running it was stopped/);
  });

  test("a function that never settles and ignores its signal is cancelled hard", async () => {
    const file = writeWorkflow(work, "never.workflow.ts", codeWorkflow("never", `() => new Promise(() => {})`));
    const { runId } = await watcher.client.request(StartRun, { file });
    await stepRunning(runId);
    await ticks(Date.now(), 1);
    const cancelled = await watcher.client.request(CancelRun, { id: runId });
    assert.equal(cancelled.status, "cancelled");
  });

  const endings: Array<[string, string, RegExp]> = [
    ["process.exit", `() => { process.exit(1); }`, /the workflow code called process\.exit\(1\) at .*exit\.workflow\.ts:4:/],
    ["a throw", `async () => { throw new TypeError("no such thing"); }`, /the function threw TypeError: no such thing \(at .*throw\.workflow\.ts:4:/],
    ["endless recursion", `() => { const f = (n: number): number => f(n + 1) + 1; return f(0); }`, /RangeError: Maximum call stack size exceeded/],
    ["filling the heap", `() => { const a: number[][] = []; for (;;) a.push(new Array(1e6).fill(1.5)); }`, /ran out of memory \(each executor's heap is capped at 128 MiB/],
    ["an uncaught throw from a timer", `() => new Promise((r) => { setTimeout(() => { throw new Error("late"); }, 5); setTimeout(r, 60_000); })`, /an uncaught exception in the workflow code: Error: late/],
  ];
  for (const [what, fn, expected] of endings) {
    test(`${what}: the run fails naming the cause, the next step is skipped, the agent answers`, async () => {
      const slug = what.split(" ").pop()!.replace(/^process\./, "").replace(/\W/g, "");
      const file = writeWorkflow(work, `${slug}.workflow.ts`, codeWorkflow(`c-${slug}`, fn));
      const before = Date.now();
      const run = await runFile(file);
      assert.equal(run.status, "failed");
      assert.match(run.error ?? "", expected);
      const after = watcher.steps.filter((s) => s.runId === run.id && s.step.name === "after").at(-1);
      assert.equal(after?.step.status, "skipped");
      await assertResponsive();
      await ticks(before, 1);
    });
  }

  test("a 2 GB allocation fails inside the workflow's code, not the machine", { skip: process.platform !== "linux" && "the data limit needs Linux" }, async () => {
    const file = writeWorkflow(work, "alloc.workflow.ts", codeWorkflow("alloc", `() => String(Buffer.alloc(2 * 1024 ** 3).length)`));
    const run = await runFile(file);
    assert.equal(run.status, "failed");
    assert.match(run.error ?? "", /RangeError: Array buffer allocation failed|ran out of memory/);
    await assertResponsive();
  });

  test("chdir, env changes and SIGTERM handlers in workflow code change nothing in the agent, nor in the next step", async () => {
    const file = writeWorkflow(
      work,
      "state.workflow.ts",
      `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({
  name: "state",
  steps: [
    code("mess", () => { process.chdir("/"); process.env.CW_LEAKED = "yes"; process.on("SIGTERM", () => {}); return process.cwd(); }),
    code("look", () => [process.cwd(), String(process.env.CW_LEAKED), String(process.listenerCount("SIGTERM"))].join(" ")),
  ],
});
`,
    );
    const run = await runFile(file);
    assert.equal(run.status, "success", run.error ?? "");
    const look = watcher.steps.filter((s) => s.runId === run.id && s.step.name === "look").at(-1)!.step;
    assert.equal(look.output, `${readlinkSync(`/proc/${agent.pid}/cwd`)} undefined 0`);
    if (process.platform === "linux") {
      assert.notEqual(readlinkSync(`/proc/${agent.pid}/cwd`), "/");
      assert.ok(!readFileSync(`/proc/${agent.pid}/environ`, "utf8").includes("CW_LEAKED"));
    }
  });
});

describe("a workflow file whose top-level code misbehaves gets a clear error where the user looks", () => {
  test("an endless loop: registering fails with the evaluation timeout, and the schedule fires meanwhile", async () => {
    const file = writeWorkflow(work, "loop.workflow.ts", topLevelWorkflow("loop", "while (true) {}"));
    const since = Date.now();
    const registering = cli(home, ["register-webhook", file]);
    await ticks(since);
    await assertResponsive();
    const result = await registering;
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp(`evaluating the file did not finish within ${EVAL_TIMEOUT_MS} ms`));
  });

  const cases: Array<[string, string, string, RegExp]> = [
    ["process.exit", "loadexit", "process.exit(1);", /loadexit\.workflow\.ts:2:\d+: .*the workflow code called process\.exit\(1\)/],
    ["a throw", "loadthrow", `throw new Error("not today");`, /loadthrow\.workflow\.ts:2:\d+: loading the file threw Error: not today/],
    ["endless recursion", "loadrecursion", "const f = (): number => f() + 1; f();", /RangeError: Maximum call stack size exceeded/],
    ["filling the heap", "loadheap", "const a: number[][] = []; for (;;) a.push(new Array(1e6).fill(1.5));", /ran out of memory/],
    ["a top-level await that never resolves", "loadawait", "await new Promise(() => {});", /loadawait\.workflow\.ts:2:1: top-level await is not supported in workflow files/],
  ];
  for (const [what, slug, statement, expected] of cases) {
    test(`${what}: clockwork register-webhook refuses it with file:line:column, the agent answers`, async () => {
      const file = writeWorkflow(work, `${slug}.workflow.ts`, topLevelWorkflow(slug, statement));
      const result = await cli(home, ["register-webhook", file]);
      assert.notEqual(result.code, 0, result.stdout);
      assert.match(result.stderr, expected);
      await assertResponsive();
    });
  }

  test("a registered schedule whose file turns into an endless loop records a failed run and keeps its cadence", async () => {
    const file = writeWorkflow(work, "turns.workflow.ts", shellWorkflow("turns", "echo fine"));
    const since = Date.now();
    await watcher.client.request(RegisterSchedule, { file, cron: "*/2 * * * * *", name: "turns" });
    await watcher.until(() => [...watcher.latest().values()].some((r) => r.triggerName === "turns" && r.status === "success"), "a good fire");
    writeWorkflow(work, "turns.workflow.ts", topLevelWorkflow("turns", "for (;;) {}"));
    const failed = await watcher.until(
      () => [...watcher.latest().values()].find((r) => r.triggerName === "turns" && r.status === "failed" && Date.parse(r.createdAt) > since),
      "a fire of the broken file",
    );
    assert.match(failed.error ?? "", /did not finish within/);
    await assertResponsive();
  });
});

describe("editor features never run user code on the agent's loop", () => {
  let socket: net.Socket;
  let lsp: MessageConnection;
  const published: PublishDiagnosticsParams[] = [];
  const waiters: Array<() => void> = [];

  before(async () => {
    socket = net.connect(agent.socketPath);
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    lsp = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
    lsp.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      published.push(p);
      for (const wake of waiters.splice(0)) wake();
    });
    lsp.onRequest("workspace/codeLens/refresh", () => null);
    lsp.listen();
    await lsp.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} });
    lsp.sendNotification("initialized", {});
  });
  after(() => {
    lsp?.dispose();
    socket?.destroy();
  });

  test("an unsaved buffer with an endless loop gets a diagnostic saying evaluation timed out; the schedule fires meanwhile", async () => {
    const uri = pathToFileURL(join(work, "typing.workflow.ts")).href;
    const text = topLevelWorkflow("typing", "for (let i = 0; ; i++) {}");
    const since = Date.now();
    lsp.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text } });
    await ticks(since);
    await assertResponsive();
    for (;;) {
      const found = published.find((p) => p.uri === uri && p.version === 1);
      if (found) {
        assert.equal(found.diagnostics.length, 1);
        assert.match(found.diagnostics[0]!.message, /evaluating the file did not finish within/);
        break;
      }
      await new Promise<void>((wake) => waiters.push(wake));
    }
    // Fixing the text clears it.
    const fixed = topLevelWorkflow("typing", "");
    lsp.sendNotification("textDocument/didChange", { textDocument: { uri, version: 2 }, contentChanges: [{ text: fixed }] });
    for (;;) {
      const found = published.find((p) => p.uri === uri && p.version === 2);
      if (found) {
        assert.deepEqual(found.diagnostics, []);
        break;
      }
      await new Promise<void>((wake) => waiters.push(wake));
    }
  });
});

describe("clockwork run in a terminal runs the workflow's code in an executor thread", () => {
  const endings: Array<[string, string, RegExp]> = [
    ["a top-level process.exit", topLevelWorkflow("cli-exit", "process.exit(4);"), /the workflow code called process\.exit\(4\) at .*process-exit\.workflow\.ts:2:/],
    ["a top-level endless loop", topLevelWorkflow("cli-loop", "for (;;) {}"), /evaluating the file did not finish within 4000 ms/],
    ["a code step's process.exit", codeWorkflow("cli-step-exit", `() => process.exit(2)`), /step "bad" failed: the workflow code called process\.exit\(2\)/],
    ["a code step that spins past its timeout", codeWorkflow("cli-spin", `() => { for (;;) {} }`, `{ timeout: "1s" }`), /step "bad" failed: timed out after 1\.0s; the executor running it was stopped/],
    ["a code step that fills the heap", codeWorkflow("cli-heap", `() => { const a: number[][] = []; for (;;) a.push(new Array(1e6).fill(1.5)); }`), /ran out of memory/],
    ["a code step's chdir", codeWorkflow("cli-chdir", `() => { process.chdir("/"); }`), /process\.chdir\(\) is not available to workflow code run by `clockwork run`/],
  ];
  for (const [what, source, expected] of endings) {
    test(`${what}: the command says why, exits 1, and the run is recorded failed`, async () => {
      const file = writeWorkflow(work, `cli-${what.replace(/\W+/g, "-")}.workflow.ts`, source);
      const result = await cli(home, ["run", file, "--json"], { CLOCKWORK_EVAL_TIMEOUT: `${EVAL_TIMEOUT_MS}ms`, CLOCKWORK_EXECUTOR_MEMORY_MB: "128" });
      assert.equal(result.code, 1, result.stderr);
      const run = JSON.parse(result.stdout) as { status: string; error: string };
      assert.equal(run.status, "failed");
      assert.match(run.error, expected);
    });
  }
});
