// `npm start`: the whole first-run job after `npm install` — build if needed,
// start the agent in the background (SQLite under $CLOCKWORK_HOME, default
// ~/.clockwork), run the hello example through the CLI, and show the agent's
// status and the run history.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "clockwork.js");

function step(title, args, { allowFailure = false } = {}) {
  console.log(`\n$ clockwork ${args.join(" ")}    # ${title}`);
  const result = spawnSync(process.execPath, [cli, ...args], { stdio: "inherit", cwd: root });
  if (result.status !== 0 && !allowFailure) process.exit(result.status ?? 1);
  return result.status;
}

if (!existsSync(join(root, "dist", "clockwork.js"))) {
  const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// `status` exits 1 when no agent runs; then start one.
if (step("is an agent running?", ["status"], { allowFailure: true }) !== 0) {
  step("start the agent in the background", ["agent", "start"]);
}
step("run a workflow, streaming each step", ["run", join("examples", "hello.workflow.ts")]);
step("the run is recorded", ["history", "--limit", "5"]);
