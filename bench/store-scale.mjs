// The run store at scale: the `{previous.x}` lookup and the `history
// --limit 20` listing with 1,000 runs and with 1,000,000 runs in the store.
// Both must be index seeks, so their time must not grow with the store:
// target time at 1M ≤ 2 × time at 1k.
//
// Each store is a real SQLite file created by the real migrations, filled
// with runs of 100 workflows (two steps each; mostly successes, some
// failures), then queried through the store that `openStore` returns, as
// every caller in the agent and the CLI does: since the store interface
// that is the asynchronous Store, so each call is timed until its promise
// settles (a store whose calls return plain values, as before the
// interface, is timed as called). Figures are medians of BENCH_QUERIES calls
// (default 2,000), each call on a different workflow.
//
// BENCH_ROOT=<checkout> measures another checkout's store (its TypeScript
// sources, compiled by tsx; it needs its own node_modules). With
// BENCH_BASELINE_ROOT=<checkout> a second checkout is measured in the same
// run, each query's calls interleaved in batches between the two, so noise
// from the machine falls on both. Where the measured checkout's SQLite
// adapter has its synchronous RunStore (agent/store/sqlite/runs.ts), that
// is timed too ("sync, in the adapter"): the difference to the Store is
// what the asynchronous interface costs per call.
//
//   node bench/store-scale.mjs            (BENCH_SIZES=1000,1000000 BENCH_QUERIES=2000)
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { register } from "tsx/cjs/api";

// The store is TypeScript; tsx compiles it on the fly (the bundle only holds the CLI).
register();
const require = createRequire(import.meta.url);
const here = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = resolve(process.env.BENCH_ROOT ?? here);
const BASELINE_ROOT = process.env.BENCH_BASELINE_ROOT ? resolve(process.env.BENCH_BASELINE_ROOT) : null;
const SIZES = (process.env.BENCH_SIZES ?? "1000,1000000").split(",").map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 2000);
const BATCH = 100;
const WORKFLOWS = 100;
const dir = mkdtempSync(join(tmpdir(), "clockwork-bench-store-"));

/** The ways to open a store that the checkouts offer, each a series of figures. */
function seriesOf(root, label) {
  if (!existsSync(join(root, "agent/store/index.ts"))) {
    throw new Error(`${root} has no agent/store/index.ts: BENCH_ROOT and BENCH_BASELINE_ROOT name a Clockwork checkout`);
  }
  const { openStore } = require(join(root, "agent/store/index.ts"));
  const series = [{ label, root, open: async (file) => wrapStore(openStore(file)) }];
  const adapterRuns = join(root, "agent/store/sqlite/runs.ts");
  if (existsSync(adapterRuns)) {
    const { RunStore } = require(adapterRuns);
    const { openDb } = require(join(root, "agent/store/sqlite/db.ts"));
    series.push({
      label: `${label}, sync, in the adapter`,
      root,
      open: async (file) => {
        const db = openDb(file);
        return { runs: new RunStore(db), close: async () => db.close() };
      },
    });
  }
  return series;
}

const wrapStore = (store) => ({ runs: store.runs, close: async () => store.close() });

/** Fills `file` (already migrated by the checkout's own store) with `count` runs. */
function fill(file, count) {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  const insertRun = db.prepare(
    `INSERT INTO runs (id, workflow_name, workflow_file, trigger_kind, trigger_context, status, created_at, started_at, finished_at, error)
     VALUES (?, ?, ?, 'cron', '{}', ?, ?, ?, ?, ?)`,
  );
  const insertStep = db.prepare(
    `INSERT INTO run_steps (run_id, idx, name, kind, status, output, exit_code, attempts, started_at, finished_at)
     VALUES (?, ?, ?, 'shell', ?, ?, 0, 1, ?, ?)`,
  );
  const start = Date.parse("2020-01-01T00:00:00Z");
  const batch = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const id = i.toString(36).padStart(12, "0");
      const workflow = `workflow-${i % WORKFLOWS}`;
      const failed = i % 13 === 7;
      const at = start + i * 60_000;
      insertRun.run(id, workflow, `/w/${workflow}.workflow.ts`, failed ? "failed" : "success", at, at, at + 1500, failed ? "step failed" : null);
      insertStep.run(id, 0, "commits", "success", `output ${i}`, at, at + 500);
      insertStep.run(id, 1, "summary", failed ? "failed" : "success", failed ? null : `summary ${i}`, at + 500, at + 1500);
    }
  });
  for (let from = 0; from < count; from += 50_000) batch(from, Math.min(count, from + 50_000));
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
}

/**
 * One call's time: until its promise settles, or until it returns where the
 * store answers synchronously (awaiting a plain value would add a tick no
 * caller of such a store paid).
 */
async function timed(fn, i) {
  const t = performance.now();
  let result = fn(i);
  if (result && typeof result.then === "function") result = await result;
  const ms = performance.now() - t;
  return { ms, result };
}

