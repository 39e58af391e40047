// Scheduler benchmark: a real agent (the built bundle) in a temporary home with
// 10,000 registered schedules (spread over the year, so almost none is due)
// and one every-second schedule.
//
//   1. fire lateness over N fires (default 200): the due instant → the run
//      marked running, from the store; beside it, a bare croner job in a
//      plain Node process over the same seconds (due instant → callback);
//   2. the agent idle for 60 s with the 10,000 schedules (the every-second
//      one paused): CPU (% of one core) and RSS, from /proc;
//   3. "run now" over the socket (clockwork/triggers/fire) → the first step
//      reported running (clockwork/stepChanged), median of 50 after warm-up.
//
// Usage: npm run build && node bench/scheduler.mjs
//   BENCH_SCHEDULES=10000 BENCH_FIRES=200 BENCH_IDLE_S=60 BENCH_RUN_NOW=50
//   BENCH_ROOT=<checkout> measures another checkout's build.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import * as rpc from "vscode-jsonrpc/node.js";
import { bundle } from "./agentProcess.mjs";

// The bare croner job comes from this checkout, whichever build is measured.
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SCHEDULES = Number(process.env.BENCH_SCHEDULES ?? 10_000);
const FIRES = Number(process.env.BENCH_FIRES ?? 200);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const RUN_NOW = Number(process.env.BENCH_RUN_NOW ?? 50);

const home = mkdtempSync(join(tmpdir(), "cw-bench-"));
const work = join(home, "work");
mkdirSync(work);
const workflow = join(work, "quick.workflow.ts");
writeFileSync(
  workflow,
  `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({ name: "quick", steps: [code("main", () => "ok")] });
`,
);

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1], mean };
};

