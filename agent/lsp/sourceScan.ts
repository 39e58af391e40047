// A small scanner for workflow source text: where its string literals are
// (with the property key they are the value of), where each step
// constructor call starts and ends, and where `defineWorkflow(` is. The
// editor features need positions even while the file is half-typed and does
// not compile, so this reads tokens rather than an AST, and never throws.
// Pure.
import type { StepKind } from "../protocol";
import { isStepKind } from "../steps/stepKinds";

/** One literal run of characters: a '…' or "…" string, or a chunk of a `…` template between `${…}`s. */
export interface StringSegment {
  /** Offset of the first character inside the quotes. */
  start: number;
  /** Offset just past the last character inside the quotes (before the closing quote). */
  end: number;
  /** The raw text between start and end, escapes as written. */
  text: string;
  quote: "'" | '"' | "`";
  /** The property this string is the value of (`cron: "…"` → "cron"). */
  key?: string;
  /** Index into `steps` of the step call this string is inside. */
  step?: number;
  /** Whether this string is the step call's first argument (its name). */
  isStepName?: boolean;
  /** Whether the literal is a property key itself (`"x-y": …`). */
  isKey?: boolean;
  /**
   * The option of its step call it sits under, however deep: "arguments"
   * for `mcp("m", { arguments: { q: "…" } })`. Undefined for the call's
   * own arguments (a name, a shell command).
   */
  option?: string;
}

export interface StepCall {
  kind: StepKind;
  /** The step's name when the first argument is a plain string literal. */
  name: string | null;
  /** Offset of the constructor name (`shell`). */
  start: number;
  /** Offset just past the closing parenthesis; the end of the text while unclosed. */
  end: number;
  /** The name literal's segment (inside the quotes). */
  nameStart?: number;
  nameEnd?: number;
  /** How many objects and arrays were open where the call starts. */
  depth: number;
}

export interface SourceScan {
  strings: StringSegment[];
  steps: StepCall[];
  /** Offset of `defineWorkflow` (or `export default` without it), for CodeLens. */
  workflowAt: number | null;
}

type Token =
  | { type: "ident"; value: string; start: number; end: number }
  | { type: "punct"; value: string; start: number; end: number }
  | { type: "string"; segment: StringSegment; start: number; end: number }
  | { type: "template"; start: number; end: number }
  | { type: "number" | "regex"; start: number; end: number };

