// The examples folder opens in an editor without type errors: it carries the
// declarations of "clockwork" (as `clockwork init` writes them) and a
// tsconfig.json that includes them, and every example type-checks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { TSCONFIG } from "../../agent/cli/commands/init";
import { SDK_DECLARATIONS } from "../../agent/workflow/sdkTypes";

const root = process.env.CLOCKWORK_REPO_ROOT ?? join(__dirname, "../..");
const examples = join(root, "examples");

test("examples/clockwork.d.ts and tsconfig.json are what `clockwork init` writes today", () => {
  assert.equal(
    readFileSync(join(examples, "clockwork.d.ts"), "utf8"),
    SDK_DECLARATIONS,
    "out of date: run `node scripts/gen-sdk-types.mjs`",
  );
  assert.deepEqual(JSON.parse(readFileSync(join(examples, "tsconfig.json"), "utf8")), TSCONFIG);
});

test("every example type-checks against those declarations, as the editor checks it", () => {
  const configFile = ts.readConfigFile(join(examples, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, examples);
  assert.ok(parsed.fileNames.some((f) => f.endsWith("hello.workflow.ts")), "the examples are included");
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  assert.deepEqual(problems, []);
});
