// Checks what a workflow file default-exported, and says exactly what is
// wrong: which step, which option, what was expected. Pure: positions in the
// source are found later (locate.ts) from the anchors given here.
import { z } from "zod";
import { parseDuration } from "../core/duration";
import { shellInterpreterProblem } from "../core/shellInterpreter";
import { classify, envName, parseTemplate, PlaceholderError, shellVariableHint, suggest } from "../core/placeholders";
import type { Step } from "../sdk";

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

export interface ValidationProblem {
  message: string;
  severity: "error" | "warning";
  anchor: Anchor;
}

export const WORKFLOW_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const STEP_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** Placeholder roots: a step with one of these names could never be referred to. */
const RESERVED_STEP_NAMES = ["previous", "trigger", "run"];
const STEP_KINDS = ["shell", "http", "llm", "code"] as const;

const duration = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  try {
    const ms = parseDuration(value);
    if (ms <= 0) ctx.addIssue({ code: "custom", message: "must be longer than 0" });
    if (ms > 7 * 24 * 3_600_000) ctx.addIssue({ code: "custom", message: "must be at most 7 days" });
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
});

const common = {
  timeout: duration.optional(),
  retries: z
    .strictObject({
      attempts: z.number().int().min(1).max(100),
      backoffMs: z.number().min(0).max(3_600_000).optional(),
    })
    .optional(),
};

const stringMap = z.record(z.string(), z.string());
const interpreter = z.string().superRefine((path, ctx) => {
  const problem = shellInterpreterProblem(path);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const status = z.number().int().min(100).max(599);

const optionSchemas = {
  shell: z.strictObject({ ...common, cwd: z.string().min(1).optional(), env: stringMap.optional(), shell: interpreter.optional() }),
  http: z.strictObject({
    ...common,
    url: z.string().min(1),
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]).optional(),
    headers: stringMap.optional(),
    body: z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
    expectStatus: z.union([status, z.array(status).min(1)]).optional(),
  }),
  llm: z.strictObject({
    ...common,
    prompt: z.string().min(1),
    system: z.string().optional(),
    provider: z.enum(["openai", "anthropic"]).optional(),
    baseUrl: z.string().regex(/^https?:\/\/\S+$/, "must be an http:// or https:// URL").optional(),
    model: z.string().min(1).optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be the NAME of an environment variable, not the key itself")
      .optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().min(1).optional(),
  }),
  code: z.strictObject(common),
} as const;

export const STEP_OPTIONS: Record<(typeof STEP_KINDS)[number], string[]> = Object.fromEntries(
  STEP_KINDS.map((kind) => [kind, Object.keys(optionSchemas[kind].shape)]),
) as Record<(typeof STEP_KINDS)[number], string[]>;

/**
 * Validates a module's exports. `workflow` is set when its structure is
 * valid; `problems` may then still list placeholders that can never
 * resolve, which fail their step when the workflow runs.
 */
