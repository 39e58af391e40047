// Loading workflow files from a folder outside the repository, where
// nothing is installed: the "clockwork" import must still work.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WorkflowLoadError } from "../../agent/workflow/load";
import { checkWorkflow, loadWorkflow } from "../helpers/loader";
import { makeTestHome, workflowSource, type TestHome } from "../helpers/home";

let home: TestHome;
let cacheDir: string;
before(() => {
  home = makeTestHome("run-load");
  cacheDir = join(home.home, "cache", "workflows");
});
after(() => home.cleanup());

async function loadError(file: string): Promise<WorkflowLoadError> {
  try {
    await loadWorkflow(file, { cacheDir });
  } catch (error) {
    assert.ok(error instanceof WorkflowLoadError, `expected a WorkflowLoadError, got ${String(error)}`);
    return error;
  }
  assert.fail(`${file} loaded`);
}

describe("loading", () => {
  test("a TypeScript workflow imports clockwork with nothing installed, and bundles its local imports", async () => {
    assert.equal(existsSync(home.path("node_modules")), false);
    home.write("lib/greeting.ts", `export const greeting: string = "hi from lib";\n`);
    const file = home.write(
      "hello.workflow.ts",
      `import { defineWorkflow, shell, code } from "clockwork";
import { greeting } from "./lib/greeting";
interface Unused { x: number }
export default defineWorkflow({
  name: "hello",
  description: "says hi",
  steps: [shell("greet", \`echo \${greeting}\`), code("count", async (ctx) => ctx.steps.greet.length)],
});
`,
    );
    const workflow = await loadWorkflow(file, { cacheDir });
    assert.equal(workflow.file, file);
    assert.equal(workflow.name, "hello");
    assert.equal(workflow.description, "says hi");
    assert.deepEqual(workflow.steps.map((s) => [s.kind, s.name]), [["shell", "greet"], ["code", "count"]]);
    assert.equal((workflow.steps[0] as { command: string }).command, "echo hi from lib");
  });

  test(".mjs and CommonJS .js workflows load too", async () => {
    const mjs = home.write("m.workflow.mjs", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "m", steps: [shell("a", "true")] });\n`);
    const cjs = home.write("c.workflow.js", `const { defineWorkflow, shell } = require("clockwork");\nmodule.exports = defineWorkflow({ name: "c", steps: [shell("a", "true")] });\n`);
    assert.equal((await loadWorkflow(mjs, { cacheDir })).name, "m");
    assert.equal((await loadWorkflow(cjs, { cacheDir })).name, "c");
  });

  test("a bare npm import stays external and is required from the workflow's own folder", async () => {
    home.write("node_modules/left-pad-lite/package.json", JSON.stringify({ name: "left-pad-lite", main: "index.js" }));
    home.write("node_modules/left-pad-lite/index.js", `module.exports = (s, n) => String(s).padStart(n, "0");\n`);
    const file = home.write(
      "npm.workflow.ts",
      `import { defineWorkflow, shell } from "clockwork";\nimport pad from "left-pad-lite";\nexport default defineWorkflow({ name: "npm", steps: [shell("a", "echo " + pad(7, 3))] });\n`,
    );
    const workflow = await loadWorkflow(file, { cacheDir });
    assert.equal((workflow.steps[0] as { command: string }).command, "echo 007");
  });

  test("import.meta works in a workflow", async () => {
    const file = home.write(
      "meta.workflow.ts",
      `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "meta", steps: [shell("a", "echo " + import.meta.dirname + " " + import.meta.url)] });\n`,
    );
    const workflow = await loadWorkflow(file, { cacheDir });
    assert.equal((workflow.steps[0] as { command: string }).command, `echo ${home.work} file://${file}`);
  });

  test("an edited file is loaded fresh although its bundle was cached", async () => {
    const file = home.write("edit.workflow.ts", workflowSource("edit", [`shell("a", "echo one")`]));
    assert.equal(((await loadWorkflow(file, { cacheDir })).steps[0] as { command: string }).command, "echo one");
    assert.ok(readdirSync(cacheDir).length > 0, "the bundle was cached");
    writeFileSync(file, workflowSource("edit", [`shell("a", "echo two")`]));
    assert.equal(((await loadWorkflow(file, { cacheDir })).steps[0] as { command: string }).command, "echo two");
    home.write("dep.ts", `export const word = "three";\n`);
    writeFileSync(file, `import { word } from "./dep";\n` + workflowSource("edit", ["shell(\"a\", `echo ${word}`)"]));
    assert.equal(((await loadWorkflow(file, { cacheDir })).steps[0] as { command: string }).command, "echo three");
    home.write("dep.ts", `export const word = "four";\n`);
    assert.equal(((await loadWorkflow(file, { cacheDir })).steps[0] as { command: string }).command, "echo four", "a changed import invalidates the cache");
  });
});

