// The step kinds, declared once. Each kind's entry holds everything the
// agent knows about it: the options its constructor takes (checked by the
// loader, agent/workflow/validate.ts), the checks zod cannot express, its
// default time limit, which options hold placeholders (checked before a run,
// rendered during one), whether the editor treats its strings as templates,
// and the function that runs one attempt. The SDK (agent/sdk/index.ts)
// declares the kinds' types and constructors; the table below is typed over
// them, so a kind added to the SDK without an entry here is a compile error,
// and the loader, the runner, the editor and the protocol follow this table.
import { z } from "zod";
import { parseDuration } from "../core/duration";
import type { RenderMode } from "../core/placeholders";
import { shellInterpreterProblem } from "../core/shellInterpreter";
import type { StepSpec } from "../executor/messages";
import type { StepKind } from "../protocol";
import type { Step } from "../sdk";
import { isFunctionMark } from "../workflow/exportsCopy";
import { runCode } from "./code";
import { runHttp } from "./http";
import { runLlm } from "./llm";
import { checkMcpStep } from "./mcp/checkStep";
import { runMcp } from "./mcp/step";
import { runShell } from "./shell";
import type { StepContext, StepOutcome } from "./types";

export type { StepKind };
type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;
type SpecOf<K extends StepKind> = Extract<StepSpec, { kind: K }>;

/** An option that may hold placeholders, with how its values are written into it. */
export interface StepTemplate {
  /** `command`, `env.TOKEN`, `body.items[0]`. */
  option: string;
  template: string;
  mode: RenderMode;
}

/** Says what is wrong with a step; `option` points the editor at that option. */
export type ReportProblem = (message: string, option?: string) => void;

export interface StepKindSpec<K extends StepKind> {
  /** The constructor's options object; unknown keys are refused. */
  options: z.ZodObject;
  /** Per-attempt time limit when the step sets none, in milliseconds. */
  defaultTimeoutMs: number;
  /**
   * Checks of what the schema cannot see: the constructor's other arguments
   * (a command, a function) and options that exclude each other. `step` is
   * not validated yet; `name` is its name when it has a string one.
   */
  check?(step: Record<string, unknown>, report: ReportProblem, name: string | undefined): void;
  /** Every option of a valid step that may contain placeholders. */
  templates(step: StepOf<K>): StepTemplate[];
  /** Whether the strings written in its call are templates; a code step's are ordinary TypeScript. */
  hasTemplates: boolean;
  /**
   * For the editor, which reads the source rather than the loaded step: when
   * set, only strings under these options are templates (an mcp step's
   * arguments; not its server, whose "${env:NAME}" is no placeholder).
   */
  templateOptions?: readonly string[];
  /** Runs one attempt. */
  run(step: SpecOf<K>, ctx: StepContext): Promise<StepOutcome>;
  /** Added to "timed out after …": what was stopped. */
  timeoutNote: string;
}

const duration = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  try {
    const ms = parseDuration(value);
    if (ms <= 0) ctx.addIssue({ code: "custom", message: "must be longer than 0" });
    if (ms > 7 * 24 * 3_600_000) ctx.addIssue({ code: "custom", message: "must be at most 7 days" });
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
});

/** The options every kind takes. */
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

/** Collects the string values among `values` as templates. */
function templateList(values: Array<[option: string, value: unknown, mode?: RenderMode]>): StepTemplate[] {
  const out: StepTemplate[] = [];
  for (const [option, template, mode = "text"] of values) {
    if (typeof template === "string") out.push({ option, template, mode });
  }
  return out;
}