export function validateWorkflow(exports: unknown): { workflow?: ValidWorkflow; problems: ValidationProblem[] } {
  const problems: ValidationProblem[] = [];
  const error = (message: string, anchor: Anchor) => problems.push({ message, severity: "error", anchor });
  const value = pickDefault(exports);
  if (value === undefined) {
    error("the file has no default export: end it with `export default defineWorkflow({ name, steps: [...] })`", {
      kind: "file",
    });
    return { problems };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    error(`the default export must be defineWorkflow({ name, steps }), not ${describe(value)}`, { kind: "export" });
    return { problems };
  }
  const def = value as Record<string, unknown>;
  for (const key of Object.keys(def)) {
    if (!["name", "description", "steps", "__clockwork"].includes(key)) {
      error(`unknown workflow option "${key}"${suggest(key, ["name", "description", "steps"])}`, { kind: "workflow", key });
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
  if (!Array.isArray(def.steps)) {
    error("the workflow needs steps: an array such as [shell(\"hello\", \"echo hello\")]", { kind: "workflow", key: "steps" });
    return { problems };
  }
  if (def.steps.length === 0) error("the workflow has no steps", { kind: "workflow", key: "steps" });

  const names: string[] = [];
  const envNames = new Map<string, string>();
  def.steps.forEach((raw: unknown, index: number) => {
    const at = (extra: Partial<Extract<Anchor, { kind: "step" }>> = {}): Anchor => ({ kind: "step", index, ...extra });
    if (raw === null || typeof raw !== "object" || !(STEP_KINDS as readonly unknown[]).includes((raw as { kind?: unknown }).kind)) {
      error(`step ${index + 1} is ${describe(raw)}: build steps with shell(), http(), llm() or code()`, at());
      names.push("");
      return;
    }
    const step = raw as Record<string, unknown>;
    const kind = step.kind as (typeof STEP_KINDS)[number];
    const name = step.name;
    const label = typeof name === "string" && name ? `step "${name}" (${kind})` : `step ${index + 1} (${kind})`;
    const named = typeof name === "string" ? name : undefined;
    if (typeof name !== "string" || name.length === 0) {
      error(`${label} needs a name as its first argument: ${kind}("name", …)`, at());
    } else if (!STEP_NAME.test(name)) {
      error(
        `${label}: "${name}" is not a valid step name: use letters, digits, "_" and "-" (at most 64), starting with a letter or "_"`,
        at({ name }),
      );
    } else if (RESERVED_STEP_NAMES.includes(name)) {
      error(`${label}: "${name}" is reserved for placeholders ({${name}.…}); choose another name`, at({ name }));
    } else if (names.includes(name)) {
      error(`duplicate step name "${name}": step ${names.indexOf(name) + 1} already has it; step names must be unique`, at({ name }));
    } else {
      const variable = envName(name);
      const clash = envNames.get(variable);
      if (clash) {
        error(
          `${label}: "${name}" and "${clash}" both become the environment variable CLOCKWORK_STEP_${variable}; rename one`,
          at({ name }),
        );
      }
      envNames.set(variable, name);
    }
    names.push(named ?? "");

    if (kind === "shell") {
      const command = step.command;
      const ok =
        (typeof command === "string" && command.trim().length > 0) ||
        (Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === "string") && command[0] !== "");
      if (!ok) error(`${label}: the command must be a non-empty string or an array of strings such as ["git", "status"]`, at({ name: named }));
      const options = step.options as { shell?: unknown } | undefined;
      if (Array.isArray(command) && options?.shell !== undefined) {
        error(`${label}: option "shell" applies to a string command; an array runs its program directly`, at({ name: named, option: "shell" }));
      }
    }
    if (kind === "code" && typeof step.fn !== "function") {
      error(`${label}: the second argument must be a function, e.g. code("${named ?? "name"}", async (ctx) => "result")`, at({ name: named }));
    }
    const options = step.options ?? {};
    if (kind === "http" && options !== null && typeof options === "object") {
      const { method, body } = options as { method?: unknown; body?: unknown };
      if ((method === "GET" || method === "HEAD") && body !== undefined) {
        error(`${label}: a ${method} request cannot have a body; use method: "POST" (the default when there is a body)`, at({ name: named, option: "body" }));
      }
    }
    const parsed = optionSchemas[kind].safeParse(options);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        for (const message of issueMessages(issue, options, kind)) {
          const option = issue.code === "unrecognized_keys" ? message.key : issue.path[0]?.toString();
          error(`${label}: ${message.text}`, at({ name: named, option }));
        }
      }
    }
  });

  if (problems.length > 0) return { problems };
  const steps = def.steps as Step[];
  problems.push(...placeholderProblems(steps));
  return { workflow: { name: def.name as string, description: def.description as string | undefined, steps }, problems };
}

