// Placeholders as they appear in a workflow's source: where they are, what
// the one under the cursor will read, and what may be typed inside `{…}`.
// Pure; works on a SourceScan so it copes with files that do not compile.
import {
  RUN_FIELD_NAMES,
  RUN_FIELDS,
  TRIGGER_FIELD_NAMES,
  TRIGGER_FIELDS,
  TRIGGER_RUN_FIELD_NAMES,
  TRIGGER_RUN_FIELDS,
  type TriggerField,
} from "../core/placeholderFields";
import { classify, envVarFor, PlaceholderError, type Reference, type TemplatePart } from "../core/placeholders";
import { stepReferenceProblem } from "../core/stepReferences";
import { unreachable } from "../core/unreachable";
import { stepKind } from "../steps/stepKinds";
import { earlierStepNames, stringAt, type SourceScan, type StringSegment } from "./sourceScan";

export interface FoundPlaceholder {
  /** As written, braces included. */
  text: string;
  path: string[];
  /** Offsets of the opening and just past the closing brace. */
  start: number;
  end: number;
  /** The step whose options hold it. */
  step: number;
}

/**
 * Strings whose placeholders the runner renders: the options of the kinds
 * that have templates (only an mcp step's arguments). Not a step's name,
 * not an object key, and nothing inside a code step (its strings are
 * ordinary TypeScript).
 */
export function isTemplateString(scan: SourceScan, s: StringSegment): boolean {
  if (s.step === undefined || s.isStepName || s.isKey) return false;
  const call = scan.steps[s.step];
  if (call === undefined || !stepKind(call.kind).hasTemplates) return false;
  const only = stepKind(call.kind).templateOptions;
  return only === undefined || (s.option !== undefined && only.includes(s.option));
}