describe("load errors name file, line and column", () => {
  test("a missing file", async () => {
    const error = await loadError(home.path("missing.workflow.ts"));
    assert.equal(error.message, `${home.path("missing.workflow.ts")}:1:1: no such file`);
  });

  test("a syntax error points at the offending token", async () => {
    const file = home.write("syntax.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({\n  name: "s",\n  steps: [shell("a", "true"],\n});\n`);
    const error = await loadError(file);
    assert.equal(error.line, 4);
    assert.equal(error.column, 28);
    assert.match(error.message, new RegExp(`^${file}:4:28: Expected "\\)" but found "\\]"`));
  });

  test("an error thrown while loading points at the throwing line of the original TypeScript", async () => {
    const file = home.write(
      "throws.workflow.ts",
      `import { defineWorkflow, shell } from "clockwork";\n\ntype T = { a: { b: string } };\nconst value = undefined as unknown as T;\nconst b = value.a.b;\nexport default defineWorkflow({ name: "t", steps: [shell("a", b)] });\n`,
    );
    const error = await loadError(file);
    assert.match(error.message, new RegExp(`^${file}:5:17: loading the file threw TypeError: Cannot read properties of undefined`));
  });

  test("a missing local import names the import", async () => {
    const file = home.write("import.workflow.ts", `import { x } from "./nowhere";\nexport default x;\n`);
    const error = await loadError(file);
    assert.match(error.message, new RegExp(`^${file}:1:19: Could not resolve "./nowhere"`));
  });

  test("no default export, duplicate steps and unknown options are each explained where they are", async () => {
    const none = await loadError(home.write("none.workflow.ts", `import { shell } from "clockwork";\nexport const step = shell("a", "true");\n`));
    assert.match(none.message, /:1:1: the file has no default export: end it with `export default defineWorkflow/);

    const dup = await loadError(
      home.write("dup.workflow.ts", workflowSource("dup", [`shell("a", "true")`, `shell("b", "true")`, `shell("a", "false")`])),
    );
    assert.match(dup.message, /dup\.workflow\.ts:8:11: duplicate step name "a": step 1 already has it/);

    const unknown = await loadError(home.write("unknown.workflow.ts", workflowSource("unknown", [`shell("a", "true", { timout: 5 } as never)`])));
    assert.match(unknown.message, /unknown\.workflow\.ts:6:26: step "a" \(shell\): unknown option "timout" \(did you mean "timeout"\?\)/);
  });

  test("a file that is not a workflow file is refused by its name", async () => {
    const error = await loadError(home.write("notes.txt", "hello"));
    assert.match(error.message, /not a workflow file/);
  });
});

describe("checking for the editor", () => {
  test("unsaved source is checked instead of the file, and unresolvable placeholders come with positions", async () => {
    const file = home.path("draft.workflow.ts");
    const source = workflowSource("draft", [`shell("a", "echo {b}")`, `shell("b", "echo {a} {previous.c}")`]);
    const result = await checkWorkflow(file, source);
    assert.ok(result.workflow, "placeholder problems do not stop the workflow from loading");
    assert.deepEqual(
      result.problems.map((p) => [p.line, p.column, p.severity, p.message]),
      [
        [6, 22, "error", 'step "a" (shell), command: {b}: step "b" runs after this step, so it has no output yet'],
        [7, 26, "error", 'step "b" (shell), command: {previous.c}: no step named "c" in this workflow'],
      ],
    );
  });

  test("every problem of a broken file is reported, not just the first", async () => {
    const result = await checkWorkflow(
      home.path("many.workflow.ts"),
      workflowSource("many", [`shell("a", "true", { timout: 1 } as never)`, `shell("a", "true")`, `http("h", { method: "GET" } as never)`]),
    );
    assert.equal(result.workflow, undefined);
    assert.deepEqual(
      result.problems.map((p) => p.message),
      [
        'step "a" (shell): unknown option "timout" (did you mean "timeout"?) (shell steps take: timeout, retries, cwd, env, shell)',
        'duplicate step name "a": step 1 already has it; step names must be unique',
        'step "h" (http): option "url" is required',
      ],
    );
  });
});
