// Editor types for workflow files: `clockwork init` writes declarations and
// a tsconfig.json with which the TypeScript compiler (as used by editors)
// type-checks `import … from "clockwork"` in a folder with nothing installed.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli";
import { makeTestHome, repoRoot, type TestHome } from "../helpers/home";

let home: TestHome;
before(() => {
  home = makeTestHome("run-init");
});
after(() => home.cleanup());

const tsc = () =>
  spawnSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", home.work], { encoding: "utf8" });

test("the shipped declarations match the SDK source", () => {
  const check = spawnSync(process.execPath, [join(repoRoot, "scripts/gen-sdk-types.mjs"), "--check"], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stderr);
});

test("init writes declarations, a tsconfig and an example, and keeps an existing tsconfig", async () => {
  const result = await runCli(["init", home.work], { env: home.env, cwd: home.root });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /wrote   work\/clockwork\.d\.ts\nwrote   work\/tsconfig\.json\nwrote   work\/hello\.workflow\.ts\n\nTry it: clockwork run work\/hello\.workflow\.ts\n/);
  assert.match(readFileSync(home.path("clockwork.d.ts"), "utf8"), /declare module "clockwork" \{/);
  const again = await runCli(["init", "."], { env: home.env, cwd: home.work });
  assert.match(again.stdout, /wrote   clockwork\.d\.ts\nkept    tsconfig\.json\n$/);
});

test("a correct workflow type-checks and a wrong option or type is caught, as an editor would show", () => {
  assert.equal(tsc().status, 0, tsc().stdout);
  home.write(
    "typo.workflow.ts",
    `import { defineWorkflow, shell, code } from "clockwork";
export default defineWorkflow({
  name: "typo",
  steps: [
    shell("a", "echo", { timout: "5s" }),
    code("b", async ({ steps, previous }) => steps.a.length + (previous("b") ?? "").length),
  ],
});
`,
  );
  const result = tsc();
  assert.equal(result.status, 2);
  assert.match(result.stdout, /typo\.workflow\.ts\(5,26\): error TS2561: Object literal may only specify known properties, but 'timout' does not exist in type 'ShellOptions'\. Did you mean to write 'timeout'\?/);
  assert.equal(result.stdout.trim().split("\n").length, 1, result.stdout);
});
