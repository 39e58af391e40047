// Webhook benchmark.
//
//   1. Signed-webhook acceptance with autocannon, side by side in one run:
//      - a bare node:http server (its own process) that only checks the same
//        HMAC with timingSafeEqual and answers 202;
//      - the agent's HTTP path alone (its own process): the real HttpServer,
//        signature check and run row insert into a real SQLite store, with no
//        run executed, to show what the HTTP side costs;
//      - a real agent (the built bundle) whose webhook runs a one-step `code`
//        workflow, each 202 answered after its run row is written and the
//        run executing in the same process.
//      p99 at a fixed rate (evenly paced, open loop: see `paced`), then req/s
//      and p99 at saturation (autocannon, 50 connections, closed loop); every
//      run id the agent answered is looked up in its store ("nothing lost").
//   2. Signature failure shapes: verifySignature (the agent's own code) timed
//      for a wrong-length digest against a right-length wrong value (and the
//      other shapes), interleaved, many rounds; then the same two shapes over
//      HTTP against the agent.
//
// BENCH_ROOT=<checkout> measures another checkout (built there; its sources
// run through tsx for the HTTP path). BENCH_BASELINE_ROOT=<checkout> adds
// that checkout's HTTP path and agent as two more targets of the same run
// (several checkouts separated by commas: each is added, named by commit),
// measured right after this checkout's, each agent's backlog drained before
// the next target; then every agent takes the same paced load at the same
// time, for their CPU per delivery (see sideBySide). Part 2 is this
// checkout's only.
//
// Usage: npm run build && node bench/webhooks.mjs
//   BENCH_CONNECTIONS=50 BENCH_DURATION_S=10 BENCH_RATE=500 BENCH_ROUNDS=200000 BENCH_HTTP_SHAPES=2000
//   BENCH_SIDE_RATE=200 BENCH_SIDE_ROUNDS=3 (with BENCH_BASELINE_ROOT)
//   (BENCH_ROUNDS=0 BENCH_HTTP_SHAPES=0 leave part 2 out)
import { execFileSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request, Agent } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { tsImport } from "tsx/esm/api";
import { benchRoot, bundleOf, cli as runCli } from "./agentProcess.mjs";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200_000);
const HTTP_SHAPES = Number(process.env.BENCH_HTTP_SHAPES ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const builds = [{ label: "", root: benchRoot }];
// Several baselines, separated by commas, are named by their commits.
const baselines = (process.env.BENCH_BASELINE_ROOT ?? "").split(",").filter(Boolean).map((root) => resolve(root));
for (const root of baselines) {
  builds.push({ label: baselines.length === 1 ? " (baseline)" : ` (baseline ${commitOf(root)})`, root });
}

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const home = mkdtempSync(join(tmpdir(), "cw-bench-webhooks-"));
const workflowText = `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({ name: "accept", steps: [code("main", () => "ok")] });
`;

// A GitHub-sized body: a push event is a few KiB.
const body = JSON.stringify({ ref: "refs/heads/main", commits: Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, message: "x".repeat(200) })) });

// The bare server: everything the agent must do at minimum, nothing more.
const BARE_SERVER = `
const { createServer } = require("node:http");
const { createHmac, timingSafeEqual } = require("node:crypto");
const secret = process.env.SECRET;
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks);
    const got = Buffer.from(String(req.headers["x-clockwork-signature"] || "").replace(/^sha256=/, ""), "hex");
    const want = createHmac("sha256", secret).update(raw).digest();
    const ok = got.length === want.length && timingSafeEqual(got, want);
    res.writeHead(ok ? 202 : 401, { "content-type": "application/json" });
    res.end(ok ? '{"run_id":"x"}' : '{"error":"invalid signature"}');
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write("http://127.0.0.1:" + server.address().port + "\\n"));
`;

