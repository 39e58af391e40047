// Runs every test file with node's own test runner. Unit and agent tests are
// TypeScript (loaded through tsx); end-to-end tests in a real VS Code are
// plain ES modules under test/e2e. Node 20's --test takes no globs, so the
// files are listed here. Set CLOCKWORK_TEST_FILTER=substring to run a subset,
// CLOCKWORK_SKIP_E2E=1 to leave out the VS Code tests.
//
// The VS Code tests need code-server and Chromium (scripts/e2e-setup.sh
// installs them, with apt, so as root). Without them they are skipped, never
// failed, and this script says so again under the results.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else if (/\.test\.ts$/.test(name) || /\.e2e\.mjs$/.test(name)) out.push(full);
  }
  return out;
}

const filter = process.env.CLOCKWORK_TEST_FILTER;
let files = walk(join(root, "test")).sort();
if (process.env.CLOCKWORK_SKIP_E2E) files = files.filter((f) => !f.endsWith(".e2e.mjs"));
if (filter) files = files.filter((f) => f.includes(filter));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const e2eFiles = files.filter((f) => f.endsWith(".e2e.mjs"));
const e2eSkipped = e2eFiles.length > 0 ? (await import("../test/e2e/harness.mjs")).e2eSkipReason() : false;

const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    // A file whose tests are done exits even if a stray handle would keep
    // its event loop alive (not --test-force-exit: it can lose verdicts).
    "--import",
    "./test/helpers/exitWhenDone.mjs",
    "--test",
    "--test-reporter=spec",
    // A test that hangs fails after five minutes instead of stalling the run.
    "--test-timeout=300000",
    ...files.map((f) => relative(root, f)),
  ],
  { cwd: root, stdio: "inherit", env: { ...process.env, CLOCKWORK_REPO_ROOT: root } },
);
if (e2eSkipped) {
  const line = "=".repeat(78);
  console.log(`\n${line}\n${e2eSkipped}.\nSkipped: ${e2eFiles.map((f) => relative(root, f)).join(", ")}\n${line}`);
}
process.exit(result.status ?? 1);
