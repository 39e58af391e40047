// Placeholders in step options: `{step}`, `{previous.step}`, `{trigger.*}`,
// `{run.*}`; `{{` and `}}` are literal braces. Pure: the run's context is
// passed in, and `{previous.x}` asks a lookup function the caller provides.
//
// Resolution is strict. A placeholder that cannot be resolved throws a
// PlaceholderError naming the placeholder and the reason; it never becomes
// an empty string and its braces never reach a command.
import type { TriggeringRun } from "../sdk";
import {
  RUN_FIELD_NAMES,
  TRIGGER_FIELD_NAMES,
  TRIGGER_RUN_FIELD_NAMES,
  type RunField,
  type ScalarTriggerField,
  type TriggerField,
  type TriggerRunField,
} from "./placeholderFields";
import { quoteShellWord, ShellPlacementError, shellSlotContexts, spliceShellValue } from "./shellQuote";
import { stepReferenceProblem } from "./stepReferences";
import { unreachable } from "./unreachable";
import { ALLOWED_HEADERS } from "./webhookHeaders";

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "placeholder"; text: string; path: string[]; offset: number; afterDollar?: true };

export class PlaceholderError extends Error {
  constructor(
    message: string,
    /** Offset in the template of the placeholder or bad brace. */
    readonly offset: number,
    /** The placeholder as written, e.g. `{trigger.body.id}`. */
    readonly placeholder?: string,
  ) {
    super(message);
    this.name = "PlaceholderError";
  }
}

const SEGMENT = /^[^\s{}.]+$/;
/** What follows the trigger fields that have parts, as error messages show them. */
const FIELD_PARTS: Partial<Record<TriggerField, string>> = { headers: ".<name>", run: ".<field>" };

/** Splits a template into literal text and placeholders; throws PlaceholderError on a stray brace. */
export function parseTemplate(source: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "{" && source[i + 1] === "{") {
      text += "{";
      i += 2;
    } else if (ch === "}" && source[i + 1] === "}") {
      text += "}";
      i += 2;
    } else if (ch === "{") {
      const close = source.indexOf("}", i + 1);
      const inner = close < 0 ? "" : source.slice(i + 1, close);
      const path = inner.split(".");
      if (close < 0 || inner.length === 0 || !path.every((segment) => SEGMENT.test(segment))) {
        const shown = close < 0 ? source.slice(i, i + 20) : source.slice(i, close + 1);
        const shellHint = source[i - 1] === "$" && close >= 0 ? `; for the shell's own \${…} write \${{…}}` : "";
        throw new PlaceholderError(
          `"${shown}" is not a placeholder: a placeholder is {name}, {previous.name}, {trigger.…} or {run.…}; write {{ and }} for literal braces${shellHint}`,
          i,
        );
      }
      if (text) parts.push({ kind: "text", text });
      text = "";
      const part: TemplatePart = { kind: "placeholder", text: source.slice(i, close + 1), path, offset: i };
      // `${NAME}` is almost always meant for the shell; errors say how to write it.
      if (source[i - 1] === "$") part.afterDollar = true;
      parts.push(part);
      i = close + 1;
    } else if (ch === "}") {
      throw new PlaceholderError(`unmatched "}": write }} for a literal brace`, i);
    } else {
      text += ch;
      i++;
    }
  }
  if (text) parts.push({ kind: "text", text });
  return parts;
}

