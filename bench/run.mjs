// `npm run bench`: every benchmark in turn, or the ones named on the command
// line (`npm run bench -- scheduler webhooks`). Each prints its own figures
// and its comparison against a baseline measured in the same run; the
// recorded figures are in bench/README.md.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = ["run-startup", "store-scale", "scheduler", "registration", "instants", "isolation", "webhooks", "webhook-memory", "http-timeouts", "watcher", "mcp", "extension", "team"];
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; choose from ${all.join(", ")}`);
  process.exit(2);
}

let failed = 0;
for (const name of chosen.length > 0 ? chosen : all) {
  console.log(`\n=== bench/${name}.mjs`);
  const result = spawnSync(process.execPath, [join(here, `${name}.mjs`)], { stdio: "inherit" });
  if (result.status !== 0) {
    failed++;
    console.error(`bench/${name}.mjs exited with ${result.status}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