// After these, a `/` starts a regular expression rather than a division.
const REGEX_AFTER = new Set(["(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "+", "-", "*", "%", "<", ">", "~", "^"]);
const REGEX_AFTER_WORDS = new Set(["return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "yield", "await"]);

export function scanSource(text: string): SourceScan {
  return new SourceLexer(text).scan();
}

/**
 * Reads the text once, left to right, with one method per context a
 * character can be in: code, a comment, a quoted string, a template
 * literal, a regular expression. Each method starts at `pos` on the first
 * character of its token and leaves `pos` just past it.
 */
class SourceLexer {
  private readonly strings: StringSegment[] = [];
  private readonly steps: StepCall[] = [];
  private readonly tokens: Token[] = [];
  private workflowAt: number | null = null;
  private exportDefaultAt: number | null = null;
  /** Open parentheses: the step index when the parenthesis opened a step call. */
  private readonly parens: Array<number | null> = [];
  /** Open `${`s inside templates: the brace depth to return at. */
  private readonly templateStack: number[] = [];
  /** Open objects, arrays and `${`s, each with the key it is the value of. */
  private readonly containers: Array<string | undefined> = [];
  private braceDepth = 0;
  private pos = 0;

  constructor(private readonly text: string) {}

  scan(): SourceScan {
    while (this.pos < this.text.length) this.code();
    this.nameSteps();
    return { strings: this.strings, steps: this.steps, workflowAt: this.workflowAt ?? this.exportDefaultAt };
  }

  /** Code: decides which context the next character opens. */
  private code(): void {
    const ch = this.text[this.pos]!;
    const next = this.text[this.pos + 1];
    if (ch === "/" && next === "/") this.lineComment();
    else if (ch === "/" && next === "*") this.blockComment();
    else if (/\s/.test(ch)) this.pos++;
    else if (ch === "'" || ch === '"') this.quoted(ch);
    else if (ch === "`") this.template(this.pos, this.pos + 1);
    else if (/[A-Za-z_$]/.test(ch)) this.identifier();
    else if (/[0-9]/.test(ch)) this.number();
    else if (ch === "/" && this.regexMayStart()) this.regex();
    else this.punctuation(ch);
  }

  private lineComment(): void {
    const eol = this.text.indexOf("\n", this.pos);
    this.pos = eol < 0 ? this.text.length : eol + 1;
  }

  private blockComment(): void {
    const close = this.text.indexOf("*/", this.pos + 2);
    this.pos = close < 0 ? this.text.length : close + 2;
  }

  /** A '…' or "…" string; an unclosed one ends at the line's end. */
  private quoted(quote: "'" | '"'): void {
    const { text } = this;
    let j = this.pos + 1;
    while (j < text.length && text[j] !== quote && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
    const segment = this.addString(this.pos + 1, Math.min(j, text.length), quote);
    if (text[j] === quote) j++;
    // A string followed by `:` is a key; it is marked when the colon comes.
    this.tokens.push({ type: "string", segment, start: this.pos, end: j });
    this.pos = j;
  }

  /**
   * A chunk of a template literal, from `from` (after the backquote or the
   * `}` that closes a substitution) to the closing backquote or the next
   * `${`, whose substitution is then read as code.
   */
  private template(start: number, from: number): void {
    const { text } = this;
    let j = from;
    let end = text.length;
    while (j < text.length) {
      const ch = text[j];
      if (ch === "\\") {
        j += 2;
      } else if (ch === "`") {
        this.addString(from, j, "`");
        end = j + 1;
        break;
      } else if (ch === "$" && text[j + 1] === "{") {
        this.addString(from, j, "`");
        this.templateStack.push(this.braceDepth);
        this.containers.push(undefined);
        this.braceDepth++;
        end = j + 2;
        break;
      } else j++;
    }
    if (j >= text.length) this.addString(from, text.length, "`");
    this.tokens.push({ type: "template", start, end });
    this.pos = end;
  }

  private identifier(): void {
    const { text } = this;
    let j = this.pos + 1;
    while (j < text.length && /[\w$]/.test(text[j]!)) j++;
    const value = text.slice(this.pos, j);
    this.tokens.push({ type: "ident", value, start: this.pos, end: j });
    const before = this.last(2);
    if (value === "default" && before?.type === "ident" && before.value === "export") this.exportDefaultAt ??= before.start;
    this.pos = j;
  }

  private number(): void {
    let j = this.pos + 1;
    while (j < this.text.length && /[\w.]/.test(this.text[j]!)) j++;
    this.tokens.push({ type: "number", start: this.pos, end: j });
    this.pos = j;
  }

  /** Whether a `/` here starts a regular expression (after an operator or a keyword) rather than dividing. */
  private regexMayStart(): boolean {
    const prev = this.last();
    return !prev || (prev.type === "punct" && REGEX_AFTER.has(prev.value)) || (prev.type === "ident" && REGEX_AFTER_WORDS.has(prev.value));
  }

  /** A regular expression literal: a `/` inside a character class does not end it. */
  private regex(): void {
    const { text } = this;
    let j = this.pos + 1;
    let inClass = false;
    while (j < text.length && text[j] !== "\n") {
      const c = text[j];
      if (c === "\\") j++;
      else if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if (c === "/" && !inClass) break;
      j++;
    }
    j++;
    while (j < text.length && /[a-z]/.test(text[j]!)) j++;
    this.tokens.push({ type: "regex", start: this.pos, end: j });
    this.pos = j;
  }

  private punctuation(ch: string): void {
    if (ch === "(") this.openParen();
    else if (ch === ")") this.closeParen();
    else if (ch === "{" || ch === "[") this.openContainer(ch);
    else if (ch === "}" && this.closesSubstitution()) return this.template(this.pos, this.pos + 1);
    else if (ch === "}" || ch === "]") this.containers.pop();
    else if (ch === ":") this.markKey();
    this.tokens.push({ type: "punct", value: ch, start: this.pos, end: this.pos + 1 });
    this.pos++;
  }

  /** An object or array, remembered with the key it is the value of (`arguments: {` → "arguments"). */
  private openContainer(ch: "{" | "["): void {
    if (ch === "{") this.braceDepth++;
    const colon = this.last();
    const key = this.last(2);
    const named = colon?.type === "punct" && colon.value === ":";
    this.containers.push(!named ? undefined : key?.type === "ident" ? key.value : key?.type === "string" ? key.segment.text : undefined);
  }

  /** A `(` after a step constructor's name opens a step call; after `defineWorkflow`, it marks the CodeLens line. */
  private openParen(): void {
    const callee = this.last();
    const beforeCallee = this.last(2);
    // `a.shell(` and `a?.shell(` are methods of something else, not the SDK's constructors.
    const isStep = callee?.type === "ident" && isStepKind(callee.value) && !(beforeCallee?.type === "punct" && beforeCallee.value === ".");
    // The lens goes on the line that calls defineWorkflow (not the import).
    if (callee?.type === "ident" && callee.value === "defineWorkflow" && this.workflowAt === null) this.workflowAt = callee.start;
    if (isStep) {
      this.steps.push({ kind: callee.value as StepKind, name: null, start: callee.start, end: this.text.length, depth: this.containers.length });
      this.parens.push(this.steps.length - 1);
    } else this.parens.push(null);
  }

  private closeParen(): void {
    const opened = this.parens.pop();
    if (opened !== undefined && opened !== null) this.steps[opened]!.end = this.pos + 1;
  }

  /** Counts a `}`; true when it closes a template's `${`, so the template goes on. */
  private closesSubstitution(): boolean {
    this.braceDepth--;
    if (this.templateStack.length === 0 || this.templateStack[this.templateStack.length - 1] !== this.braceDepth) return false;
    this.templateStack.pop();
    this.containers.pop();
    return true;
  }

  private markKey(): void {
    const prev = this.last();
    if (prev?.type === "string") prev.segment.isKey = true;
  }

  private last(n = 1): Token | undefined {
    return this.tokens[this.tokens.length - n];
  }

  /** The innermost step call the scan is inside. */
  private currentStep(): number | undefined {
    for (let k = this.parens.length - 1; k >= 0; k--) if (this.parens[k] !== null) return this.parens[k]!;
    return undefined;
  }

  private addString(start: number, end: number, quote: StringSegment["quote"]): StringSegment {
    const segment: StringSegment = { start, end, text: this.text.slice(start, end), quote };
    const step = this.currentStep();
    if (step !== undefined) segment.step = step;
    const prev = this.last();
    const before = this.last(2);
    if (prev?.type === "punct" && prev.value === ":" && before && (before.type === "ident" || before.type === "string")) {
      segment.key = before.type === "ident" ? before.value : before.segment.text;
    }
    if (step !== undefined) {
      // Inside the call: [its options object, the option's value, …]; the option is the second key, or this string's own.
      const inside = this.containers.slice(this.steps[step]!.depth);
      const option = inside.length === 0 ? undefined : inside.length === 1 ? segment.key : inside[1];
      if (option !== undefined) segment.option = option;
    }
    this.strings.push(segment);
    return segment;
  }

  /** Names: the first string literal right after a step call's parenthesis. */
  private nameSteps(): void {
    for (const step of this.steps) {
      const paren = this.text.indexOf("(", step.start);
      const segment = this.strings.find((s) => s.start > paren && s.step !== undefined && this.steps[s.step] === step);
      if (!segment || segment.quote === "`") continue;
      if (this.text.slice(paren + 1, segment.start - 1).trim() !== "") continue;
      step.name = segment.text;
      step.nameStart = segment.start;
      step.nameEnd = segment.end;
      segment.isStepName = true;
    }
  }
}

/** The string segment containing `offset` (inside the quotes, or just before the closing one). */
export function stringAt(scan: SourceScan, offset: number): StringSegment | undefined {
  return scan.strings.find((s) => offset >= s.start && offset <= s.end);
}

/** The names of the steps declared before step `index`, in order. */
export function earlierStepNames(scan: SourceScan, index: number): string[] {
  return scan.steps
    .slice(0, index)
    .map((s) => s.name)
    .filter((n): n is string => n !== null);
}
