// Instant enumeration: what backfill, its dry run and missed-instant reports
// cost. core/cronInstants.ts (one croner evaluation per local day, the
// times of day filled in from the expression) beside the baseline measured
// in the same run: croner asked once per instant, as the scheduler asks for
// the next fire. Both must give the same instants; the bench exits 1 if not.
//
// Usage: node bench/instants.mjs   (bundles the two core modules with esbuild first)
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = mkdtempSync(join(tmpdir(), "cw-bench-instants-"));
const entry = join(dir, "entry.ts");
writeFileSync(
  entry,
  `export { instantsBetween } from ${JSON.stringify(join(root, "agent/core/cronInstants.ts"))};
export { nextFireAfter, parseCron } from ${JSON.stringify(join(root, "agent/core/cron.ts"))};
`,
);
await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", outfile: join(dir, "core.mjs"), logLevel: "error" });
const { instantsBetween, nextFireAfter, parseCron } = await import(pathToFileURL(join(dir, "core.mjs")).href);
rmSync(dir, { recursive: true, force: true });

const CASES = [
  ["0 * * * *", "America/New_York", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "a year of an hourly schedule (8,760: a backfill's size)"],
  ["*/5 * * * *", "Europe/Berlin", "2025-03-01T00:00:00Z", "2025-04-05T00:00:00Z", "five weeks of every 5 minutes across a DST change (10,080)"],
  ["0 9 * * 1-5", "Asia/Kolkata", "2020-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "six years of weekdays at 09:00"],
];

let mismatch = false;
for (const [expression, zone, from, to, what] of CASES) {
  const spec = parseCron(expression, zone);
  const a = Date.parse(from);
  const b = Date.parse(to);
  let t0 = performance.now();
  const oneByOne = [];
  for (let at = nextFireAfter(spec, a - 1); at !== null && at < b; at = nextFireAfter(spec, at)) oneByOne.push(at);
  const baselineMs = performance.now() - t0;
  t0 = performance.now();
  const span = instantsBetween(spec, a, b, 1_000_000);
  const dayMs = performance.now() - t0;
  const same = span.count === oneByOne.length && span.instants.every((at, i) => at === oneByOne[i]);
  mismatch ||= !same;
  console.log(`${what}: ${span.count} instants`);
  console.log(`  croner per instant (baseline): ${baselineMs.toFixed(0)} ms`);
  console.log(`  per local day (cronInstants):  ${dayMs.toFixed(0)} ms  (${(baselineMs / dayMs).toFixed(1)}x)${same ? "" : "  DIFFERENT INSTANTS"}`);
}
// Counting only: a year of a per-second schedule, where the baseline would take minutes.
const perSecond = parseCron("* * * * * *", "America/New_York");
const t0 = performance.now();
const year = instantsBetween(perSecond, Date.parse("2025-01-01T00:00:00Z"), Date.parse("2026-01-01T00:00:00Z"), 0);
console.log(`a year of a per-second schedule, counted: ${year.count} instants in ${(performance.now() - t0).toFixed(0)} ms`);
process.exit(mismatch ? 1 : 0);
