// What running workflow code in executor processes costs, and what it buys.
// A real agent (the built bundle) in a temporary home:
//
//   1. run now over the socket (clockwork/triggers/fire) → the first step
//      reported running, and → the run finished, for a one-step `code`
//      workflow and a one-step `shell` workflow (median and p99 of N runs
//      after warm-up);
//   2. GET /healthz, back to back, while a code step spins (synchronously)
//      for 10 s: p50 / p99 / max latency, and how many answers came;
//   3. an edit to an open workflow file (LSP didChange) → its diagnostics
//      published over the socket, median and p99 of N edits (this includes
//      the pause the agent waits for typing to stop).
//
// BENCH_BASELINE=/path/to/other/dist/clockwork.js measures the same figures
// for another build (e.g. the commit before executors) in the same run.
//
// Usage: npm run build && node bench/isolation.mjs
//   BENCH_RUNS=50 BENCH_EDITS=50 BENCH_SPIN_S=10 BENCH_BASELINE=…
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import * as rpc from "vscode-jsonrpc/node.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const EDITS = Number(process.env.BENCH_EDITS ?? 50);
const SPIN_S = Number(process.env.BENCH_SPIN_S ?? 10);
const builds = [["this build", join(root, "dist", "clockwork.js")]];
if (process.env.BENCH_BASELINE) builds.push(["baseline", process.env.BENCH_BASELINE]);

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
};
const fmt = (s) => `median ${s.p50.toFixed(1)} ms · p99 ${s.p99.toFixed(1)} ms · max ${s.max.toFixed(1)} ms`;

const workflows = {
  code: `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({ name: "code-now", steps: [code("main", () => "ok")] });
`,
  shell: `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({ name: "shell-now", steps: [shell("main", "true")] });
`,
  spin: `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({
  name: "spin",
  steps: [code("spin", () => { const end = Date.now() + ${SPIN_S * 1000}; while (Date.now() < end) {} return "done"; }, { timeout: "1m" })],
});
`,
  edited: (n) => `import { defineWorkflow, shell } from "clockwork";
export default defineWorkflow({ name: "edited", steps: [shell("a", "echo ${n}"), shell("b", "echo {a}")] });
`,
};

