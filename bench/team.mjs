// Team-mode benchmark: several real agents (the built bundle, each its own
// home) on one local PostgreSQL (a throwaway cluster, as the tests start
// one), beside one agent on SQLite measured the same way in the same run.
//
// For each setup:
//   1. SCHEDULES schedules spread over the day are registered over agent 0's
//      socket (so every claim pass sees a realistic trigger table), then one
//      per-second schedule `tick`;
//   2. fire lateness of `tick` over FIRES seconds: due instant → run marked
//      running (started_at − scheduled_for, from the store), p50 and p99,
//      whichever agent ran it;
//   3. a thundering instant: THUNDER schedules all due in the same second;
//      claims per second = claims / (last claim − first claim), and how long
//      after the instant the last claim landed;
//   4. double fires: runs sharing a (trigger, instant) — must be 0.
//
// Usage: npm run build && node bench/team.mjs
//   BENCH_AGENTS=4 BENCH_SCHEDULES=2000 BENCH_THUNDER=1000 BENCH_FIRES=30
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { tsImport } from "tsx/esm/api";
import { agentEnv, bundle, connectAgent, stopAgent } from "./agentProcess.mjs";

const AGENTS = Number(process.env.BENCH_AGENTS ?? 4);
const SCHEDULES = Number(process.env.BENCH_SCHEDULES ?? 2000);
const THUNDER = Number(process.env.BENCH_THUNDER ?? 1000);
const FIRES = Number(process.env.BENCH_FIRES ?? 30);

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
};

