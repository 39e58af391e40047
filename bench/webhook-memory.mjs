// Webhook memory benchmark: the agent's resident set (VmRSS) under large and
// hostile bodies and under load, against its own baseline in the same run.
//
// Each block runs a fresh agent (the built bundle) with two webhooks, `big`
// (--max-body 100m) and `small` (the default 1 MiB); its baseline is its RSS
// after a warm-up of 200 signed deliveries. RSS is sampled every 10 ms while
// a scenario runs; the table shows the baseline, the peak and the
// difference. (Freed memory mostly stays with the process, so a fresh agent
// per block keeps one scenario's figure out of the next one's.)
//
//   1. 10 concurrent 100 MiB bodies with a wrong signature, Content-Length
//      declared (target: peak < 300 MB);
//   2. the same, sent chunked;
//   3. 10 concurrent 100 MiB bodies with no signature header;
//   4. a 10 MiB body to `small` (over its limit), declared and chunked;
//   5. load: BENCH_LOAD_ROUNDS rounds of 2,000 signed deliveries (4 KiB
//      bodies) over 50 connections; RSS once each round's runs finished, so
//      that growth from round to round (a leak) shows.
//
// Usage: npm run build && node bench/webhook-memory.mjs     BENCH_LOAD_ROUNDS=3
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentEnv, cli, connectAgent, startAgent, stopAgent } from "./agentProcess.mjs";

const LOAD_ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 3);
const MiB = 1024 * 1024;
const TARGET_MB = 300;

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const sign = (secret, body) => "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
const mb = (bytes) => Math.round(bytes / 1e6);

// The workflow lives outside every agent's home.
const scratch = mkdtempSync(join(tmpdir(), "cw-bench-webmem-work-"));
const workflow = join(scratch, "ok.workflow.ts");
writeFileSync(workflow, `import { defineWorkflow, code } from "clockwork";\nexport default defineWorkflow({ name: "ok", steps: [code("main", () => "ok")] });\n`);
function rss(pid) {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match[1]) * 1024;
}

/** Runs `scenario` while sampling the agent's RSS; returns the peak. */
async function peakDuring(pid, scenario) {
  let peak = rss(pid);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, rss(pid));
      await pause(10);
    }
  })();
  try {
    await scenario();
  } finally {
    sampling = false;
    await sampler;
  }
  return Math.max(peak, rss(pid));
}