/**
 * Medians of QUERIES calls of `query` on each store, their calls interleaved
 * in batches; null for a store without the method (`needs`) the query calls.
 */
async function interleaved(stores, query, check, needs) {
  const times = stores.map(() => []);
  const has = (store) => !needs || typeof store.runs[needs] === "function";
  for (let from = 0; from < QUERIES; from += BATCH) {
    for (const [s, store] of stores.entries()) {
      if (!has(store)) continue;
      for (let i = from; i < Math.min(QUERIES, from + BATCH); i++) {
        const { ms, result } = await timed((n) => query(store.runs, n), i);
        check?.(result);
        times[s].push(ms);
      }
    }
  }
  return times.map((t) => (t.length === 0 ? null : t.sort((a, b) => a - b)[Math.floor(t.length / 2)]));
}

const QUERY_KINDS = [
  [
    "previous",
    "{previous.x}",
    (runs, i) => runs.previousOutput(`workflow-${i % WORKFLOWS}`, "summary"),
    (found) => {
      if (!found) throw new Error("no previous output");
    },
  ],
  [
    // Since the store interface the runner reads the last successful run's outputs once per run.
    "previousAll",
    "{previous.*} once per run",
    (runs, i) => runs.previousOutputs(`workflow-${i % WORKFLOWS}`),
    (found) => {
      if (!found) throw new Error("no previous outputs");
    },
    "previousOutputs",
  ],
  [
    "history",
    "history --limit 20",
    (runs) => runs.listRuns({ limit: 20 }),
    (rows) => {
      if (rows.length !== 20) throw new Error("short history");
    },
  ],
  ["byWorkflow", "--workflow W", (runs, i) => runs.listRuns({ workflow: `workflow-${i % WORKFLOWS}`, limit: 20 })],
  ["failed", "--status failed", (runs) => runs.listRuns({ status: "failed", limit: 20 })],
];

const µs = (ms) => (ms === null ? "—" : `${(ms * 1000).toFixed(1)} µs`);
const series = [...seriesOf(ROOT, BASELINE_ROOT ? "this checkout" : "store")];
if (BASELINE_ROOT) series.push(...seriesOf(BASELINE_ROOT, "baseline"));
console.log(series.map((s) => `${s.label}: ${s.root}`).join("\n"));

const results = series.map(() => []);
try {
  for (const size of SIZES) {
    // One file per checkout, made by its own migrations; the series of one checkout share it.
    const files = new Map();
    for (const s of series) {
      if (files.has(s.root)) continue;
      const file = join(dir, `runs-${size}-${files.size}.db`);
      const started = performance.now();
      await (await s.open(file)).close();
      fill(file, size);
      files.set(s.root, file);
      const mb = statSync(file).size / 1024 / 1024;
      console.log(`${size.toLocaleString("en-US")} runs for ${s.root}: ${mb.toFixed(0)} MB, made in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const stores = [];
    for (const s of series) stores.push(await s.open(files.get(s.root)));
    // Warm the statement cache and the page cache the way a running agent would be.
    for (const store of stores) {
      await store.runs.previousOutput("workflow-1", "summary");
      await store.runs.listRuns({ limit: 20 });
    }
    const figures = {};
    for (const [key, , query, check, needs] of QUERY_KINDS) figures[key] = await interleaved(stores, query, check, needs);
    for (const store of stores) await store.close();
    for (const [s, label] of series.map((x) => x.label).entries()) {
      const r = { size, ...Object.fromEntries(QUERY_KINDS.map(([key]) => [key, figures[key][s]])) };
      results[s].push(r);
      console.log(
        `${size.toLocaleString("en-US").padStart(9)} runs, ${label}: ` + QUERY_KINDS.map(([key, name]) => `${name} ${µs(r[key])}`).join(" · "),
      );
    }
  }

  for (const [s, { label }] of series.entries()) {
    if (results[s].length < 2) continue;
    const [small, large] = [results[s][0], results[s][results[s].length - 1]];
    for (const [key, name] of QUERY_KINDS) {
      if (large[key] === null) continue;
      const ratio = large[key] / small[key];
      console.log(
        `${label}, ${name.padEnd(25)} ${large.size.toLocaleString("en-US")} vs ${small.size.toLocaleString("en-US")}: ${ratio.toFixed(2)} × (target ≤ 2 ×)`,
      );
    }
  }
  const baseline = series.findIndex((s) => s.label === "baseline");
  if (baseline > 0) {
    for (const [i, size] of SIZES.entries()) {
      const line = QUERY_KINDS.filter(([key]) => results[0][i][key] !== null && results[baseline][i][key] !== null).map(([key, name]) => {
        const [now, before] = [results[0][i][key], results[baseline][i][key]];
        return `${name} ${µs(before)} → ${µs(now)} (${now - before >= 0 ? "+" : ""}${((now - before) * 1000).toFixed(1)} µs)`;
      });
      console.log(`baseline → this checkout at ${size.toLocaleString("en-US")} runs: ${line.join(" · ")}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
