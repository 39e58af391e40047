// Startup cost of `clockwork run`: a one-step workflow whose step is `true`,
// run as a whole process, against `node -e 0`, the floor any Node CLI pays.
// Median of N runs of each, interleaved so that machine noise hits both.
// Target: clockwork run ≤ 2.5 × node -e 0.
//
//   npm run build && node bench/run-startup.mjs [runs]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "clockwork.js");
const runs = Number(process.argv[2] ?? 30);
const dir = mkdtempSync(join(tmpdir(), "clockwork-bench-startup-"));
const env = { ...process.env, CLOCKWORK_HOME: join(dir, "home"), NO_COLOR: "1" };
const workflow = join(dir, "true.workflow.ts");
writeFileSync(
  workflow,
  `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "true", steps: [shell("t", "true")] });\n`,
);

function time(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  // Warm-up: the first run creates the store and caches the compiled workflow.
  time([cli, "run", workflow]);
  time(["-e", "0"]);
  const node = [];
  const clockwork = [];
  for (let i = 0; i < runs; i++) {
    node.push(time(["-e", "0"]));
    clockwork.push(time([cli, "run", workflow]));
  }
  const n = median(node);
  const c = median(clockwork);
  console.log(`node -e 0:                 median ${n.toFixed(1)} ms over ${runs} runs`);
  console.log(`clockwork run (one step):  median ${c.toFixed(1)} ms over ${runs} runs`);
  console.log(`ratio:                     ${(c / n).toFixed(2)} × (target ≤ 2.5 ×)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