/** A POST over a raw socket, the body pushed as fast as the agent takes it; resolves with the status. */
function upload(url, { total, declared, headers }) {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = "";
    let status = 0;
    socket.setEncoding("latin1");
    socket.on("data", (d) => {
      received += d;
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (match && !status) {
        status = Number(match[1]);
        socket.destroy();
        resolve(status);
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(status));
    const head = [`POST ${pathname} HTTP/1.1`, `Host: ${hostname}:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    head.push(declared ? `Content-Length: ${total}` : "Transfer-Encoding: chunked", "Connection: close", "", "");
    const chunk = Buffer.alloc(64 * 1024, "x");
    const framed = declared ? chunk : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
    let sent = 0;
    const pump = () => {
      while (sent < total && socket.writable) {
        sent += chunk.length;
        if (!socket.write(framed)) return void socket.once("drain", pump);
      }
      if (!declared && socket.writable) socket.write("0\r\n\r\n");
    };
    socket.once("connect", () => {
      socket.write(head.join("\r\n"));
      pump();
    });
  });
}

function post(url, body, headers, agent) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A fresh agent in a fresh home with the two webhooks, warmed up; `fn` gets it and its baseline RSS. */
async function withAgent(fn) {
  const home = mkdtempSync(join(tmpdir(), "cw-bench-webmem-"));
  const env = agentEnv(home);
  let agent;
  let conn;
  try {
    agent = await startAgent(env);
    conn = await connectAgent(home);
    const status = await conn.sendRequest("clockwork/status", null);
    const big = JSON.parse(await cli(env, ["register-webhook", workflow, "--name", "big", "--max-body", "100m", "--json"]));
    const small = JSON.parse(await cli(env, ["register-webhook", workflow, "--name", "small", "--json"]));
    const idle = async () => {
      for (;;) {
        const s = await conn.sendRequest("clockwork/status", null);
        if (s.counts.running === 0 && s.counts.queued === 0) return;
        await pause(50);
      }
    };
    for (let i = 0; i < 200; i++) {
      const body = JSON.stringify({ i });
      await post(small.url, body, { "x-clockwork-signature": sign(small.secret, body) });
    }
    await idle();
    budgetBytes = (await (await fetch(`${status.httpUrl}/healthz`)).json()).bodies.budgetBytes;
    await fn({ pid: agent.pid, big, small, idle, baseline: rss(agent.pid) });
  } finally {
    conn?.dispose();
    await stopAgent(agent);
    rmSync(home, { recursive: true, force: true });
  }
}

let budgetBytes = 0;
const rows = [];
const record = (scenario, baseline, peak, answers, extra = {}) =>
  rows.push({ scenario, "baseline MB": mb(baseline), "peak MB": mb(peak), "peak − baseline MB": mb(peak - baseline), answers, ...extra });
const count = (statuses) =>
  Object.entries(statuses.reduce((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {}))
    .map(([s, n]) => `${n}×${s}`)
    .join(" ");

const wrong = { "X-Clockwork-Signature": sign("not the secret", "x") };
const floods = [
  ["10 × 100 MiB, wrong signature, declared", { total: 100 * MiB, declared: true, headers: wrong }],
  ["10 × 100 MiB, wrong signature, chunked", { total: 100 * MiB, declared: false, headers: wrong }],
  ["10 × 100 MiB, no signature header", { total: 100 * MiB, declared: true, headers: {} }],
];
for (const [name, options] of floods) {
  log(name);
  await withAgent(async ({ pid, big, baseline }) => {
    let statuses = [];
    const peak = await peakDuring(pid, async () => {
      statuses = await Promise.all(Array.from({ length: 10 }, () => upload(big.url, options)));
    });
    record(name, baseline, peak, count(statuses));
  });
}

log("10 MiB bodies over a 1 MiB limit");
await withAgent(async ({ pid, small, baseline }) => {
  for (const declared of [true, false]) {
    const peak = await peakDuring(pid, () => upload(small.url, { total: 10 * MiB, declared, headers: wrong }).then(() => undefined));
    record(`10 MiB over a 1 MiB limit, ${declared ? "declared" : "chunked"}`, baseline, peak, "1×413");
  }
});

log(`${LOAD_ROUNDS} rounds of 2,000 signed deliveries over 50 connections`);
await withAgent(async ({ pid, small, idle, baseline }) => {
  const padding = "p".repeat(4 * 1024);
  for (let round = 1; round <= LOAD_ROUNDS; round++) {
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 50 });
    const statuses = [];
    let next = 0;
    const peak = await peakDuring(pid, async () => {
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < 2000) {
            const body = JSON.stringify({ round, i: next++, padding });
            statuses.push((await post(small.url, body, { "x-clockwork-signature": sign(small.secret, body) }, keepAlive)).status);
          }
        }),
      );
      await idle();
    });
    keepAlive.destroy();
    record(`load round ${round}`, baseline, peak, count(statuses), { "after its runs MB": mb(rss(pid)) });
  }
});

console.log(`\nAgent RSS (VmRSS), MB = 10^6 bytes; a fresh agent per block, baseline after a warm-up; body budget ${mb(budgetBytes)} MB.`);
console.log(`Target for the 100 MiB floods: peak < ${TARGET_MB} MB. Load rounds: "after its runs" should not keep growing.`);
console.table(rows);
rmSync(scratch, { recursive: true, force: true });