// The agent's HTTP path without the run pool: HttpServer, and RunControl
// writing the run rows (one transaction per event-loop turn, as in the
// agent) into a real store; the runs go to a pool that executes nothing.
// Wired as the agent wires it (agent/daemon/webhooks.ts): the webhook and
// its secret looked up for each request.
const ACCEPT_ONLY_SERVER = `
const root = process.env.ROOT;
const { hostname } = await import("node:os");
const { HttpServer } = (await import(root + "/agent/daemon/httpServer.ts")).default;
const { RunControl } = (await import(root + "/agent/daemon/runControl.ts")).default;
const { openStore } = (await import(root + "/agent/store/index.ts")).default;
const { Events } = (await import(root + "/agent/events.ts")).default;
const store = openStore(process.env.DB);
const events = new Events();
const owner = { id: "agent:bench-" + process.pid, pid: process.pid, host: hostname() };
const control = new RunControl({ store, events, pool: { submit() {} }, owner, isStopping: () => false });
await store.triggers.create({ name: "accept", type: "webhook", workflowFile: "/w.workflow.ts", workflowName: "accept", config: { headers: [], maxBodyBytes: 1048576 }, secret: process.env.SECRET });
const server = new HttpServer({
  events,
  apiToken: null,
  findWebhook: async (name) => {
    const t = await store.triggers.get(name);
    return t && !t.paused ? { triggerId: t.id, name: t.name, secret: await store.triggers.webhookSecret(name), headers: t.config.headers, maxBodyBytes: t.config.maxBodyBytes } : null;
  },
  findApiTarget: async () => null,
  findDelivery: async (id, d, since) => (await store.runs.findDelivery(id, d, since)) ?? null,
  startRun: async (r) => ({ runId: (await control.startRun({ workflowName: "accept", workflowFile: "/w.workflow.ts", triggerKind: r.kind, triggerId: r.triggerId, triggerName: r.triggerName, context: r.context, ...(r.deliveryId === null ? {} : { deliveryId: r.deliveryId }) })).id }),
  waitForRun: async () => { throw new Error("not here"); },
});
process.stdout.write(await server.listen("127.0.0.1", 0) + "\\n");
`;

// The same for a checkout from before the store interface (agent/store/store.ts),
// whose store answered synchronously and whose RunControl batched with startRunSoon.
const ACCEPT_ONLY_SERVER_SYNC_STORE = `
const root = process.env.ROOT;
const { HttpServer } = (await import(root + "/agent/daemon/httpServer.ts")).default;
const { RunControl } = (await import(root + "/agent/daemon/runControl.ts")).default;
const { openStore } = (await import(root + "/agent/store/index.ts")).default;
const { Events } = (await import(root + "/agent/events.ts")).default;
const store = openStore(process.env.DB);
const events = new Events();
const control = new RunControl({ store, events, pool: { submit() {} }, ownerPid: process.pid, isStopping: () => false });
store.triggers.create({ name: "accept", type: "webhook", workflowFile: "/w.workflow.ts", workflowName: "accept", config: { headers: [], maxBodyBytes: 1048576 }, secret: process.env.SECRET });
const server = new HttpServer({
  events,
  apiToken: null,
  findWebhook: (name) => {
    const t = store.triggers.get(name);
    return t && !t.paused ? { triggerId: t.id, name: t.name, secret: store.triggers.webhookSecret(name), headers: t.config.headers, maxBodyBytes: t.config.maxBodyBytes } : null;
  },
  findApiTarget: () => null,
  findDelivery: (id, d, since) => store.runs.findDelivery(id, d, since) ?? null,
  startRun: async (r) => ({ runId: (await control.startRunSoon({ workflowName: "accept", workflowFile: "/w.workflow.ts", triggerKind: r.kind, triggerId: r.triggerId, triggerName: r.triggerName, context: r.context, ...(r.deliveryId === null ? {} : { deliveryId: r.deliveryId }) })).id }),
  waitForRun: async () => { throw new Error("not here"); },
});
process.stdout.write(await server.listen("127.0.0.1", 0) + "\\n");
`;

/**
 * CPU time (user + system, ms) of a process and its live children (an
 * agent's executors), plus that of its children that have exited. Less at
 * the mercy of other work on the machine than req/s: what each delivery
 * costs, not how much of the CPU the server got.
 */