let agent;
let croner;
try {
  agent = spawn(process.execPath, [bundle, "agent"], {
    env: { ...process.env, CLOCKWORK_HOME: home, CLOCKWORK_HTTP_PORT: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
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
  conn.listen();
  const request = (method, params) => conn.sendRequest(method, params);

  // ---- 10,000 schedules spread over the year, registered over the socket ----
  log(`registering ${SCHEDULES} schedules…`);
  let t0 = performance.now();
  const batch = 200;
  for (let i = 0; i < SCHEDULES; i += batch) {
    const pending = [];
    for (let j = i; j < Math.min(SCHEDULES, i + batch); j++) {
      const cron = `${j % 60} ${j % 24} ${1 + (j % 28)} ${1 + (j % 12)} *`;
      pending.push(request("clockwork/triggers/registerSchedule", { file: workflow, cron, timezone: "UTC", name: `s${j}` }));
    }
    await Promise.all(pending);
  }
  const registerMs = performance.now() - t0;
  log(`registered in ${(registerMs / 1000).toFixed(1)} s`);

  // ---- lateness: the agent's every-second schedule vs a bare croner job ----
  croner = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { Cron } from "croner";
       const samples = [];
       new Cron("* * * * * *", () => {
         const now = Date.now();
         samples.push(now - Math.floor(now / 1000) * 1000);
         if (samples.length >= ${FIRES}) { console.log(JSON.stringify(samples)); process.exit(0); }
       });`,
    ],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  const cronerSamples = new Promise((resolve) => {
    let out = "";
    croner.stdout.on("data", (d) => (out += d));
    croner.on("exit", () => resolve(JSON.parse(out)));
  });
  await request("clockwork/triggers/registerSchedule", {
    file: workflow,
    cron: "* * * * * *",
    timezone: "UTC",
    name: "tick",
    overlap: "parallel",
  });
  log(`waiting for ${FIRES} fires (${FIRES} s)…`);
  let finishedTicks = 0;
  await new Promise((resolve) => {
    conn.onNotification("clockwork/runChanged", (run) => {
      if (run.triggerName === "tick" && run.status === "success" && ++finishedTicks >= FIRES) resolve();
    });
  });
  await request("clockwork/triggers/setPaused", { name: "tick", paused: true });
  const ticks = (await request("clockwork/runs/list", { trigger: "tick", limit: FIRES * 2 })).filter((r) => r.startedAt);
  const lateness = stats(ticks.map((r) => Date.parse(r.startedAt) - Date.parse(r.scheduledFor)));
  // Where the lateness goes: due → the claim wrote the run row, and that row → marked running.
  const claimed = stats(ticks.map((r) => Date.parse(r.createdAt) - Date.parse(r.scheduledFor)));
  const toRunning = stats(ticks.map((r) => Date.parse(r.startedAt) - Date.parse(r.createdAt)));
  const baseline = stats(await cronerSamples);

  // ---- idle: 10,000 schedules, nothing due ----
  log(`measuring idle CPU and RSS for ${IDLE_S} s…`);
  const clockTicks = 100; // USER_HZ on Linux
  const cpuTicks = () => {
    const fields = readFileSync(`/proc/${agent.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  };
  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.pid}/status`, "utf8"))[1]) / 1024;
  const cpu0 = cpuTicks();
  let rssMax = rssMb();
  const idleStart = performance.now();
  while (performance.now() - idleStart < IDLE_S * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    rssMax = Math.max(rssMax, rssMb());
  }
  const idleCpu = ((cpuTicks() - cpu0) / clockTicks / ((performance.now() - idleStart) / 1000)) * 100;

  // ---- run now over the socket → first step running ----
  await request("clockwork/triggers/registerSchedule", { file: workflow, cron: "0 0 1 1 *", timezone: "UTC", name: "runnow" });
  const stepStarted = new Map();
  const waiters = new Map();
  conn.onNotification("clockwork/stepChanged", ({ runId, step }) => {
    if (step.index !== 0 || step.status !== "running" || stepStarted.has(runId)) return;
    stepStarted.set(runId, performance.now());
    waiters.get(runId)?.();
  });
  const runNow = async () => {
    t0 = performance.now();
    const { runId } = await request("clockwork/triggers/fire", { name: "runnow" });
    if (!stepStarted.has(runId)) await new Promise((r) => waiters.set(runId, r));
    return stepStarted.get(runId) - t0;
  };
  for (let i = 0; i < 5; i++) await runNow(); // warm-up: the first load compiles the workflow
  const runNowMs = [];
  for (let i = 0; i < RUN_NOW; i++) runNowMs.push(await runNow());
  const runNowStats = stats(runNowMs);

  conn.dispose();
  socket.destroy();

  const fmt = (n) => n.toFixed(1);
  const lines = [
    `| measure | value |`,
    `|---|---|`,
    `| schedules registered | ${SCHEDULES} + 1 every-second (registration ${(registerMs / 1000).toFixed(1)} s over the socket) |`,
    `| fire lateness, agent (due → run marked running), ${lateness.n} fires | p50 ${fmt(lateness.p50)} ms · p99 ${fmt(lateness.p99)} ms · max ${fmt(lateness.max)} ms · mean ${fmt(lateness.mean)} ms |`,
    `| of which due → run row claimed / row → marked running | mean ${fmt(claimed.mean)} ms (p99 ${fmt(claimed.p99)}) / mean ${fmt(toRunning.mean)} ms (p99 ${fmt(toRunning.p99)}) |`,
    `| fire lateness, bare croner job (due → callback), ${baseline.n} fires | p50 ${fmt(baseline.p50)} ms · p99 ${fmt(baseline.p99)} ms · max ${fmt(baseline.max)} ms · mean ${fmt(baseline.mean)} ms |`,
    `| idle CPU over ${IDLE_S} s | ${idleCpu.toFixed(2)} % of one core |`,
    `| idle RSS (max over ${IDLE_S} s) | ${rssMax.toFixed(0)} MB |`,
    `| run now over the socket → first step running, ${runNowStats.n} runs | median ${fmt(runNowStats.p50)} ms · p99 ${fmt(runNowStats.p99)} ms · max ${fmt(runNowStats.max)} ms |`,
  ];
  console.log(lines.join("\n"));
} finally {
  croner?.kill();
  if (agent && agent.exitCode === null) {
    agent.kill("SIGTERM");
    await new Promise((r) => agent.once("exit", r));
  }
  rmSync(home, { recursive: true, force: true });
}
