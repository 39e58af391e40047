// Finds where in a workflow's source a validation problem belongs, for
// editor diagnostics and file:line:column messages. The exports are plain
// values by the time they are validated, so this works from the text: a
// step is found by its quoted name, an option by `key:` after it, a
// placeholder by its text. Good enough to put a squiggle on the right line;
// when nothing matches, the problem goes to the start of the file.
import type { Anchor } from "./validate";
import type { Step } from "../sdk";
import { STEP_KIND_NAMES } from "../steps/stepKinds";

/** A step constructor's call: `shell(`, `mcp (`. */
const STEP_CALL = new RegExp(`\\b(${STEP_KIND_NAMES.join("|")})\\s*\\(`, "g");

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Characters to underline, when known. */
  length?: number;
}

export function locate(source: string, anchor: Anchor, steps: readonly unknown[] = []): Position {
  const at = (offset: number, length?: number): Position => ({ ...positionOf(source, offset), length });
  const start = at(0);
  switch (anchor.kind) {
    case "file":
      return start;
    case "export": {
      const match = /export\s+default\b|module\.exports\s*=/.exec(source);
      return match ? at(match.index, match[0].length) : start;
    }
    case "workflow": {
      const call = /defineWorkflow\s*\(/.exec(source) ?? /export\s+default\b/.exec(source);
      const from = call?.index ?? 0;
      if (anchor.key) {
        const key = keyPattern(anchor.key).exec(source.slice(from));
        if (key) return at(from + key.index, anchor.key.length);
      }
      return call ? at(call.index, call[0].replace(/\s*\($/, "").length) : start;
    }
    case "step": {
      const stepStart = findStep(source, anchor.index, anchor.name, steps);
      if (stepStart === undefined) return start;
      const rest = source.slice(stepStart.offset);
      if (anchor.text) {
        const i = rest.indexOf(anchor.text);
        if (i >= 0) return at(stepStart.offset + i, anchor.text.length);
      }
      if (anchor.option) {
        const key = keyPattern(anchor.option).exec(rest);
        if (key) return at(stepStart.offset + key.index, anchor.option.length);
      }
      return at(stepStart.offset, stepStart.length);
    }
  }
}

/** Offset of step `index`: the nth quoted occurrence of its name, n counting earlier steps of the same name. */
function findStep(
  source: string,
  index: number,
  name: string | undefined,
  steps: readonly unknown[],
): { offset: number; length: number } | undefined {
  const nameOf = (s: unknown) => (s !== null && typeof s === "object" ? (s as Partial<Step>).name : undefined);
  const stepName = name ?? nameOf(steps[index]);
  if (typeof stepName === "string" && stepName) {
    const earlier = steps.slice(0, index).filter((s) => nameOf(s) === stepName).length;
    const quoted = new RegExp(`(["'\`])${escape(stepName)}\\1`, "g");
    const matches = [...source.matchAll(quoted)];
    const match = matches[earlier] ?? matches[matches.length - 1];
    if (match?.index !== undefined) return { offset: match.index, length: match[0].length };
  }
  // Unnamed steps: the nth step constructor call.
  const calls = [...source.matchAll(STEP_CALL)];
  const call = calls[index];
  return call?.index !== undefined ? { offset: call.index, length: call[1]!.length } : undefined;
}

function keyPattern(key: string): RegExp {
  return new RegExp(`(?<![\\w$])["']?${escape(key)}["']?\\s*:`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** 1-based line and column of a character offset. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
