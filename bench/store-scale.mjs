// The run store at scale: the `{previous.x}` lookup and the `history
// --limit 20` listing with 1,000 runs and with 1,000,000 runs in the store.
// Both must be index seeks, so their time must not grow with the store:
// target time at 1M ≤ 2 × time at 1k.
//
// Each store is a real SQLite file created by the real migrations, filled
// with runs of 100 workflows (two steps each; mostly successes, some
// failures), then queried through RunStore itself. Figures are medians of
// BENCH_QUERIES calls (default 2,000), each call on a different workflow.
//
//   node bench/store-scale.mjs            (BENCH_SIZES=1000,1000000 BENCH_QUERIES=2000)
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createRequire } from "node:module";
import { register } from "tsx/cjs/api";

// The store is TypeScript; tsx compiles it on the fly (the bundle only holds the CLI).
register();
const require = createRequire(import.meta.url);
const { openDb } = require("../agent/store/db.ts");
const { RunStore } = require("../agent/store/runs.ts");

const SIZES = (process.env.BENCH_SIZES ?? "1000,1000000").split(",").map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 2000);
const WORKFLOWS = 100;
const dir = mkdtempSync(join(tmpdir(), "clockwork-bench-store-"));

function fill(db, count) {
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
}

function median(fn) {
  const times = [];
  for (let i = 0; i < QUERIES; i++) {
    const t = performance.now();
    fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const results = [];
try {
  for (const size of SIZES) {
    const file = join(dir, `runs-${size}.db`);
    const started = performance.now();
    let db = openDb(file);
    fill(db, size);
    db.close();
    const fillSeconds = (performance.now() - started) / 1000;
    db = openDb(file);
    const store = new RunStore(db);
    // Warm the statement cache and the page cache the way a running agent would be.
    store.previousOutput("workflow-1", "summary");
    store.listRuns({ limit: 20 });
    const previous = median((i) => {
      const found = store.previousOutput(`workflow-${i % WORKFLOWS}`, "summary");
      if (!found) throw new Error("no previous output");
    });
    const history = median(() => {
      if (store.listRuns({ limit: 20 }).length !== 20) throw new Error("short history");
    });
    const byWorkflow = median((i) => store.listRuns({ workflow: `workflow-${i % WORKFLOWS}`, limit: 20 }));
    const failed = median(() => store.listRuns({ status: "failed", limit: 20 }));
    db.close();
    const mb = statSync(file).size / 1024 / 1024;
    results.push({ size, previous, history, byWorkflow, failed });
    console.log(
      `${size.toLocaleString("en-US").padStart(9)} runs (${mb.toFixed(0)} MB, filled in ${fillSeconds.toFixed(1)} s): ` +
        `{previous.x} ${(previous * 1000).toFixed(1)} µs · history --limit 20 ${(history * 1000).toFixed(1)} µs · ` +
        `--workflow W ${(byWorkflow * 1000).toFixed(1)} µs · --status failed ${(failed * 1000).toFixed(1)} µs`,
    );
  }

  if (results.length >= 2) {
    const [small, large] = [results[0], results[results.length - 1]];
    for (const key of ["previous", "history", "byWorkflow", "failed"]) {
      const ratio = large[key] / small[key];
      console.log(`${key.padEnd(10)} ${large.size.toLocaleString("en-US")} vs ${small.size.toLocaleString("en-US")}: ${ratio.toFixed(2)} × (target ≤ 2 ×)`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
