// What crosses from the executor that evaluated a workflow file to the
// agent that validates it: a copy of the default export made of plain data
// (objects, arrays, strings, numbers, dates… — what structured clone
// carries), with each function replaced by a mark. The functions stay in the
// executor; validation needs to know only that one was there. Pure.

/** The key of the object that stands for a function in a copy. */
export const FUNCTION_MARK = "__clockworkFunction";

export function isFunctionMark(value: unknown): boolean {
  return value !== null && typeof value === "object" && FUNCTION_MARK in value;
}

/** The workflow a module exports: `default`, or a CommonJS `module.exports` that looks like one. */
export function pickDefault(exports: unknown): unknown {
  if (exports !== null && typeof exports === "object") {
    const mod = exports as Record<string, unknown>;
    if ("default" in mod) return mod.default;
    if ("steps" in mod && "name" in mod) return mod;
  }
  return undefined;
}

/** `{ default: <copy> }` of a module's exports, or `{}` when it has no default export; ready for validateWorkflow. */
export function copyForValidation(exports: unknown): { default?: unknown } {
  const value = pickDefault(exports);
  return value === undefined ? {} : { default: copyValue(value, new Map()) };
}

function copyValue(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value === "function") return { [FUNCTION_MARK]: value.name || true };
  if (typeof value === "symbol") return String(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date || value instanceof RegExp) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(copyValue(item, seen));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const key of Object.keys(value)) {
    try {
      copy[key] = copyValue((value as Record<string, unknown>)[key], seen);
    } catch (error) {
      // A getter that throws: the validator says the value is wrong, not the agent.
      copy[key] = `<could not be read: ${(error as Error)?.message ?? String(error)}>`;
    }
  }
  return copy;
}
