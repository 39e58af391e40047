// The copy of a workflow's exports an executor sends to the agent: plain
// data, functions marked, shapes the validator can judge.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { copyForValidation, FUNCTION_MARK, isFunctionMark } from "../../agent/workflow/exportsCopy";
import { validateWorkflow } from "../../agent/workflow/validate";
import { code, defineWorkflow, shell } from "../../agent/sdk";

describe("copying a module's exports for validation", () => {
  test("functions become marks and survive structured clone; the validator accepts a marked code step", () => {
    const workflow = defineWorkflow({ name: "w", steps: [shell("a", "echo a"), code("b", () => "x")] });
    const copy = structuredClone(copyForValidation({ default: workflow }));
    const steps = (copy.default as { steps: Array<{ fn?: unknown }> }).steps;
    assert.ok(isFunctionMark(steps[1]!.fn));
    assert.deepEqual(steps[1]!.fn, { [FUNCTION_MARK]: true });
    const { workflow: valid, problems } = validateWorkflow(copy);
    assert.deepEqual(problems, []);
    assert.deepEqual(valid?.steps.map((s) => s.kind), ["shell", "code"]);
  });

  test("a CommonJS module.exports workflow, a missing default and a cycle are handled", () => {
    assert.equal((copyForValidation({ name: "c", steps: [] }).default as { name: string }).name, "c");
    assert.deepEqual(copyForValidation({ other: 1 }), {});
    const looped: Record<string, unknown> = { name: "l" };
    looped.self = looped;
    const copy = copyForValidation({ default: looped }).default as Record<string, unknown>;
    assert.equal(copy.self, copy);
  });

  test("a function where data belongs is reported as a function", () => {
    const copy = copyForValidation({ default: { name: "w", steps: [shell("a", "echo", { timeout: (() => 5) as unknown as number })] } });
    const { problems } = validateWorkflow(copy);
    assert.match(problems[0]!.message, /timeout/);
  });

  test("a getter that throws becomes a value the validator refuses, not a crash", () => {
    const options = {};
    Object.defineProperty(options, "cwd", { enumerable: true, get: () => { throw new Error("no"); } });
    const copy = copyForValidation({ default: { name: "w", steps: [{ kind: "shell", name: "a", command: "echo", options }] } });
    assert.match(String(((copy.default as { steps: Array<{ options: { cwd: string } }> }).steps[0]!.options.cwd)), /could not be read: no/);
  });
});