async function measure(bundle) {
  const home = mkdtempSync(join(tmpdir(), "cw-bench-iso-"));
  const work = join(home, "work");
  mkdirSync(work);
  const file = (name, text) => {
    const path = join(work, `${name}.workflow.ts`);
    writeFileSync(path, text);
    return path;
  };
  const agent = spawn(process.execPath, [bundle, "agent"], {
    env: { ...process.env, CLOCKWORK_HOME: home, CLOCKWORK_HTTP_PORT: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise((resolve, reject) => {
      let out = "";
      agent.stdout.on("data", (d) => {
        out += d;
        if (/ agent \S+ started /.test(out)) resolve();
      });
      agent.once("exit", (code) => reject(new Error(`agent exited (${code})`)));
    });
    agent.stdout.resume();
    const socket = net.connect(join(home, "agent.sock"));
    await new Promise((r) => socket.once("connect", r));
    const conn = rpc.createMessageConnection(new rpc.SocketMessageReader(socket), new rpc.SocketMessageWriter(socket));
    const started = new Map();
    const finished = new Map();
    const waiters = new Map();
    const wake = (runId) => waiters.get(runId)?.();
    conn.onNotification("clockwork/stepChanged", ({ runId, step }) => {
      if (step.index === 0 && step.status === "running" && !started.has(runId)) started.set(runId, performance.now());
      wake(runId);
    });
    conn.onNotification("clockwork/runChanged", (run) => {
      if (!["queued", "running"].includes(run.status) && !finished.has(run.id)) finished.set(run.id, performance.now());
      wake(run.id);
    });
    const diagnostics = new Map();
    let onDiagnostics = () => {};
    conn.onNotification("textDocument/publishDiagnostics", (p) => {
      if (!diagnostics.has(p.version)) diagnostics.set(p.version, performance.now());
      onDiagnostics();
    });
    conn.onRequest("workspace/codeLens/refresh", () => null);
    conn.listen();
    const request = (method, params) => conn.sendRequest(method, params);
    const status = await request("clockwork/status");

    // ---- 1. run now → first step running, → finished
    const runNow = {};
    for (const kind of ["code", "shell"]) {
      const name = `${kind}-now`;
      await request("clockwork/triggers/registerSchedule", { file: file(name, workflows[kind]), cron: "0 0 1 1 *", timezone: "UTC", name });
      const once = async () => {
        const t0 = performance.now();
        const { runId } = await request("clockwork/triggers/fire", { name });
        while (!finished.has(runId)) await new Promise((r) => waiters.set(runId, r));
        waiters.delete(runId);
        return { start: started.get(runId) - t0, end: finished.get(runId) - t0 };
      };
      for (let i = 0; i < 5; i++) await once();
      const samples = [];
      for (let i = 0; i < RUNS; i++) samples.push(await once());
      runNow[kind] = { start: stats(samples.map((s) => s.start)), end: stats(samples.map((s) => s.end)) };
    }

    // ---- 2. /healthz while a code step spins
    log(`/healthz while a code step spins for ${SPIN_S} s…`);
    await request("clockwork/triggers/registerSchedule", { file: file("spin", workflows.spin), cron: "0 0 1 1 *", timezone: "UTC", name: "spin" });
    const { runId: spinRun } = await request("clockwork/triggers/fire", { name: "spin" });
    while (!started.has(spinRun)) await new Promise((r) => waiters.set(spinRun, r));
    const health = [];
    while (!finished.has(spinRun)) {
      const t0 = performance.now();
      const res = await fetch(`${status.httpUrl}/healthz`);
      await res.arrayBuffer();
      health.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
    const healthStats = stats(health);

    // ---- 3. edit → diagnostics
    log(`${EDITS} edits → diagnostics…`);
    const editedFile = file("edited", workflows.edited(0));
    const uri = pathToFileURL(editedFile).href;
    await request("initialize", { processId: null, rootUri: null, capabilities: {} });
    conn.sendNotification("initialized", {});
    conn.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text: workflows.edited(0) } });
    const published = async (version) => {
      while (!diagnostics.has(version)) await new Promise((r) => (onDiagnostics = r));
      return diagnostics.get(version);
    };
    await published(1);
    const edits = [];
    for (let v = 2; v < EDITS + 7; v++) {
      const t0 = performance.now();
      conn.sendNotification("textDocument/didChange", { textDocument: { uri, version: v }, contentChanges: [{ text: workflows.edited(v) }] });
      const at = await published(v);
      if (v >= 7) edits.push(at - t0); // the first five warm the editor's executor
    }
    conn.dispose();
    socket.destroy();
    return { runNow, health: healthStats, healthCount: health.length, edits: stats(edits) };
  } finally {
    if (agent.exitCode === null) {
      agent.kill("SIGTERM");
      await new Promise((r) => agent.once("exit", r));
    }
    rmSync(home, { recursive: true, force: true });
  }
}

const results = [];
for (const [label, bundle] of builds) {
  log(`measuring ${label} (${bundle})…`);
  results.push([label, await measure(bundle)]);
}
const header = `| measure | ${results.map(([label]) => label).join(" | ")} |`;
const row = (what, pick) => `| ${what} | ${results.map(([, r]) => pick(r)).join(" | ")} |`;
console.log(
  [
    header,
    `|---|${results.map(() => "---").join("|")}|`,
    row(`run now → code step running (${RUNS} runs)`, (r) => fmt(r.runNow.code.start)),
    row("run now → code run finished", (r) => fmt(r.runNow.code.end)),
    row(`run now → shell step running (${RUNS} runs)`, (r) => fmt(r.runNow.shell.start)),
    row("run now → shell run finished", (r) => fmt(r.runNow.shell.end)),
    row(`/healthz while a code step spins ${SPIN_S} s`, (r) => `${fmt(r.health)} (${r.healthCount} answers)`),
    row(`edit → diagnostics published (${EDITS} edits)`, (r) => fmt(r.edits)),
  ].join("\n"),
);