/** Every well-formed `{…}` in the step templates, in source order. `{{` and `}}` are literal braces. */
export function findPlaceholders(scan: SourceScan): FoundPlaceholder[] {
  const found: FoundPlaceholder[] = [];
  for (const s of scan.strings) {
    if (!isTemplateString(scan, s)) continue;
    const t = s.text;
    for (let i = 0; i < t.length; i++) {
      if (t[i] === "{" && t[i + 1] === "{") {
        i++;
        continue;
      }
      if (t[i] !== "{") continue;
      const close = t.indexOf("}", i + 1);
      if (close < 0) break;
      const inner = t.slice(i + 1, close);
      if (inner.length === 0 || /[\s{]/.test(inner)) continue;
      found.push({ text: t.slice(i, close + 1), path: inner.split("."), start: s.start + i, end: s.start + close + 1, step: s.step! });
      i = close;
    }
  }
  return found;
}

export function placeholderAt(scan: SourceScan, offset: number): FoundPlaceholder | undefined {
  return findPlaceholders(scan).find((p) => offset >= p.start && offset <= p.end);
}

export interface CompletionSite {
  step: number;
  /** What is typed between `{` and the cursor. */
  prefix: string;
  /** Offsets to replace: from just after `{` to the end of the word under the cursor. */
  replaceStart: number;
  replaceEnd: number;
  /** Whether the placeholder still needs its closing brace. */
  needsClose: boolean;
}

/** Where completion applies: inside an unclosed `{` of a step template, before the cursor. */
export function completionSite(scan: SourceScan, offset: number): CompletionSite | undefined {
  const s = stringAt(scan, offset);
  if (!s || !isTemplateString(scan, s)) return undefined;
  const before = s.text.slice(0, offset - s.start);
  const open = before.lastIndexOf("{");
  if (open < 0) return undefined;
  const prefix = before.slice(open + 1);
  if (!/^[^\s{}]*$/.test(prefix)) return undefined;
  // `{{` is a literal brace, not the start of a placeholder.
  if (before[open - 1] === "{" && !isPlaceholderStart(before, open)) return undefined;
  const after = s.text.slice(offset - s.start);
  const word = /^[^\s{}'"`]*/.exec(after)![0];
  return {
    step: s.step!,
    prefix,
    replaceStart: s.start + open + 1,
    replaceEnd: offset + word.length,
    needsClose: after[word.length] !== "}",
  };
}

/** Whether the `{` at `index` opens a placeholder: an odd run of braces ends in one. */
function isPlaceholderStart(text: string, index: number): boolean {
  let run = 0;
  for (let k = index; k >= 0 && text[k] === "{"; k--) run++;
  return run % 2 === 1;
}

export interface PlaceholderCompletion {
  /** The text inside the braces. */
  label: string;
  detail: string;
  documentation: string;
  kind: "step" | "previous" | "trigger" | "run";
}

/** `{trigger.headers.<name>}` needs the header's name and `{trigger.run.<field>}` a field, so their completions end in a dot. */
const triggerLabel = (field: TriggerField) => `trigger.${field}${field === "headers" || field === "run" ? "." : ""}`;
const TRIGGER_ITEMS = [
  ...TRIGGER_FIELD_NAMES.map((field): [string, string] => [triggerLabel(field), TRIGGER_FIELDS[field]]),
  ...TRIGGER_RUN_FIELD_NAMES.map((field): [string, string] => [`trigger.run.${field}`, TRIGGER_RUN_FIELDS[field]]),
];
const RUN_ITEMS = RUN_FIELD_NAMES.map((field): [string, string] => [`run.${field}`, RUN_FIELDS[field]]);

/** What may go inside the braces at `site`: earlier steps, previous.*, trigger.*, run.*. */
export function placeholderCompletions(scan: SourceScan, site: CompletionSite): PlaceholderCompletion[] {
  const earlier = earlierStepNames(scan, site.step);
  const all = scan.steps.map((s) => s.name).filter((n): n is string => n !== null);
  const items: PlaceholderCompletion[] = [
    ...earlier.map((name) => ({
      label: name,
      kind: "step" as const,
      detail: `output of step ${name}`,
      documentation: `The output of the earlier step \`${name}\` in this run.`,
    })),
    ...[...new Set(all)].map((name) => ({
      label: `previous.${name}`,
      kind: "previous" as const,
      detail: `${name} in the last successful run`,
      documentation: `The output of step \`${name}\` in the last successful run of this workflow. Fails the step when there is none yet.`,
    })),
    ...TRIGGER_ITEMS.map(([label, doc]) => ({ label, kind: "trigger" as const, detail: "trigger", documentation: doc })),
    ...RUN_ITEMS.map(([label, doc]) => ({ label, kind: "run" as const, detail: "run", documentation: doc })),
  ];
  // Once "trigger.run." is typed, the entry that led there has nothing left to complete.
  return items.filter((item) => (item.label.startsWith(site.prefix) || site.prefix === "") && !(item.label.endsWith(".") && item.label === site.prefix));
}

export interface HoverFacts {
  workflowName?: string;
  /** The step's output in the last successful run, when the agent has one. */
  previousOutput?: (step: string) => { runId: string; output: string } | undefined;
}

/** Markdown saying what a placeholder will read when the step runs, or why it cannot. */
export function describePlaceholder(scan: SourceScan, p: FoundPlaceholder, facts: HoverFacts = {}): string {
  const lines = [`**\`${p.text}\`**`, ""];
  let ref: Reference;
  try {
    ref = classify(asPart(p));
  } catch (error) {
    return [...lines, error instanceof PlaceholderError ? error.message : String(error)].join("\n");
  }
  lines.push(...referenceLines(scan, p, ref, facts));
  lines.push("", `Shell steps also get it as \`$${envVarFor(p.path)}\`.`);
  return lines.join("\n");
}

/** The placeholder as the core parses it (offsets here are the document's, so none is given). */
function asPart(p: FoundPlaceholder): Extract<TemplatePart, { kind: "placeholder" }> {
  return { kind: "placeholder", text: p.text, path: p.path, offset: 0 };
}

const NOT_ON_MANUAL_RUNS = ["", "A manual run has no such value: the step fails there with a message saying so."];

function referenceLines(scan: SourceScan, p: FoundPlaceholder, ref: Reference, facts: HoverFacts): string[] {
  switch (ref.kind) {
    case "step":
      return stepLines(scan, p, ref.step, facts);
    case "previous":
      return previousLines(ref.step, facts);
    case "body": {
      const doc =
        ref.path.length === 0
          ? TRIGGER_FIELDS.body
          : `The field \`${ref.path.join(".")}\` of the webhook or API body (JSON). Fails the step when the body has no such field.`;
      return [doc, ...NOT_ON_MANUAL_RUNS];
    }
    case "header":
      return [`The \`${ref.name}\` request header of a webhook run (register the webhook with this header allowed).`, ...NOT_ON_MANUAL_RUNS];
    case "trigger":
      return [TRIGGER_FIELDS[ref.field], ...(ref.field === "path" || ref.field === "file_event" ? NOT_ON_MANUAL_RUNS : [])];
    case "run":
      return [RUN_FIELDS[ref.field]];
    case "triggeringRun":
      return [TRIGGER_RUN_FIELDS[ref.field], "", "Only runs a run trigger started have it; elsewhere the step fails with a message saying so."];
    default:
      return unreachable(ref, "placeholder reference");
  }
}

function stepLines(scan: SourceScan, p: FoundPlaceholder, step: string, facts: HoverFacts): string[] {
  const index = scan.steps.findIndex((s) => s.name === step);
  if (!earlierStepNames(scan, p.step).includes(step)) {
    return [
      index < 0
        ? `No step named \`${step}\` in this workflow: this placeholder fails the step.`
        : `Step \`${step}\` does not run before this one, so it has no output yet: this placeholder fails the step.`,
    ];
  }
  const kind = scan.steps[index]?.kind;
  return [`The output of step \`${step}\` (${kind}, step ${index + 1}) in this run.`, ...outputPreview(step, facts)];
}

function previousLines(step: string, facts: HoverFacts): string[] {
  const lines = [
    `The output of step \`${step}\` in the last successful run of ${facts.workflowName ? `\`${facts.workflowName}\`` : "this workflow"}.`,
  ];
  if (facts.previousOutput && !facts.previousOutput(step)) {
    lines.push("", "There is no successful run yet, so this placeholder fails the step until there is one.");
  } else lines.push(...outputPreview(step, facts));
  return lines;
}

/** The step's output in the last successful run, when the agent has one. */
function outputPreview(step: string, facts: HoverFacts): string[] {
  const prev = facts.previousOutput?.(step);
  if (!prev) return [];
  const text = prev.output.length > 400 ? `${prev.output.slice(0, 400)}…` : prev.output;
  return ["", `Last successful run (\`${prev.runId}\`):`, "", "```text", text, "```"];
}

export interface SourceProblem {
  message: string;
  start: number;
  end: number;
}

/**
 * Placeholders that can never resolve, found from the source alone: what the
 * editor shows while a file is being typed, before the loader (which runs
 * the file) checks it on save. Step references are checked only when every
 * step's name is a plain string, so a computed name never causes a false
 * alarm.
 */
export function placeholderProblems(scan: SourceScan): SourceProblem[] {
  const names = scan.steps.map((s) => s.name);
  const namesKnown = names.every((n): n is string => n !== null);
  const problems: SourceProblem[] = [];
  for (const p of findPlaceholders(scan)) {
    const part = asPart(p);
    let ref: Reference;
    try {
      ref = classify(part);
    } catch (error) {
      problems.push({ message: (error as Error).message, start: p.start, end: p.end });
      continue;
    }
    if (!namesKnown) continue;
    const why = stepReferenceProblem(ref, names, p.step, part);
    if (why !== undefined) problems.push({ message: `${p.text}: ${why}`, start: p.start, end: p.end });
  }
  return problems;
}