function cpuMs(pid) {
  const ticksOf = (p, withExited) => {
    const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
    // utime, stime; cutime, cstime (children waited for)
    return Number(fields[11]) + Number(fields[12]) + (withExited ? Number(fields[13]) + Number(fields[14]) : 0);
  };
  let ticks = ticksOf(pid, true);
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean)) {
      try {
        ticks += ticksOf(child, false);
      } catch {
        // exited meanwhile: counted in cutime once waited for
      }
    }
  }
  return (ticks * 1000) / 100; // USER_HZ
}

/** CPU time (user + system, ms) of the process alone, without its executors. */
function ownCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ
}

function startProcess(args, options) {
  const child = spawn(process.execPath, args, { ...options, stdio: ["ignore", "pipe", "inherit"] });
  return child;
}

function waitForLine(child, pattern) {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const match = pattern.exec(out);
      if (match) resolve(match);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

function cannon(url, signature, extra = {}, runIds = null) {
  const headers = { "content-type": "application/json", "x-clockwork-signature": signature };
  const onResponse = runIds
    ? (status, text) => {
        if (status >= 200 && status < 300) runIds.push(JSON.parse(text).run_id);
      }
    : undefined;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [{ method: "POST", headers, body, ...(onResponse ? { onResponse } : {}) }],
    ...extra,
  });
}

const summary = (label, r) => ({
  label,
  reqPerSec: Math.round(r.requests.average),
  p50: r.latency.p50,
  p99: r.latency.p99,
  max: r.latency.max,
  total2xx: r["2xx"],
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
});

/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate and is
 * sent then (on a pool of keep-alive connections, as many as are needed), and
 * its latency is counted from when it was due, so a server that stalls is
 * charged for every request queued behind the stall (no coordinated
 * omission). autocannon's rate option is not this: each connection sends its
 * whole second's share back to back at the top of every second, so "500
 * req/s over 50 connections" is a burst of 500 once a second, and its p99 is
 * how long the server takes to work through a burst.
 */
async function paced(label, url, headers, rate, seconds, onBody) {
  const pool = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(rate * seconds);
  const latencies = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const start = performance.now();
  const dueAt = (i) => start + (i * 1000) / rate;
  await new Promise((allDone) => {
    let sent = 0;
    let settled = 0;
    const settle = () => {
      if (++settled === total) allDone();
    };
    const tick = () => {
      while (sent < total && dueAt(sent) <= performance.now()) {
        const due = dueAt(sent++);
        const req = request(url, { method: "POST", agent: pool, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            latencies.push(performance.now() - due);
            if (res.statusCode >= 200 && res.statusCode < 300) {
              ok++;
              onBody?.(Buffer.concat(chunks).toString("utf8"));
            } else non2xx++;
            settle();
          });
        });
        req.on("error", () => {
          errors++;
          settle();
        });
        req.end(body);
      }
      if (sent < total) setTimeout(tick, Math.max(0, dueAt(sent) - performance.now()));
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
  pool.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10) / 10;
  return { label, reqPerSec: Math.round(total / elapsed), p50: at(0.5), p99: at(0.99), max: at(1), total2xx: ok, non2xx, errors, timeouts: 0 };
}

function post(url, headers) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) }, agent: keepAlive }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - started }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const sd = (values) => {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
};
/** Welch's t statistic: |t| under ~2 means no difference the samples can show. */
const welch = (a, b) => (mean(a) - mean(b)) / Math.sqrt(sd(a) ** 2 / a.length + sd(b) ** 2 / b.length);

const sign = (secret) => "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
const children = [];