/** True when `source` contains at least one placeholder (it may still be malformed). */
export function hasPlaceholders(source: string): boolean {
  return /\{(?!\{)/.test(source.replace(/\{\{|\}\}/g, ""));
}

/** A field that is one value of the run: `{trigger.kind}`, `{run.id}`, `{trigger.run.error}`. */
export type FieldReference =
  | { kind: "trigger"; field: ScalarTriggerField }
  | { kind: "run"; field: RunField }
  | { kind: "triggeringRun"; field: TriggerRunField };

/** The placeholder's path for a field: `["trigger", "run", "error"]` for `{trigger.run.error}`. */
export function fieldPath(ref: FieldReference): string[] {
  return ref.kind === "triggeringRun" ? ["trigger", "run", ref.field] : [ref.kind, ref.field];
}

export type Reference =
  | { kind: "step"; step: string }
  | { kind: "previous"; step: string }
  | { kind: "body"; path: string[] }
  | { kind: "header"; name: string }
  | FieldReference;

/** What a placeholder refers to; throws PlaceholderError for names that mean nothing. */
export function classify(part: Extract<TemplatePart, { kind: "placeholder" }>): Reference {
  const [head, ...rest] = part.path;
  const fail = (why: string) => new PlaceholderError(`${part.text}: ${why}`, part.offset, part.text);
  if (head === "previous") {
    if (rest.length !== 1) throw fail("write {previous.<step name>}");
    return { kind: "previous", step: rest[0]! };
  }
  if (head === "trigger") {
    const field = rest[0] as TriggerField | undefined;
    if (!field || !TRIGGER_FIELD_NAMES.includes(field)) {
      throw fail(`unknown trigger field; use one of ${TRIGGER_FIELD_NAMES.map((f) => `{trigger.${f}${FIELD_PARTS[f] ?? ""}}`).join(", ")}`);
    }
    if (field === "body") return { kind: "body", path: rest.slice(1) };
    if (field === "headers") {
      if (rest.length !== 2) throw fail("write {trigger.headers.<header name>}");
      return { kind: "header", name: rest[1]!.toLowerCase() };
    }
    if (field === "run") {
      const runField = rest[1] as TriggerRunField | undefined;
      if (rest.length !== 2 || !runField || !TRIGGER_RUN_FIELD_NAMES.includes(runField)) {
        throw fail(`write {trigger.run.<field>} with one of ${TRIGGER_RUN_FIELD_NAMES.join(", ")}`);
      }
      return { kind: "triggeringRun", field: runField };
    }
    if (rest.length !== 1) throw fail(`{trigger.${field}} has no fields`);
    return { kind: "trigger", field };
  }
  if (head === "run") {
    const field = rest[0] as RunField | undefined;
    if (rest.length !== 1 || !field || !RUN_FIELD_NAMES.includes(field)) {
      throw fail(`unknown run field; use one of ${RUN_FIELD_NAMES.map((f) => `{run.${f}}`).join(", ")}`);
    }
    return { kind: "run", field };
  }
  if (rest.length > 0) {
    throw fail(`a step's output is text without fields; use {${head}}, or parse it in a code step`);
  }
  return { kind: "step", step: head! };
}

/** Everything a placeholder can be resolved against, for one step of one run. */
export interface ResolveContext {
  workflow: string;
  /** Every step name of the workflow, in order. */
  steps: readonly string[];
  /** Index in `steps` of the step whose options are being resolved. */
  current: number;
  /** Outputs of the steps of this run that already finished. */
  outputs: Readonly<Record<string, string>>;
  /** The step's output in the last successful run of this workflow, if there is one. */
  previous: (step: string) => string | undefined;
  trigger: {
    event: string;
    /** Absent (undefined) when the run has no body. */
    body?: unknown;
    headers?: Readonly<Record<string, string>>;
    path?: string;
    fileEvent?: string;
    name?: string | null;
    /** The finished run a run trigger reacted to. */
    run?: Omit<TriggeringRun, "depth">;
  };
  run: { id: string; scheduledFor: string | null };
}

/** The value of one placeholder, or a PlaceholderError saying why it has none. */
export function resolvePlaceholder(part: Extract<TemplatePart, { kind: "placeholder" }>, ctx: ResolveContext): string {
  const ref = classify(part);
  const fail = (why: string) => new PlaceholderError(`${part.text}: ${why}`, part.offset, part.text);
  const unresolvable = stepReferenceProblem(ref, ctx.steps, ctx.current, part);
  if (unresolvable !== undefined) throw fail(unresolvable);
  switch (ref.kind) {
    case "step": {
      const output = ctx.outputs[ref.step];
      if (output === undefined) throw fail(`step "${ref.step}" has no output in this run`);
      return output;
    }
    case "previous": {
      const output = ctx.previous(ref.step);
      if (output === undefined) {
        throw fail(
          `workflow "${ctx.workflow}" has no earlier successful run with a step "${ref.step}" (there is no previous value on the first successful run)`,
        );
      }
      return output;
    }
    case "trigger":
    case "run":
    case "triggeringRun": {
      const result = fieldValue(ref, ctx);
      if ("missing" in result) throw fail(result.missing);
      return result.value;
    }
    case "body":
      return bodyValue(ref.path, ctx.trigger, fail);
    case "header":
      return headerValue(ref.name, ctx.trigger, fail);
    default:
      return unreachable(ref, "placeholder reference");
  }
}

/** The value of a one-value field in this run, or why the run has none. */
export function fieldValue(ref: FieldReference, ctx: ResolveContext): { value: string } | { missing: string } {
  switch (ref.kind) {
    case "run":
      return runFieldValue(ref.field, ctx);
    case "trigger":
      return triggerFieldValue(ref.field, ctx.trigger);
    case "triggeringRun":
      return triggeringRunValue(ref.field, ctx.trigger);
    default:
      return unreachable(ref, "field reference");
  }
}

function runFieldValue(field: RunField, ctx: ResolveContext): { value: string } | { missing: string } {
  switch (field) {
    case "id":
      return { value: ctx.run.id };
    case "workflow":
      return { value: ctx.workflow };
    case "scheduled_for":
      return ctx.run.scheduledFor
        ? { value: ctx.run.scheduledFor }
        : { missing: `only scheduled runs have a scheduled time; this is ${aRun(ctx.trigger.event)}` };
    default:
      return unreachable(field, "run field");
  }
}

function triggerFieldValue(field: ScalarTriggerField, t: ResolveContext["trigger"]): { value: string } | { missing: string } {
  switch (field) {
    // {trigger.event} is what happened: the file event (created, modified,
    // deleted) for a file-triggered run, otherwise the trigger kind.
    // {trigger.kind} is always the kind (manual, cron, webhook, file, api, run).
    case "event":
      return { value: t.fileEvent ?? t.event };
    case "kind":
      return { value: t.event };
    case "name":
      return t.name ? { value: t.name } : { missing: `this ${t.event} run was not started by a registered trigger` };
    case "path":
      return t.path !== undefined ? { value: t.path } : { missing: `only file-triggered runs have a path; this is ${aRun(t.event)}` };
    case "file_event":
      return t.fileEvent !== undefined
        ? { value: t.fileEvent }
        : { missing: `only file-triggered runs have a file event; this is ${aRun(t.event)}` };
    default:
      return unreachable(field, "trigger field");
  }
}

/** `{trigger.run.<field>}`: the finished run that a run trigger reacted to. */
function triggeringRunValue(field: TriggerRunField, t: ResolveContext["trigger"]): { value: string } | { missing: string } {
  const run = t.run;
  if (!run) return { missing: `only runs started by a run trigger have {trigger.run.*}; this is ${aRun(t.event)}` };
  switch (field) {
    case "id":
      return { value: run.id };
    case "workflow":
      return { value: run.workflow };
    case "status":
      return { value: run.status };
    case "trigger_kind":
      return { value: run.triggerKind };
    case "error":
      // Strict like every placeholder: a success has no error, and an empty string would hide that.
      return run.error !== null
        ? { value: run.error }
        : { missing: `run ${run.id} of "${run.workflow}" ended ${run.status} without an error` };
    default:
      return unreachable(field, "trigger run field");
  }
}

type Fail = (why: string) => PlaceholderError;

/** `{trigger.body…}`: the body, or the value at `path` inside its JSON, as text. */
function bodyValue(path: readonly string[], trigger: ResolveContext["trigger"], fail: Fail): string {
  return valueText(bodyField(path, trigger, fail));
}

/** The body, or the value at `path` inside its JSON. */
function bodyField(path: readonly string[], trigger: ResolveContext["trigger"], fail: Fail): unknown {
  const body = trigger.body;
  if (body === undefined) {
    throw fail(
      trigger.event === "manual"
        ? "this manual run has no body (pass one with clockwork run --body '{…}')"
        : `this ${trigger.event} run has no body`,
    );
  }
  let value: unknown = body;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const here = path.slice(0, i + 1).join(".");
    if (Array.isArray(value) && /^\d+$/.test(key)) {
      if (Number(key) >= value.length) throw fail(`the body has no element "${here}" (the array has ${value.length})`);
      value = value[Number(key)];
    } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) throw fail(`the body has no field "${here}"`);
      value = (value as Record<string, unknown>)[key];
    } else {
      throw fail(
        i === 0 && typeof body === "string"
          ? "the body is not JSON, so it has no fields"
          : `"${path.slice(0, i).join(".") || "body"}" is ${describeJson(value)}, not an object`,
      );
    }
  }
  return value;
}

