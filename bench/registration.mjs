// Registration benchmark: how registering schedules grows with the number
// already registered, on a real agent (the built bundle) in a temporary home.
//
//   1. one by one: `clockwork/triggers/registerSchedule` over the socket, one
//      request at a time (each awaited before the next), up to the largest
//      size; the elapsed time is read as each size is reached, with the
//      time per registration over the last 1,000 before it (flat when each
//      registration costs the same, growing when it costs in proportion to
//      the triggers already there). The client listens to every
//      notification, as an editor does, and their bytes are counted. At
//      20,000 the clock stops while the agent sits idle for BENCH_IDLE_S and
//      its resident set (VmRSS) is read every second;
//   2. in bulk: a fresh agent per size and `clockwork register --from-file`
//      with a JSON file of that many schedules, timed from the command's
//      start to its exit (its own Node start included); the resident set
//      after 20,000 likewise.
//
// Each schedule has its own cron (`m h d M *`, all distinct, spread over the
// year, so none is due during the run), in UTC, on one workflow file; the
// largest size is also registered in bulk spread over one day (`m h * * *`,
// 1,440 distinct crons), as a real file would repeat its cadences.
// BENCH_BASELINE=/path/to/other/dist/clockwork.js measures another build the
// same way in the same run (a build without bulk registration shows "—").
//
// Usage: npm run build && node bench/registration.mjs
//   BENCH_SIZES=10000,20000,40000,100000 BENCH_LIMIT_S=540 BENCH_IDLE_S=10
//   BENCH_RSS_AT=20000 BENCH_BASELINE=… BENCH_BUNDLE=<a copy of dist/clockwork.js>
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import * as rpc from "vscode-jsonrpc/node.js";
import { agentEnv, bundle } from "./agentProcess.mjs";

const SIZES = (process.env.BENCH_SIZES ?? "10000,20000,40000,100000").split(",").map(Number);
const LIMIT_S = Number(process.env.BENCH_LIMIT_S ?? 540);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 10);
const RSS_AT = Number(process.env.BENCH_RSS_AT ?? 20_000);
// BENCH_BUNDLE: measure a copy of the build, so that rebuilding meanwhile does not change what is measured.
const thisBuild = process.env.BENCH_BUNDLE ?? bundle;
const builds = [["this build", thisBuild]];
if (process.env.BENCH_BASELINE) builds.push(["baseline", process.env.BENCH_BASELINE]);

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const cronOfDay = (j) => `${j % 60} ${Math.floor(j / 60) % 24} * * *`;
const cronOf = (j) => `${j % 60} ${Math.floor(j / 60) % 24} ${1 + (Math.floor(j / 1440) % 28)} ${1 + (Math.floor(j / 40320) % 12)} *`;
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** A temporary home with the one workflow every schedule runs. */
function makeHome() {
  const home = mkdtempSync(join(tmpdir(), "cw-bench-reg-"));
  mkdirSync(join(home, "work"));
  const workflow = join(home, "work", "quick.workflow.ts");
  writeFileSync(
    workflow,
    `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({ name: "quick", steps: [code("main", () => "ok")] });
`,
  );
  return { home, workflow };
}

async function startAgent(build, home) {
  const agent = spawn(process.execPath, [build, "agent"], { env: agentEnv(home), stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    let out = "";
    const onData = (d) => {
      out += d;
      if (/ agent \S+ started /.test(out)) {
        agent.stdout.off("data", onData);
        agent.stdout.resume();
        resolve();
      }
    };
    agent.stdout.on("data", onData);
    agent.once("exit", (code) => reject(new Error(`agent exited ${code}`)));
  });
  return agent;
}

async function stopAgent(agent) {
  if (agent.exitCode !== null || agent.signalCode !== null) return;
  agent.kill("SIGTERM");
  await new Promise((r) => agent.once("exit", r));
}

async function connect(home) {
  const socket = net.connect(join(home, "agent.sock"));
  await new Promise((r) => socket.once("connect", r));
  const conn = rpc.createMessageConnection(new rpc.SocketMessageReader(socket), new rpc.SocketMessageWriter(socket));
  const received = { count: 0, bytes: 0 };
  conn.onNotification((_method, params) => {
    received.count++;
    received.bytes += JSON.stringify(params ?? null).length;
  });
  conn.listen();
  await conn.sendRequest("clockwork/status", null);
  return { conn, socket, received };
}

/** The agent's resident set after `IDLE_S` seconds of nothing: the last reading and the largest. */
async function idleRss(pid) {
  let max = 0;
  let last = 0;
  for (let i = 0; i < IDLE_S; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    last = rssMb(pid);
    max = Math.max(max, last);
  }
  return { last, max };
}

