// One rule for placeholders that name a step, asked by the runner, the
// loader and the editor: each refuses the same placeholder with the same words.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PlaceholderError, renderTemplate, type ResolveContext } from "../../agent/core/placeholders";
import { placeholderProblems } from "../../agent/lsp/placeholderSites";
import { scanSource } from "../../agent/lsp/sourceScan";
import { defineWorkflow, shell } from "../../agent/sdk";
import { validateWorkflow } from "../../agent/workflow/validate";

const steps = ["fetch", "summary", "notify"];

/** The three views of `template` written in the step `summary`. */
function whatEachSays(template: string): { runner: string; loader: string; editor: string } {
  const ctx: ResolveContext = {
    workflow: "w",
    steps,
    current: 1,
    outputs: { fetch: "x" },
    previous: () => undefined,
    trigger: { event: "manual" },
    run: { id: "r", scheduledFor: null },
  };
  let runner = "";
  try {
    renderTemplate(template, ctx);
  } catch (error) {
    assert.ok(error instanceof PlaceholderError);
    runner = error.message;
  }
  const workflow = defineWorkflow({ name: "w", steps: steps.map((name) => shell(name, name === "summary" ? template : "true")) });
  const loader = validateWorkflow({ default: workflow }).problems.map((p) => p.message).join("\n");
  const source = `export default defineWorkflow({ name: "w", steps: [${steps
    .map((name) => `shell("${name}", ${JSON.stringify(name === "summary" ? template : "true")})`)
    .join(", ")}] });`;
  const editor = placeholderProblems(scanSource(source)).map((p) => p.message).join("\n");
  return { runner, loader, editor };
}

describe("a placeholder that names a step", () => {
  for (const [template, why] of [
    ["{notify}", '{notify}: step "notify" runs after this step, so it has no output yet'],
    ["{summary}", "{summary}: a step cannot use its own output"],
    ["{fetchh}", '{fetchh}: no step named "fetchh" in this workflow (did you mean "fetch"?)'],
    ["{previous.nope}", '{previous.nope}: no step named "nope" in this workflow'],
  ] as const) {
    test(`${template} is refused in the same words by the runner, the loader and the editor`, () => {
      const said = whatEachSays(template);
      assert.equal(said.runner, why);
      assert.equal(said.loader, `step "summary" (shell), command: ${why}`);
      assert.equal(said.editor, why);
    });
  }

  test("an earlier step and a previous value of any step pass all three checks", () => {
    const said = whatEachSays("{fetch} {previous.notify}");
    assert.equal(said.loader, "");
    assert.equal(said.editor, "");
    assert.match(said.runner, /no earlier successful run/, "only the run itself lacks a previous value");
  });
});