/** Starts a build's agent (its own home, its webhook and secret) and its HTTP path alone. */
async function startBuild(build, n) {
  const buildHome = join(home, `build-${n}`);
  const work = join(buildHome, "work");
  mkdirSync(work, { recursive: true });
  const workflow = join(work, "accept.workflow.ts");
  writeFileSync(workflow, workflowText);
  const env = { ...process.env, CLOCKWORK_HOME: buildHome, CLOCKWORK_HTTP_PORT: "0", NO_COLOR: "1" };
  const bundle = bundleOf(build.root);
  const agent = startProcess([bundle, "agent"], { env });
  children.push(agent);
  build.agentPid = agent.pid;
  await waitForLine(agent, / agent \S+ started /);
  const registered = JSON.parse(await runCli(env, ["register-webhook", workflow, "--name", "accept", "--json"], bundle));
  Object.assign(build, { secret: registered.secret, signature: sign(registered.secret), agentUrl: registered.url, runIds: [] });

  const server = existsSync(join(build.root, "agent/store/store.ts")) ? ACCEPT_ONLY_SERVER : ACCEPT_ONLY_SERVER_SYNC_STORE;
  const acceptOnly = startProcess(["--import", "tsx", "--input-type=module", "-e", server], {
    cwd: build.root,
    env: { ...process.env, ROOT: build.root, DB: join(buildHome, "accept-only.db"), SECRET: build.secret },
  });
  children.push(acceptOnly);
  build.acceptPid = acceptOnly.pid;
  build.acceptUrl = (await waitForLine(acceptOnly, /(http:\/\/\S+)\n/))[1] + "/webhook/accept";

  build.db = new Database(join(buildHome, "clockwork.db"), { readonly: true, fileMustExist: true });
  const unfinished = build.db.prepare("SELECT COUNT(*) AS n FROM runs WHERE status IN ('queued','running')");
  /** Waits until the agent has finished every run it accepted; resolves with how long that took. */
  build.drain = async () => {
    const begin = performance.now();
    while (unfinished.get().n > 0) await new Promise((r) => setTimeout(r, 100));
    return performance.now() - begin;
  };
}

/** The short commit a checkout is at, to name it in the tables. */
function commitOf(root) {
  try {
    return execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return root;
  }
}

/** Every run id the agent answered must be a row, and every run must end. */
function lostRuns(build) {
  const exists = build.db.prepare("SELECT status FROM runs WHERE id = ?");
  let missing = 0;
  let notSuccess = 0;
  for (const id of build.runIds) {
    const row = exists.get(id);
    if (!row) missing++;
    else if (row.status !== "success") notSuccess++;
  }
  return { missing, notSuccess };
}