/** `{trigger.headers.<name>}`: an allow-listed request header, by case-insensitive name. */
function headerValue(name: string, trigger: ResolveContext["trigger"], fail: Fail): string {
  const headers = trigger.headers ?? {};
  const found = Object.keys(headers).find((header) => header.toLowerCase() === name);
  if (found === undefined) {
    throw fail(
      trigger.event === "webhook"
        ? ALLOWED_HEADERS.includes(name)
          ? `the request had no "${name}" header`
          : `the request had no "${name}" header, or the webhook does not pass it (register it with --header ${name})`
        : `only webhook runs have headers; this is ${aRun(trigger.event)}`,
    );
  }
  return headers[found]!;
}

/** "a manual run", "an api run", "a run started by a run trigger". */
function aRun(kind: string): string {
  if (kind === "run") return "a run started by a run trigger";
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind} run`;
}

/**
 * How resolved values are written into the result:
 * - `text`: as they are (prompts, bodies, argv elements, env values, cwd);
 * - `shell`: each value one single-quoted shell word (a `/bin/sh -c` command);
 * - `url`: percent-encoded, except a placeholder that starts the URL (so `{base}/path` works).
 */
export type RenderMode = "text" | "shell" | "url";

/** Resolves every placeholder of `template`; throws PlaceholderError on the first one that fails. */
export function renderTemplate(template: string, ctx: ResolveContext, mode: RenderMode = "text"): string {
  const parts = parseTemplate(template);
  const values = new Map<TemplatePart, string>();
  for (const part of parts) {
    if (part.kind !== "placeholder") continue;
    const value = resolvePlaceholder(part, ctx);
    if (mode === "shell" && value.includes("\u0000")) {
      throw new PlaceholderError(`${part.text}: the value contains a NUL byte, which no command can receive`, part.offset, part.text);
    }
    values.set(part, value);
  }
  if (mode === "text") return parts.map((p) => (p.kind === "text" ? p.text : values.get(p)!)).join("");
  if (mode === "url") {
    return parts
      .map((p, i) => (p.kind === "text" ? p.text : i === 0 ? values.get(p)! : encodeURIComponent(values.get(p)!)))
      .join("");
  }
  const texts: string[] = [""];
  const slots: Array<Extract<TemplatePart, { kind: "placeholder" }>> = [];
  for (const part of parts) {
    if (part.kind === "text") texts[texts.length - 1] += part.text;
    else {
      slots.push(part);
      texts.push("");
    }
  }
  const contexts = shellSlotContexts(texts);
  let out = texts[0]!;
  slots.forEach((slot, i) => {
    try {
      out += spliceShellValue(contexts[i]!, values.get(slot)!);
    } catch (error) {
      if (!(error instanceof ShellPlacementError)) throw error;
      // An evaluated place refuses the variable's value just the same, so only say what to write instead.
      const message = error.evaluated
        ? `${slot.text} ${error.message}`
        : `${slot.text} cannot be placed safely in this shell command: ${error.message}. Its value is also in $${envVarFor(slot.path)}`;
      throw new PlaceholderError(message, slot.offset, slot.text);
    }
    out += texts[i + 1]!;
  });
  return out;
}

/** Resolves placeholders inside every string of a JSON-like value (keys stay as written). */
export function renderJson(value: unknown, ctx: ResolveContext): unknown {
  if (typeof value === "string") return renderTemplate(value, ctx, "text");
  if (Array.isArray(value)) return value.map((item) => renderJson(item, ctx));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, ctx)]));
  }
  return value;
}

/**
 * Resolves placeholders inside a JSON value and keeps JSON's types where
 * the data has them: a string that is exactly one `{trigger.body…}`
 * placeholder becomes that part of the body as it is (a number stays a
 * number, an object an object); every other string gets its placeholders'
 * text. Values are placed into the structure, never spliced into JSON text.
 */
export function renderJsonValues(value: unknown, ctx: ResolveContext): unknown {
  if (typeof value === "string") return renderJsonString(value, ctx);
  if (Array.isArray(value)) return value.map((item) => renderJsonValues(item, ctx));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJsonValues(v, ctx)]));
  }
  return value;
}

function renderJsonString(template: string, ctx: ResolveContext): unknown {
  const parts = parseTemplate(template);
  const only = parts.length === 1 ? parts[0]! : undefined;
  if (only?.kind === "placeholder") {
    const ref = classify(only);
    if (ref.kind === "body") {
      const fail = (why: string) => new PlaceholderError(`${only.text}: ${why}`, only.offset, only.text);
      return structuredClone(bodyField(ref.path, ctx.trigger, fail));
    }
  }
  return renderTemplate(template, ctx, "text");
}

/** `{trigger.body}` and friends: strings as they are, everything else as JSON with sorted keys. */
export function valueText(value: unknown): string {
  return typeof value === "string" ? value : stableStringify(value);
}

/** JSON with object keys sorted at every level, so equal bodies give equal text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, sortKeys(obj[k])]),
    );
  }
  return value;
}

/** Environment variable name part: upper-cased, anything not A-Z0-9 becomes `_`. */
export function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** The environment variable that carries the same value as a placeholder. */
export function envVarFor(path: readonly string[]): string {
  const [head, ...rest] = path;
  if (head === "previous") return `CLOCKWORK_PREVIOUS_${envName(rest.join("."))}`;
  if (head === "trigger" && rest[0] === "headers") return `CLOCKWORK_TRIGGER_HEADER_${envName(rest.slice(1).join("."))}`;
  if (head === "trigger" && rest[0] === "body") return "CLOCKWORK_TRIGGER_BODY";
  if (head === "trigger" || head === "run") return `CLOCKWORK_${envName(path.join("_"))}`;
  return `CLOCKWORK_STEP_${envName(path.join("."))}`;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

export { quoteShellWord };
