// Checks what a workflow file default-exported, and says exactly what is
// wrong: which step, which option, what was expected. Pure: positions in the
// source are found later (locate.ts) from the anchors given here. What each
// step kind accepts is declared with the kind (agent/steps/stepKinds.ts).
import type { z } from "zod";
import { orList } from "../core/orList";
import { classify, envName, parseTemplate, PlaceholderError, type TemplatePart } from "../core/placeholders";
import { stepReferenceProblem } from "../core/stepReferences";
import { suggest } from "../core/suggest";
import type { Step } from "../sdk";
import { isStepKind, STEP_KIND_NAMES, stepKind, stepOptionNames, stepTemplates, type StepKind, type StepTemplate } from "../steps/stepKinds";
import { isFunctionMark, pickDefault } from "./exportsCopy";

export interface ValidWorkflow {
  name: string;
  description?: string;
  steps: Step[];
}

/** Where in the source a problem belongs; turned into a line and column by locate.ts. */
export type Anchor =
  | { kind: "file" }
  | { kind: "export" }
  | { kind: "workflow"; key?: string }
  | { kind: "step"; index: number; name?: string; option?: string; text?: string };

type StepAnchor = Extract<Anchor, { kind: "step" }>;

export interface ValidationProblem {
  message: string;
  severity: "error" | "warning";
  anchor: Anchor;
}

type ReportError = (message: string, anchor: Anchor) => void;

export const WORKFLOW_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const STEP_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** Placeholder roots: a step with one of these names could never be referred to. */
const RESERVED_STEP_NAMES = ["previous", "trigger", "run"];
const WORKFLOW_KEYS = ["name", "description", "steps"];
/** "shell(), http(), llm(), code() or mcp()": how steps are built. */
const CONSTRUCTORS = orList(STEP_KIND_NAMES.map((kind) => `${kind}()`));

/**
 * Validates a module's exports. `workflow` is set when its structure is
 * valid; `problems` may then still list placeholders that can never
 * resolve, which fail their step when the workflow runs.
 */
export function validateWorkflow(exports: unknown): { workflow?: ValidWorkflow; problems: ValidationProblem[] } {
  const problems: ValidationProblem[] = [];
  const error: ReportError = (message, anchor) => problems.push({ message, severity: "error", anchor });
  const def = workflowObject(exports, error);
  if (def === undefined) return { problems };
  checkWorkflowFields(def, error);
  if (!Array.isArray(def.steps)) {
    error("the workflow needs steps: an array such as [shell(\"hello\", \"echo hello\")]", { kind: "workflow", key: "steps" });
    return { problems };
  }
  if (def.steps.length === 0) error("the workflow has no steps", { kind: "workflow", key: "steps" });
  const names = new StepNames();
  def.steps.forEach((raw: unknown, index: number) => checkStep(raw, index, names, error));

  if (problems.length > 0) return { problems };
  const steps = def.steps as Step[];
  problems.push(...placeholderProblems(steps));
  return { workflow: { name: def.name as string, description: def.description as string | undefined, steps }, problems };
}

/** The default export as an object, or undefined after saying why it is not one. */
function workflowObject(exports: unknown, error: ReportError): Record<string, unknown> | undefined {
  const value = pickDefault(exports);
  if (value === undefined) {
    error("the file has no default export: end it with `export default defineWorkflow({ name, steps: [...] })`", {
      kind: "file",
    });
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    error(`the default export must be defineWorkflow({ name, steps }), not ${describe(value)}`, { kind: "export" });
    return undefined;
  }
  return value as Record<string, unknown>;
}

/** Unknown keys, the name and the description. */
function checkWorkflowFields(def: Record<string, unknown>, error: ReportError): void {
  for (const key of Object.keys(def)) {
    if (![...WORKFLOW_KEYS, "__clockwork"].includes(key)) {
      error(`unknown workflow option "${key}"${suggest(key, WORKFLOW_KEYS)}`, { kind: "workflow", key });
    }
  }
  if (typeof def.name !== "string" || def.name.length === 0) {
    error("the workflow needs a name: defineWorkflow({ name: \"my-workflow\", steps: [...] })", { kind: "workflow", key: "name" });
  } else if (!WORKFLOW_NAME.test(def.name)) {
    error(
      `workflow name "${def.name}" is not valid: use letters, digits, ".", "_" and "-" (at most 100), starting with a letter or digit`,
      { kind: "workflow", key: "name" },
    );
  }
  if (def.description !== undefined && typeof def.description !== "string") {
    error("description must be a string", { kind: "workflow", key: "description" });
  }
}

/** The step names seen so far (in order, "" for a step without a usable one) and the variables they become. */
class StepNames {
  readonly list: string[] = [];
  private readonly variables = new Map<string, string>();

  /** Why `name` cannot be this step's name, or undefined; records it either way. */
  problem(name: string, label: string): string | undefined {
    const why = this.check(name, label);
    this.list.push(name);
    return why;
  }