async function acceptance() {
  const bare = startProcess(["-e", BARE_SERVER], { env: { ...process.env, SECRET: builds[0].secret } });
  children.push(bare);
  const bareUrl = (await waitForLine(bare, /(http:\/\/\S+)\n/))[1];
  const targets = [
    { label: "bare node:http + HMAC", url: bareUrl, signature: builds[0].signature, pid: bare.pid },
    ...builds.map((b) => ({ label: `agent HTTP path only (no run executed)${b.label}`, url: b.acceptUrl, signature: b.signature, pid: b.acceptPid })),
    ...builds.map((b) => ({ label: `clockwork agent (run row + run executed)${b.label}`, url: b.agentUrl, signature: b.signature, agent: b, pid: b.agentPid })),
  ];
  log("warming up");
  for (const { url, signature } of targets) {
    await autocannon({ url, method: "POST", connections: 10, amount: 500, headers: { "x-clockwork-signature": signature }, body });
  }
  for (const build of builds) await build.drain();

  // Fixed-rate latency first, while no backlog of runs competes for the
  // CPU; then the saturation runs, which leave the agent a queue to drain
  // (drained before the next target, so one agent's backlog does not run
  // while another is measured).
  const fixed = [];
  for (const { label, url, signature, agent, pid } of targets) {
    log(`${label}: ${RATE} req/s, evenly paced, for ${DURATION_S} s`);
    const signed = { "content-type": "application/json", "x-clockwork-signature": signature };
    const cpuBefore = pid ? cpuMs(pid) : 0;
    const result = await paced(label, url, signed, RATE, DURATION_S, agent ? (text) => agent.runIds.push(JSON.parse(text).run_id) : undefined);
    await agent?.drain();
    if (pid) result["CPU µs/req"] = Math.round(((cpuMs(pid) - cpuBefore) * 1000) / result.total2xx);
    fixed.push(result);
  }
  const saturated = [];
  for (const { label, url, signature, agent, pid } of targets) {
    log(`${label}: ${CONNECTIONS} connections, ${DURATION_S} s`);
    const cpuBefore = pid ? cpuMs(pid) : 0;
    const result = summary(label, await cannon(url, signature, {}, agent ? agent.runIds : null));
    // An agent's CPU counts until the runs it accepted have finished: accepting and executing them.
    if (agent) agent.drainMs = await agent.drain();
    if (pid) result["CPU µs/req"] = Math.round(((cpuMs(pid) - cpuBefore) * 1000) / result.total2xx);
    saturated.push(result);
  }

  const bareSat = saturated[0];
  console.log("\nSigned-webhook acceptance at saturation (same machine, same run, autocannon, %d connections, %d s each)", CONNECTIONS, DURATION_S);
  console.table(saturated);
  for (const [i, build] of builds.entries()) {
    const acceptSat = saturated[1 + i];
    const agentSat = saturated[1 + builds.length + i];
    console.log(`agent${build.label} / bare req/s: ${(agentSat.reqPerSec / bareSat.reqPerSec).toFixed(3)} ×   (target ≥ 0.25 ×)`);
    console.log(`agent HTTP path only${build.label} / bare req/s: ${(acceptSat.reqPerSec / bareSat.reqPerSec).toFixed(3)} ×`);
  }
  console.log(`\nAt a fixed ${RATE} req/s, evenly paced, open loop (latency from each request's due time)`);
  console.table(fixed);
  for (const [i, build] of builds.entries()) {
    console.log(`agent${build.label} p99 at ${RATE} req/s: ${fixed[1 + builds.length + i].p99} ms   (target ≤ 20 ms)`);
    const { missing, notSuccess } = lostRuns(build);
    console.log(
      `agent${build.label} run ids answered: ${build.runIds.length}, without a run row: ${missing}, not successful: ${notSuccess}; ` +
        `the runs queued during the saturation run finished ${(build.drainMs / 1000).toFixed(1)} s after it`,
    );
  }
}

/**
 * Every build's agent under the same paced load at the same time (each its
 * own BENCH_SIDE_RATE, default 200 req/s): whatever else the machine does
 * falls on both alike, so their CPU per delivery (accepting and executing,
 * executors included, until the runs have finished) compares closely even
 * on a shared machine. BENCH_SIDE_ROUNDS rounds (default 3).
 */
async function sideBySide() {
  const rate = Number(process.env.BENCH_SIDE_RATE ?? 200);
  const rounds = Number(process.env.BENCH_SIDE_ROUNDS ?? 3);
  const rows = [];
  for (let round = 1; round <= rounds; round++) {
    log(`side by side, round ${round}: ${rate} req/s to each agent at once, for ${DURATION_S} s`);
    const before = builds.map((b) => [cpuMs(b.agentPid), ownCpuMs(b.agentPid)]);
    const results = await Promise.all(
      builds.map((b) => {
        const signed = { "content-type": "application/json", "x-clockwork-signature": b.signature };
        return paced(`clockwork agent${b.label}`, b.agentUrl, signed, rate, DURATION_S, (text) => b.runIds.push(JSON.parse(text).run_id));
      }),
    );
    await Promise.all(builds.map((b) => b.drain()));
    for (const [i, b] of builds.entries()) {
      const { label, p50, p99, total2xx } = results[i];
      const perDelivery = (now, then) => Math.round(((now - then) * 1000) / total2xx);
      rows.push({
        round,
        label,
        p50,
        p99,
        total2xx,
        "CPU µs/req": perDelivery(cpuMs(b.agentPid), before[i][0]),
        "agent alone µs/req": perDelivery(ownCpuMs(b.agentPid), before[i][1]),
      });
    }
  }
  console.log(`\nEvery agent at once, ${rate} req/s each, evenly paced, ${DURATION_S} s per round (CPU until each agent's runs finished)`);
  console.table(rows);
  for (const { label } of rows.slice(0, builds.length)) {
    const mine = rows.filter((r) => r.label === label);
    const cpu = mine.map((r) => r["CPU µs/req"]);
    const alone = mine.map((r) => r["agent alone µs/req"]);
    console.log(`${label}: CPU per delivery, median of ${cpu.length} rounds: ${median(cpu)} µs (the agent alone ${median(alone)} µs)`);
  }
}