/** Every string inside a JSON-like value, named by its path (`body.items[0]`). */
function jsonStrings(value: unknown, path: string): Array<[string, unknown]> {
  if (typeof value === "string") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, i) => jsonStrings(item, `${path}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => jsonStrings(item, `${path}.${key}`));
  }
  return [];
}

const entries = (prefix: string, map: Record<string, string> | undefined): Array<[string, unknown]> =>
  Object.entries(map ?? {}).map(([key, value]) => [`${prefix}.${key}`, value]);

export const STEP_KINDS: { [K in StepKind]: StepKindSpec<K> } = {
  shell: {
    options: z.strictObject({ ...common, cwd: z.string().min(1).optional(), env: stringMap.optional(), shell: interpreter.optional() }),
    defaultTimeoutMs: 60_000,
    check(step, report) {
      const command = step.command;
      const ok =
        (typeof command === "string" && command.trim().length > 0) ||
        (Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === "string") && command[0] !== "");
      if (!ok) report('the command must be a non-empty string or an array of strings such as ["git", "status"]');
      const options = step.options as { shell?: unknown } | undefined;
      if (Array.isArray(command) && options?.shell !== undefined) {
        report('option "shell" applies to a string command; an array runs its program directly', "shell");
      }
    },
    templates: (step) =>
      templateList([
        ...(typeof step.command === "string"
          ? [["command", step.command, "shell"] as [string, unknown, RenderMode]]
          : step.command.map((part, i): [string, unknown] => [`command[${i}]`, part])),
        ["cwd", step.options.cwd],
        ...entries("env", step.options.env),
      ]),
    hasTemplates: true,
    run: runShell,
    timeoutNote: "; its process group was killed",
  },
  http: {
    options: z.strictObject({
      ...common,
      url: z.string().min(1),
      method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]).optional(),
      headers: stringMap.optional(),
      body: z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
      expectStatus: z.union([status, z.array(status).min(1)]).optional(),
    }),
    defaultTimeoutMs: 30_000,
    check(step, report) {
      const options = step.options;
      if (options === null || typeof options !== "object") return;
      const { method, body } = options as { method?: unknown; body?: unknown };
      if ((method === "GET" || method === "HEAD") && body !== undefined) {
        report(`a ${method} request cannot have a body; use method: "POST" (the default when there is a body)`, "body");
      }
    },
    templates: (step) =>
      templateList([["url", step.options.url, "url"], ...entries("headers", step.options.headers), ...jsonStrings(step.options.body, "body")]),
    hasTemplates: true,
    run: runHttp,
    timeoutNote: "",
  },
  llm: {
    options: z.strictObject({
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
    defaultTimeoutMs: 120_000,
    templates: (step) => templateList([["prompt", step.options.prompt], ["system", step.options.system]]),
    hasTemplates: true,
    run: runLlm,
    timeoutNote: "",
  },
  code: {
    options: z.strictObject(common),
    defaultTimeoutMs: 60_000,
    // A function, or the mark that stands for one in the copy an executor sends.
    check(step, report, name) {
      if (typeof step.fn !== "function" && !isFunctionMark(step.fn)) {
        report(`the second argument must be a function, e.g. code("${name ?? "name"}", async (ctx) => "result")`);
      }
    },
    templates: () => [],
    hasTemplates: false,
    run: runCode,
    timeoutNote: "; the executor running it was stopped",
  },
  mcp: {
    options: z.strictObject({
      ...common,
      // Checked by checkMcpStep, which can say what is wrong with a server written inline.
      server: z.unknown().optional(),
      tool: z.string().min(1),
      arguments: z.record(z.string(), z.unknown()).optional(),
    }),
    defaultTimeoutMs: 60_000,
    check: checkMcpStep,
    templates: (step) => templateList(jsonStrings(step.options.arguments, "arguments")),
    hasTemplates: true,
    templateOptions: ["arguments"],
    run: runMcp,
    timeoutNote: "; the call was cancelled and the session with its MCP server ended",
  },
};

/** Every kind, in the order the SDK documents them. */
export const STEP_KIND_NAMES = Object.keys(STEP_KINDS) as StepKind[];

export function isStepKind(value: unknown): value is StepKind {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(STEP_KINDS, value);
}

/** The registry entry of a kind, typed for that kind. */
export function stepKind<K extends StepKind>(kind: K): StepKindSpec<K> {
  return STEP_KINDS[kind];
}

/** The names of the options a kind's constructor takes. */
export function stepOptionNames(kind: StepKind): string[] {
  return Object.keys(STEP_KINDS[kind].options.shape);
}

/** Every option of a step that may contain placeholders, with how it is rendered. */
export function stepTemplates(step: Step): StepTemplate[] {
  return stepKind(step.kind).templates(step);
}

/** Runs one attempt of a step of any kind. */
export function runStepAttempt(step: StepSpec, ctx: StepContext): Promise<StepOutcome> {
  return stepKind(step.kind).run(step, ctx);
}
