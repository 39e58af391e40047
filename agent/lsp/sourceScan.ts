// A small scanner for workflow source text: where its string literals are
// (with the property key they are the value of), where each step
// constructor call starts and ends, and where `defineWorkflow(` is. The
// editor features need positions even while the file is half-typed and does
// not compile, so this reads tokens rather than an AST, and never throws.
// Pure.

export type StepKind = "shell" | "http" | "llm" | "code";

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

const STEP_KINDS = new Set(["shell", "http", "llm", "code"]);
// After these, a `/` starts a regular expression rather than a division.
const REGEX_AFTER = new Set(["(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "+", "-", "*", "%", "<", ">", "~", "^"]);
const REGEX_AFTER_WORDS = new Set(["return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "yield", "await"]);

export function scanSource(text: string): SourceScan {
  const strings: StringSegment[] = [];
  const steps: StepCall[] = [];
  const tokens: Token[] = [];
  let workflowAt: number | null = null;
  let exportDefaultAt: number | null = null;
  /** Open parentheses: the step index when the parenthesis opened a step call. */
  const parens: Array<number | null> = [];
  /** Open `${`s inside templates: the brace depth to return at. */
  const templateStack: number[] = [];
  let braceDepth = 0;
  let i = 0;

  const last = (n = 1) => tokens[tokens.length - n];
  const currentStep = (): number | undefined => {
    for (let k = parens.length - 1; k >= 0; k--) if (parens[k] !== null) return parens[k]!;
    return undefined;
  };

  const addString = (start: number, end: number, quote: StringSegment["quote"]) => {
    const segment: StringSegment = { start, end, text: text.slice(start, end), quote };
    const step = currentStep();
    if (step !== undefined) segment.step = step;
    const prev = last();
    const before = last(2);
    if (prev?.type === "punct" && prev.value === ":" && before && (before.type === "ident" || before.type === "string")) {
      segment.key = before.type === "ident" ? before.value : before.segment.text;
    }
    strings.push(segment);
    return segment;
  };

  /** Scans a template literal from after its opening backquote; stops at the closing one or at `${`. */
  const scanTemplateChunk = (from: number): number => {
    let j = from;
    while (j < text.length) {
      const ch = text[j];
      if (ch === "\\") j += 2;
      else if (ch === "`") {
        addString(from, j, "`");
        return j + 1;
      } else if (ch === "$" && text[j + 1] === "{") {
        addString(from, j, "`");
        templateStack.push(braceDepth);
        braceDepth++;
        return j + 2;
      } else j++;
    }
    addString(from, text.length, "`");
    return text.length;
  };

  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === "/" && next === "/") {
      const eol = text.indexOf("\n", i);
      i = eol < 0 ? text.length : eol + 1;
      continue;
    }
    if (ch === "/" && next === "*") {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? text.length : close + 2;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== ch && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      const end = Math.min(j, text.length);
      const segment = addString(i + 1, end, ch);
      if (text[j] === ch) j++;
      // A string followed by `:` is a key; it is marked when the colon comes.
      tokens.push({ type: "string", segment, start: i, end: j });
      i = j;
      continue;
    }
    if (ch === "`") {
      const start = i;
      i = scanTemplateChunk(i + 1);
      tokens.push({ type: "template", start, end: i });
      continue;
    }
    if (/[A-Za-z_$]/.test(ch)) {
      let j = i + 1;
      while (j < text.length && /[\w$]/.test(text[j]!)) j++;
      const value = text.slice(i, j);
      tokens.push({ type: "ident", value, start: i, end: j });
      if (value === "default" && last(2)?.type === "ident" && (last(2) as { value: string }).value === "export") {
        exportDefaultAt ??= last(2)!.start;
      }
      i = j;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      let j = i + 1;
      while (j < text.length && /[\w.]/.test(text[j]!)) j++;
      tokens.push({ type: "number", start: i, end: j });
      i = j;
      continue;
    }
    if (ch === "/") {
      const prev = last();
      const isRegex =
        !prev ||
        (prev.type === "punct" && REGEX_AFTER.has(prev.value)) ||
        (prev.type === "ident" && REGEX_AFTER_WORDS.has(prev.value));
      if (isRegex) {
        let j = i + 1;
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
        tokens.push({ type: "regex", start: i, end: j });
        i = j;
        continue;
      }
    }
    // Punctuation.
    if (ch === "(") {
      const callee = last();
      const beforeCallee = last(2);
      const isStep =
        callee?.type === "ident" &&
        STEP_KINDS.has(callee.value) &&
        !(beforeCallee?.type === "punct" && (beforeCallee.value === "." || beforeCallee.value === "?."));
      // The lens goes on the line that calls defineWorkflow (not the import).
      if (callee?.type === "ident" && callee.value === "defineWorkflow" && workflowAt === null) workflowAt = callee.start;
      if (isStep) {
        steps.push({ kind: callee.value as StepKind, name: null, start: callee.start, end: text.length });
        parens.push(steps.length - 1);
      } else parens.push(null);
    } else if (ch === ")") {
      const opened = parens.pop();
      if (opened !== undefined && opened !== null) steps[opened]!.end = i + 1;
    } else if (ch === "{") {
      braceDepth++;
    } else if (ch === "}") {
      braceDepth--;
      if (templateStack.length > 0 && templateStack[templateStack.length - 1] === braceDepth) {
        templateStack.pop();
        const start = i;
        i = scanTemplateChunk(i + 1);
        tokens.push({ type: "template", start, end: i });
        continue;
      }
    } else if (ch === ":") {
      const prev = last();
      if (prev?.type === "string") prev.segment.isKey = true;
    }
    tokens.push({ type: "punct", value: ch, start: i, end: i + 1 });
    i++;
  }

  // Names: the first string literal right after a step call's parenthesis.
  for (const step of steps) {
    const paren = text.indexOf("(", step.start);
    const segment = strings.find((s) => s.start > paren && s.step !== undefined && steps[s.step] === step);
    if (!segment || segment.quote === "`") continue;
    const between = text.slice(paren + 1, segment.start - 1);
    if (between.trim() !== "") continue;
    step.name = segment.text;
    step.nameStart = segment.start;
    step.nameEnd = segment.end;
    segment.isStepName = true;
  }
  return { strings, steps, workflowAt: workflowAt ?? exportDefaultAt };
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