/** Each way a signature can be wrong (and the right one), as request headers. */
function signatureShapes(secret) {
  const good = createHmac("sha256", secret).update(body).digest("hex");
  const wrongValue = good.slice(0, -1) + (good.at(-1) === "0" ? "1" : "0");
  const shapes = {
    "wrong length (sha256=abcd)": { "x-clockwork-signature": "sha256=abcd" },
    "right length, wrong value": { "x-clockwork-signature": "sha256=" + wrongValue },
    "right length, first byte wrong": { "x-clockwork-signature": "sha256=" + (good[0] === "0" ? "1" : "0") + good.slice(1) },
    "malformed hex": { "x-clockwork-signature": "sha256=" + "zz".repeat(32) },
    "wrong prefix": { "x-clockwork-signature": "sha1=" + good },
    "missing header": {},
    valid: { "x-clockwork-signature": "sha256=" + good },
  };
  return { shapes, names: Object.keys(shapes) };
}

async function shapesInProcess(secret) {
  const { verifySignature } = await tsImport(pathToFileURL(join(benchRoot, "agent/core/signature.ts")).href, import.meta.url);
  const raw = Buffer.from(body);
  const { shapes, names } = signatureShapes(secret);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const BATCH = 100;
  const now = Date.now();
  for (let round = 0; round < ROUNDS / BATCH; round++) {
    for (const name of names) {
      const input = { headers: shapes[name], rawBody: raw, secret, nowMs: now };
      const started = performance.now();
      for (let i = 0; i < BATCH; i++) verifySignature(input);
      samples[name].push(((performance.now() - started) * 1e6) / BATCH);
    }
  }
  console.log(`\nverifySignature in-process, ${ROUNDS} calls per shape, interleaved batches of ${BATCH} (ns per call)`);
  console.table(
    names.map((n) => ({
      shape: n,
      median: Math.round(median(samples[n])),
      mean: Math.round(mean(samples[n])),
      "t vs wrong length": n === names[0] ? "—" : welch(samples[n], samples[names[0]]).toFixed(2),
    })),
  );
}

/** The two shapes the issue names, over HTTP to the agent (idle again by now). */
async function shapesOverHttp(secret, agentUrl) {
  const { shapes, names } = signatureShapes(secret);
  const httpSamples = { [names[0]]: [], [names[1]]: [] };
  for (let i = 0; i < HTTP_SHAPES; i++) {
    for (const name of [names[0], names[1]]) {
      const { status, ms } = await post(agentUrl, shapes[name]);
      if (status !== 401) throw new Error(`expected 401 for ${name}, got ${status}`);
      httpSamples[name].push(ms * 1000);
    }
  }
  console.log(`\nthe same two shapes over HTTP to the agent, ${HTTP_SHAPES} requests each, interleaved, one keep-alive connection (µs)`);
  console.table(
    [names[0], names[1]].map((n) => ({
      shape: n,
      median: Math.round(median(httpSamples[n])),
      mean: Math.round(mean(httpSamples[n])),
      "t vs wrong length": n === names[0] ? "—" : welch(httpSamples[n], httpSamples[names[0]]).toFixed(2),
    })),
  );
}

try {
  // ---- 1. acceptance ----
  for (const [n, build] of builds.entries()) await startBuild(build, n);
  await acceptance();
  if (builds.length > 1) await sideBySide();
  // ---- 2. failure shapes (this checkout's) ----
  if (ROUNDS > 0) await shapesInProcess(builds[0].secret);
  if (HTTP_SHAPES > 0) await shapesOverHttp(builds[0].secret, builds[0].agentUrl);
} finally {
  keepAlive.destroy();
  for (const build of builds) build.db?.close();
  // SIGTERM, and wait for each (the agents stop their executors on the way out).
  await Promise.all(
    children.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      return exited;
    }),
  );
  rmSync(home, { recursive: true, force: true });
}