/** Registers up to the largest size one request at a time; the elapsed time at each size, or how far it got. */
async function oneByOne(build) {
  const { home, workflow } = makeHome();
  const agent = await startAgent(build, home);
  const { conn, socket, received } = await connect(home);
  const largest = Math.max(...SIZES);
  const reached = new Map();
  let rss;
  let elapsed = 0;
  let windowStart = performance.now();
  let mark = performance.now();
  let bytesAtWindow = 0;
  try {
    for (let j = 0; j < largest; j++) {
      await conn.sendRequest("clockwork/triggers/registerSchedule", { file: workflow, cron: cronOf(j), timezone: "UTC", name: `s${j}` });
      const done = j + 1;
      if (done % 1000 === 0 || SIZES.includes(done)) {
        const now = performance.now();
        elapsed += now - mark;
        mark = now;
        if (done % 1000 === 0) {
          const last1000 = { msEach: (now - windowStart) / 1000, bytesEach: (received.bytes - bytesAtWindow) / 1000 };
          windowStart = now;
          bytesAtWindow = received.bytes;
          if (SIZES.includes(done)) reached.set(done, { ms: elapsed, ...last1000 });
        }
        if (done % 10_000 === 0) log(`${build === thisBuild ? "this build" : "baseline"}: ${done} one by one in ${seconds(elapsed)}`);
        if (done === RSS_AT) {
          rss = await idleRss(agent.pid);
          mark = performance.now();
          windowStart = mark;
        }
        if (elapsed > LIMIT_S * 1000) return { reached, stoppedAt: done, rss };
      }
    }
    return { reached, stoppedAt: null, rss };
  } finally {
    conn.dispose();
    socket.destroy();
    await stopAgent(agent);
    rmSync(home, { recursive: true, force: true });
  }
}

function runCli(build, home, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [build, ...args], { env: agentEnv(home), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

/** A fresh agent and `clockwork register --from-file` with `size` schedules; null when the build has no bulk path. */
async function bulk(build, size, cron = cronOf) {
  const { home, workflow } = makeHome();
  const help = await runCli(build, home, ["register", "--help"]);
  if (!help.out.includes("--from-file")) {
    rmSync(home, { recursive: true, force: true });
    return null;
  }
  const file = join(home, "work", "schedules.json");
  writeFileSync(file, JSON.stringify(Array.from({ length: size }, (_, j) => ({ file: workflow, cron: cron(j), timezone: "UTC", name: `s${j}` }))));
  const agent = await startAgent(build, home);
  try {
    const t0 = performance.now();
    const { code, out } = await runCli(build, home, ["register", "--from-file", file]);
    const ms = performance.now() - t0;
    if (code !== 0) throw new Error(`register --from-file failed (${code}): ${out}`);
    const { conn, socket } = await connect(home);
    const status = await conn.sendRequest("clockwork/status", null);
    conn.dispose();
    socket.destroy();
    if (status.counts.schedules !== size) throw new Error(`expected ${size} schedules, the agent counts ${status.counts.schedules}`);
    const rss = size === RSS_AT ? await idleRss(agent.pid) : undefined;
    return { ms, rss };
  } finally {
    await stopAgent(agent);
    rmSync(home, { recursive: true, force: true });
  }
}

const largest = Math.max(...SIZES);
const results = [];
for (const [label, build] of builds) {
  log(`${label}: one by one up to ${Math.max(...SIZES)} (limit ${LIMIT_S} s)…`);
  const single = await oneByOne(build);
  const bulkBySize = new Map();
  for (const size of SIZES) {
    log(`${label}: ${size} in bulk…`);
    bulkBySize.set(size, await bulk(build, size));
  }
  // The same number spread over one day: 1,440 distinct crons, as a real file of that size would repeat them.
  log(`${label}: ${largest} in bulk, spread over a day…`);
  const overDay = await bulk(build, largest, cronOfDay);
  results.push({ label, single, bulkBySize, overDay });
}

const lines = [`| build | schedules | one by one (per registration over the last 1,000; notification bytes each) | in bulk (\`register --from-file\`) |`, `|---|---|---|---|`];
for (const { label, single, bulkBySize } of results) {
  for (const size of SIZES) {
    const r = single.reached.get(size);
    const one = r
      ? `${seconds(r.ms)} (${r.msEach.toFixed(2)} ms; ${r.bytesEach.toFixed(0)} B)`
      : `did not finish in ${LIMIT_S} s (${single.stoppedAt} registered)`;
    const b = bulkBySize.get(size);
    lines.push(`| ${label} | ${size.toLocaleString("en")} | ${one} | ${b === null ? "—" : seconds(b.ms)} |`);
  }
}
for (const { label, overDay } of results) {
  lines.push(`| ${label} | ${largest.toLocaleString("en")}, over one day (1,440 distinct crons) | | ${overDay === null ? "—" : seconds(overDay.ms)} |`);
}
lines.push("", `| build | idle RSS after ${RSS_AT.toLocaleString("en")} one by one (after ${IDLE_S} s; largest) | after ${RSS_AT.toLocaleString("en")} in bulk |`, `|---|---|---|`);
for (const { label, single, bulkBySize } of results) {
  const b = bulkBySize.get(RSS_AT);
  const one = single.rss ? `${single.rss.last.toFixed(0)} MB (${single.rss.max.toFixed(0)} MB)` : "—";
  const many = b?.rss ? `${b.rss.last.toFixed(0)} MB (${b.rss.max.toFixed(0)} MB)` : "—";
  lines.push(`| ${label} | ${one} | ${many} |`);
}
console.log(lines.join("\n"));
