// File watcher benchmark: file event → run started latency in a real agent.
//
// A real agent (the built bundle) watches a temporary folder; the workflow is
// one `code` step. Each round writes a new file (one write, closed) and
// records the moment the write returned; the run's `startedAt` (the row
// marked running), read from the run-changed notification, minus that moment
// is the latency. The debounce is 500 ms, so the floor is 500 ms; target
// ≤ debounce + 50 ms. A second series writes each file in five parts 100 ms
// apart (a slow writer) and measures from the last part.
//
// Usage: npm run build && node bench/watcher.mjs     BENCH_ROUNDS=40
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentEnv, cli, connectAgent, startAgent, stopAgent } from "./agentProcess.mjs";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const DEBOUNCE_MS = 500;

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, min: sorted[0], p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) };
};
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

const home = mkdtempSync(join(tmpdir(), "cw-bench-watch-"));
const work = join(home, "work");
const watched = join(home, "watched");
mkdirSync(work);
mkdirSync(watched);
const workflow = join(work, "seen.workflow.ts");
writeFileSync(
  workflow,
  `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({ name: "seen", steps: [code("main", (ctx) => ctx.trigger.path ?? "")] });
`,
);
const env = agentEnv(home);

let agent;
let conn;
try {
  agent = await startAgent(env);
  conn = await connectAgent(home);
  // Returns once the agent is watching the folder.
  await cli(env, ["register-watcher", workflow, "--path", watched, "--events", "created", "--name", "bench"]);

  // Run-started notifications, by the file the run is for (fetched once per run).
  const waiting = new Map();
  conn.onNotification("clockwork/runChanged", async (run) => {
    if (run.triggerKind !== "file" || run.status !== "running") return;
    const record = await conn.sendRequest("clockwork/runs/get", { id: run.id });
    const wake = waiting.get(record.trigger.path);
    if (wake) wake(Date.parse(run.startedAt));
  });
  const started = (path) => new Promise((resolve) => waiting.set(path, resolve));

  const single = [];
  const slow = [];
  for (let i = 0; i < 3; i++) {
    const path = join(watched, `warm-${i}.txt`);
    const done = started(path);
    writeFileSync(path, "warm");
    await done;
  }
  log(`${ROUNDS} single writes`);
  for (let i = 0; i < ROUNDS; i++) {
    const path = join(watched, `one-${i}.txt`);
    const done = started(path);
    writeFileSync(path, `file ${i}\n`);
    const wrote = Date.now();
    single.push((await done) - wrote);
  }
  log(`${ROUNDS} slow writers (5 parts, 100 ms apart)`);
  for (let i = 0; i < ROUNDS; i++) {
    const path = join(watched, `slow-${i}.txt`);
    const done = started(path);
    writeFileSync(path, "part 0\n");
    for (let p = 1; p < 5; p++) {
      await pause(100);
      appendFileSync(path, `part ${p}\n`);
    }
    const wrote = Date.now();
    slow.push((await done) - wrote);
  }

  console.log(`\nFile event → run started (ms; debounce ${DEBOUNCE_MS} ms, target ≤ ${DEBOUNCE_MS + 50} ms)`);
  console.table([
    { series: "one write", ...stats(single) },
    { series: "slow writer, from its last write", ...stats(slow) },
  ]);
} finally {
  conn?.dispose();
  await stopAgent(agent);
  rmSync(home, { recursive: true, force: true });
}