function pickDefault(exports: unknown): unknown {
  if (exports !== null && typeof exports === "object") {
    const mod = exports as Record<string, unknown>;
    if ("default" in mod) return mod.default;
    // A CommonJS file may assign the workflow to module.exports directly.
    if ("steps" in mod && "name" in mod) return mod;
  }
  return undefined;
}

function issueMessages(
  issue: z.core.$ZodIssue,
  options: unknown,
  kind: (typeof STEP_KINDS)[number],
): Array<{ text: string; key?: string }> {
  const path = issue.path.map(String).join(".");
  const option = `option "${path}"`;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const where = path ? `"${path}" has an unknown field "${key}"` : `unknown option "${key}"`;
        const known = path ? [] : STEP_OPTIONS[kind];
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
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Every option of a step that may contain placeholders, with how it is rendered. */
export function stepTemplates(step: Step): Array<{ option: string; template: string; mode: "text" | "shell" | "url" }> {
  const out: Array<{ option: string; template: string; mode: "text" | "shell" | "url" }> = [];
  const add = (option: string, template: unknown, mode: "text" | "shell" | "url" = "text") => {
    if (typeof template === "string") out.push({ option, template, mode });
  };
  if (step.kind === "shell") {
    if (typeof step.command === "string") add("command", step.command, "shell");
    else step.command.forEach((part, i) => add(`command[${i}]`, part));
    add("cwd", step.options.cwd);
    for (const [key, value] of Object.entries(step.options.env ?? {})) add(`env.${key}`, value);
  } else if (step.kind === "http") {
    add("url", step.options.url, "url");
    for (const [key, value] of Object.entries(step.options.headers ?? {})) add(`headers.${key}`, value);
    collectStrings(step.options.body, "body", add);
  } else if (step.kind === "llm") {
    add("prompt", step.options.prompt);
    add("system", step.options.system);
  }
  return out;
}

function collectStrings(value: unknown, path: string, add: (option: string, template: unknown) => void): void {
  if (typeof value === "string") add(path, value);
  else if (Array.isArray(value)) value.forEach((item, i) => collectStrings(item, `${path}[${i}]`, add));
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) collectStrings(item, `${path}.${key}`, add);
  }
}

/** Placeholders that can never resolve: bad syntax, unknown fields, steps that do not exist or run later. */
function placeholderProblems(steps: Step[]): ValidationProblem[] {
  const names = steps.map((s) => s.name);
  const problems: ValidationProblem[] = [];
  steps.forEach((step, index) => {
    const label = `step "${step.name}" (${step.kind})`;
    for (const { option, template } of stepTemplates(step)) {
      const anchor = (text?: string): Anchor => ({ kind: "step", index, name: step.name, option: option.split(/[.[]/)[0], text });
      let parts;
      try {
        parts = parseTemplate(template);
      } catch (error) {
        problems.push({ message: `${label}, ${option}: ${(error as Error).message}`, severity: "error", anchor: anchor() });
        continue;
      }
      for (const part of parts) {
        if (part.kind !== "placeholder") continue;
        const report = (message: string) =>
          problems.push({ message: `${label}, ${option}: ${part.text}: ${message}`, severity: "error", anchor: anchor(part.text) });
        try {
          const ref = classify(part);
          if (ref.kind === "step") {
            const at = names.indexOf(ref.step);
            if (at < 0) report(`no step named "${ref.step}" in this workflow${suggest(ref.step, names)}${shellVariableHint(part)}`);
            else if (at === index) report("a step cannot use its own output");
            else if (at > index) report(`step "${ref.step}" runs after this step, so it has no output yet`);
          } else if (ref.kind === "previous" && !names.includes(ref.step)) {
            report(`no step named "${ref.step}" in this workflow${suggest(ref.step, names)}`);
          }
        } catch (error) {
          if (error instanceof PlaceholderError) {
            problems.push({ message: `${label}, ${option}: ${error.message}`, severity: "error", anchor: anchor(part.text) });
          } else throw error;
        }
      }
    }
  });
  return problems;
}