/** Starts `clockwork agent`; resolves once it has started. Its output is dropped (the log file keeps it). */
async function startAgent(env) {
  const agent = spawn(process.execPath, [bundle, "agent"], { env, stdio: ["ignore", "pipe", "ignore"] });
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

/** Registers schedules over the socket, `parallel` at a time. */
async function register(conn, items, parallel = 50) {
  for (let i = 0; i < items.length; i += parallel) {
    await Promise.all(items.slice(i, i + parallel).map((p) => conn.sendRequest("clockwork/triggers/registerSchedule", p)));
  }
}

/** One setup: `agents` agents on `url` (PostgreSQL) or, without a url, one on SQLite. */
async function measure(label, agents, url) {
  const root = mkdtempSync(join(tmpdir(), "cw-bench-team-"));
  const work = join(root, "work");
  mkdirSync(work);
  const file = join(work, "quick.workflow.ts");
  writeFileSync(file, `import { defineWorkflow, code } from "clockwork";\nexport default defineWorkflow({ name: "quick", steps: [code("main", () => "ok")] });\n`);
  const homes = Array.from({ length: agents }, (_, i) => join(root, `home${i}`));
  const procs = [];
  try {
    for (const [i, home] of homes.entries()) {
      mkdirSync(home, { mode: 0o700 });
      const env = { ...agentEnv(home), CLOCKWORK_MAX_CONCURRENT_RUNS: "4", CLOCKWORK_HOST: `bench-${i}` };
      if (url) env.CLOCKWORK_DATABASE_URL = url;
      procs.push(await startAgent(env));
    }
    const conn = await connectAgent(homes[0]);
    log(`${label}: registering ${SCHEDULES} schedules spread over the day…`);
    const t0 = Date.now();
    await register(conn, Array.from({ length: SCHEDULES }, (_, j) => ({ file, cron: `${j % 60} ${Math.floor(j / 60) % 60} ${j % 24} * * *`, timezone: "UTC", name: `day${j}` })));
    log(`${label}: registered in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await register(conn, [{ file, cron: "* * * * * *", timezone: "UTC", name: "tick", overlap: "parallel" }]);
    const tickFrom = Date.now() + 2000;
    // The thundering instant comes after the lateness window, far enough ahead to register its schedules first.
    const instant = Math.ceil((tickFrom + FIRES * 1000 + THUNDER * 20) / 1000) * 1000;
    const at = new Date(instant);
    log(`${label}: ${THUNDER} schedules due at ${at.toISOString()}…`);
    await register(conn, Array.from({ length: THUNDER }, (_, j) => ({ file, cron: `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`, timezone: "UTC", name: `thunder${j}` })));
    // Headless agents, as on servers: no client follows the runs while they are measured.
    conn.dispose();
    const wait = instant + 10_000 - Date.now();
    log(`${label}: measuring for ${Math.round(wait / 1000)} s…`);
    await sleep(wait);
    await Promise.all(procs.map(stopAgent));
    const rows = url ? await readPostgres(url, tickFrom, instant) : readSqlite(join(homes[0], "clockwork.db"), tickFrom, instant);
    return { label, ...rows };
  } finally {
    await Promise.all(procs.map(stopAgent));
    rmSync(root, { recursive: true, force: true });
  }
}

const QUERIES = {
  lateness: `SELECT started_at - scheduled_for AS late FROM runs WHERE trigger_name = 'tick' AND scheduled_for >= $1 AND scheduled_for < $2 AND started_at IS NOT NULL`,
  doubles: `SELECT COUNT(*) - COUNT(DISTINCT trigger_id || ':' || scheduled_for) AS doubles FROM runs WHERE trigger_kind = 'cron'`,
  claims: `SELECT COUNT(*) AS n, MIN(claimed_at) AS first, MAX(claimed_at) AS last FROM schedule_claims WHERE scheduled_for = $1`,
};

async function readPostgres(url, from, instant) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const late = (await client.query(QUERIES.lateness, [from, instant])).rows.map((r) => Number(r.late));
    const doubles = Number((await client.query(QUERIES.doubles)).rows[0].doubles);
    const c = (await client.query(QUERIES.claims, [instant])).rows[0];
    return summary(late, doubles, { n: Number(c.n), first: Number(c.first), last: Number(c.last) }, instant);
  } finally {
    await client.end();
  }
}

function readSqlite(file, from, instant) {
  const db = new Database(file, { readonly: true });
  try {
    const sql = (text) => text.replace(/\$\d/g, "?");
    const late = db.prepare(sql(QUERIES.lateness)).all(from, instant).map((r) => r.late);
    const doubles = db.prepare(QUERIES.doubles).get().doubles;
    const c = db.prepare(sql(QUERIES.claims)).get(instant);
    return summary(late, doubles, c, instant);
  } finally {
    db.close();
  }
}

function summary(late, doubles, claims, instant) {
  const spread = Math.max(1, claims.last - claims.first);
  return {
    lateness: stats(late),
    doubles,
    claims: claims.n,
    claimsPerSecond: Math.round((claims.n / spread) * 1000),
    lastClaimAfterMs: claims.last - instant,
  };
}

const { startPostgres } = await tsImport("../test/helpers/postgres.ts", import.meta.url);
const started = startPostgres();
if (!("cluster" in started)) {
  console.error(`no PostgreSQL server could be started: ${started.skip}`);
  process.exit(1);
}
const results = [];
try {
  results.push(await measure(`PostgreSQL, ${AGENTS} agents`, AGENTS, started.cluster.createDatabase("bench")));
  results.push(await measure("SQLite, 1 agent", 1, null));
} finally {
  started.cluster.stop();
}
console.log(`\nschedules ${SCHEDULES}, thundering instant ${THUNDER}, per-second fires over ${FIRES} s`);
console.log("setup                   | tick lateness p50 / p99 (n) | double fires | claims at the instant | claims/s | last claim after");
for (const r of results) {
  const l = r.lateness;
  console.log(
    `${r.label.padEnd(23)} | ${`${l.p50} / ${l.p99} ms (${l.n})`.padEnd(27)} | ${String(r.doubles).padEnd(12)} | ${String(r.claims).padEnd(21)} | ${String(r.claimsPerSecond).padEnd(8)} | ${r.lastClaimAfterMs} ms`,
  );
}