  private check(name: string, label: string): string | undefined {
    if (!STEP_NAME.test(name)) {
      return `${label}: "${name}" is not a valid step name: use letters, digits, "_" and "-" (at most 64), starting with a letter or "_"`;
    }
    if (RESERVED_STEP_NAMES.includes(name)) return `${label}: "${name}" is reserved for placeholders ({${name}.…}); choose another name`;
    if (this.list.includes(name)) {
      return `duplicate step name "${name}": step ${this.list.indexOf(name) + 1} already has it; step names must be unique`;
    }
    const variable = envName(name);
    const clash = this.variables.get(variable);
    this.variables.set(variable, name);
    if (clash) return `${label}: "${name}" and "${clash}" both become the environment variable CLOCKWORK_STEP_${variable}; rename one`;
    return undefined;
  }
}

/** One step: a known kind, a valid and unique name, what its kind checks, and its options against the kind's schema. */
function checkStep(raw: unknown, index: number, names: StepNames, error: ReportError): void {
  const at = (extra: Partial<StepAnchor> = {}): Anchor => ({ kind: "step", index, ...extra });
  if (raw === null || typeof raw !== "object" || !isStepKind((raw as { kind?: unknown }).kind)) {
    error(`step ${index + 1} is ${describe(raw)}: build steps with ${CONSTRUCTORS}`, at());
    names.list.push("");
    return;
  }
  const step = raw as Record<string, unknown>;
  const kind = step.kind as StepKind;
  const named = typeof step.name === "string" ? step.name : undefined;
  const label = named ? `step "${named}" (${kind})` : `step ${index + 1} (${kind})`;
  if (!named) {
    error(`${label} needs a name as its first argument: ${kind}("name", …)`, at());
    names.list.push(named ?? "");
  } else {
    const why = names.problem(named, label);
    if (why) error(why, at({ name: named }));
  }
  stepKind(kind).check?.(
    step,
    (message, option) => error(`${label}: ${message}`, at(option === undefined ? { name: named } : { name: named, option })),
    named,
  );
  const options = step.options ?? {};
  const parsed = stepKind(kind).options.safeParse(options);
  if (parsed.success) return;
  for (const issue of parsed.error.issues) {
    for (const message of issueMessages(issue, options, kind)) {
      const option = issue.code === "unrecognized_keys" ? message.key : issue.path[0]?.toString();
      error(`${label}: ${message.text}`, at({ name: named, option }));
    }
  }
}

function issueMessages(issue: z.core.$ZodIssue, options: unknown, kind: StepKind): Array<{ text: string; key?: string }> {
  const path = issue.path.map(String).join(".");
  const option = `option "${path}"`;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const where = path ? `"${path}" has an unknown field "${key}"` : `unknown option "${key}"`;
        const known = path ? [] : stepOptionNames(kind);
        return { text: `${where}${suggest(key, known)}${path ? "" : ` (${kind} steps take: ${known.join(", ")})`}`, key };
      });
    case "invalid_type": {
      if (valueAt(options, issue.path) === undefined) return [{ text: `${option} is required` }];
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return [{ text: `${option} must be ${expected}, not ${describe(valueAt(options, issue.path))}` }];
    }
    case "invalid_value":
      return [{ text: `${option} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` }];
    case "too_small":
      if (issue.origin === "string") return [{ text: `${option} must not be empty` }];
      if (issue.origin === "array") return [{ text: `${option} must not be empty` }];
      return [{ text: `${option} must be at least ${issue.minimum}` }];
    case "too_big":
      return [{ text: `${option} must be at most ${issue.maximum}` }];
    case "invalid_union":
      return [{ text: `${option} ${unionHint(path)}` }];
    case "invalid_format":
      return [{ text: `${option} ${issue.message}` }];
    default:
      return [{ text: `${option}: ${issue.message}` }];
  }
}

function unionHint(path: string): string {
  if (path === "timeout") return 'must be a duration: milliseconds or a string such as "30s"';
  if (path === "body") return "must be a string, an object or an array";
  if (path === "expectStatus") return "must be an HTTP status code or an array of them";
  return "has the wrong type";
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  object: "an object",
  array: "an array",
  record: "an object",
  boolean: "true or false",
};

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function" || isFunctionMark(value)) return "a function";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Placeholders that can never resolve: bad syntax, unknown fields, steps that do not exist or run later. */
function placeholderProblems(steps: Step[]): ValidationProblem[] {
  const names = steps.map((s) => s.name);
  return steps.flatMap((step, index) => stepTemplates(step).flatMap((template) => templateProblems(step, index, template, names)));
}

function templateProblems(step: Step, index: number, { option, template }: StepTemplate, names: string[]): ValidationProblem[] {
  const problem = (message: string, text?: string): ValidationProblem => ({
    message: `step "${step.name}" (${step.kind}), ${option}: ${message}`,
    severity: "error",
    anchor: { kind: "step", index, name: step.name, option: option.split(/[.[]/)[0], text },
  });
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(template);
  } catch (error) {
    return [problem((error as Error).message)];
  }
  const problems: ValidationProblem[] = [];
  for (const part of parts) {
    if (part.kind !== "placeholder") continue;
    try {
      const why = stepReferenceProblem(classify(part), names, index, part);
      if (why !== undefined) problems.push(problem(`${part.text}: ${why}`, part.text));
    } catch (error) {
      if (!(error instanceof PlaceholderError)) throw error;
      problems.push(problem(error.message, part.text));
    }
  }
  return problems;
}
