// Which words of one simple command a shell evaluates rather than takes as
// text: the arguments of `let`, the operands of `[[ … -gt … ]]`, values of
// integer variables, array subscripts in assignments, variable names given to
// `read`, `printf -v`, `unset`, `[[ -v ]]`, and the numeric arguments zsh
// evaluates (`shift`, `return`, `printf %d`, `read -t`, …). The union of bash,
// zsh and ksh is used whatever shell runs the step: /bin/sh is bash or zsh on
// many systems, and a check that depends on guessing which would be a check
// that can be wrong. Pure; the lexer (shellLexer.ts) hands over the words.
import type { Evaluation, ValueRule } from "./shellEvaluation";

/** Marks a placeholder slot inside a word's text. */
export const SLOT_MARK = "\u0000";
/** Marks an expansion (`$(…)`, `${…}`, `$((…))`, backquotes) inside a word's text. */
export const EXPANSION_MARK = "\u0001";

/** One word of a command, with quotes removed. */
export interface ShellWord {
  /** The text: literal characters, SLOT_MARK for each placeholder, EXPANSION_MARK for each expansion. */
  text: string;
  /** The placeholders in this word, by slot number, with their offset in `text`. */
  slots: Array<{ index: number; at: number }>;
  /** `$NAME` and `${NAME…}` at the word's own level, with their offset in `text`. */
  refs: Array<{ name: string; at: number }>;
  /** An operator token inside `[[ ]]` (`(`, `&&`, `<`, …) rather than a word. */
  operator?: boolean;
}

export type Finding = { slot: number; evaluation: Evaluation } | { variable: string; evaluation: Evaluation };

/** Words that may stand before a command name without being one. */
const RESERVED = new Set(["!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "time", "-p", "esac"]);
/** Run the builtin named next: `command let …`, `builtin read …`. */
const PASS_THROUGH = new Set(["command", "builtin"]);
const ARITHMETIC_TESTS = new Set(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"]);
const DECLARATIONS = new Set(["declare", "typeset", "local", "export", "readonly", "integer", "float"]);
/** zsh evaluates the (first) argument of these as arithmetic. */
const NUMERIC_FIRST_ARGUMENT = new Set(["shift", "return", "exit", "break", "continue", "repeat"]);
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)(\[)?/;

const isLiteral = (word: ShellWord) => !word.text.includes(SLOT_MARK) && !word.text.includes(EXPANSION_MARK);
const evaluation = (rule: ValueRule, where: string): Evaluation => ({ rule, where, expression: false });

/**
 * Index in `words` of the command name: past reserved words (`if`, `!`, …)
 * and leading assignments. Equal to `words.length` when there is none yet.
 */
export function commandNameIndex(words: readonly ShellWord[]): number {
  let i = 0;
  while (i < words.length && (isReserved(words[i]!) || assignmentParts(words[i]!.text) !== null)) i++;
  while (i < words.length - 1 && isLiteral(words[i]!) && PASS_THROUGH.has(words[i]!.text)) i++;
  return i;
}

function isReserved(word: ShellWord): boolean {
  return isLiteral(word) && RESERVED.has(word.text);
}

/**
 * The evaluated slots and variables of one simple command. `integerNames`
 * holds the variables declared integer so far (`declare -i n`), which the
 * command may extend: a later `n={x}` is arithmetic too.
 */
export function analyzeCommand(words: readonly ShellWord[], integerNames: Set<string>): Finding[] {
  const findings: Finding[] = [];
  const at = commandNameIndex(words);
  for (const word of words.slice(0, at)) {
    const parts = assignmentParts(word.text);
    if (parts) findings.push(...assignmentFindings(word, parts, integerNames.has(parts.name) ? "integer" : null, integerNames));
  }
  const name = words[at];
  if (!name || !isLiteral(name)) return findings;
  findings.push(...commandFindings(name.text, words.slice(at + 1), integerNames));
  return findings;
}

function commandFindings(name: string, args: readonly ShellWord[], integerNames: Set<string>): Finding[] {
  if (name === "let") return args.flatMap((word) => arithmeticWord(word, evaluation("integer", "a `let` argument")));
  if (name === "[[") return conditionFindings(args, true);
  if (name === "test" || name === "[") return conditionFindings(args, false);
  if (DECLARATIONS.has(name)) return declarationFindings(name, args, integerNames);
  if (NUMERIC_FIRST_ARGUMENT.has(name)) {
    const first = args.find((word) => word.text !== "--");
    return first ? arithmeticWord(first, evaluation("integer", `the argument of \`${name}\``)) : [];
  }
  const spec = OPTION_COMMANDS[name];
  if (spec) return optionCommandFindings(name, spec, args);
  if (name === "printf") return printfFindings(args, "v");
  if (name === "print") return printFindings(args);
  return [];
}

/** Elements of a compound array assignment `a=([i]=x …)`: their subscripts are arithmetic. */
export function analyzeCompound(words: readonly ShellWord[]): Finding[] {
  return words.flatMap((word) => {
    if (!word.text.startsWith("[")) return [];
    const end = matchingBracket(word.text, 0);
    if (end < 0) return [];
    return rangeFindings(word, 1, end, evaluation("integer", "an array subscript a=([…]=…)"), true);
  });
}

// ------------------------------------------------------------ word ranges

/** Slots and variables of `word.text[from, to)` under `evaluation`; bare names count as variables in arithmetic. */
function rangeFindings(word: ShellWord, from: number, to: number, how: Evaluation, bareNames: boolean): Finding[] {
  const findings: Finding[] = [];
  for (const slot of word.slots) if (slot.at >= from && slot.at < to) findings.push({ slot: slot.index, evaluation: how });
  for (const ref of word.refs) if (ref.at >= from && ref.at < to) findings.push({ variable: ref.name, evaluation: how });
  if (bareNames) {
    // In arithmetic a bare name is a variable whose value is evaluated in turn.
    for (const match of word.text.slice(from, to).matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
      const before = word.text[from + match.index - 1];
      if (before === undefined || !/[0-9.#]/.test(before)) findings.push({ variable: match[0], evaluation: how });
    }
  }
  return findings;
}

function arithmeticWord(word: ShellWord, how: Evaluation): Finding[] {
  if (word.operator) return [];
  return rangeFindings(word, 0, word.text.length, how, how.rule !== "name");
}

/** A word naming a variable: the name must be a name, and a subscript in it is arithmetic. */
function nameWord(word: ShellWord, end: number, where: string): Finding[] {
  const bracket = word.text.indexOf("[");
  const nameEnd = bracket >= 0 && bracket < end ? bracket : end;
  const findings = rangeFindings(word, 0, nameEnd, evaluation("name", where), false);
  if (nameEnd < end) {
    const close = matchingBracket(word.text, nameEnd);
    const subEnd = close < 0 ? end : close;
    findings.push(...rangeFindings(word, nameEnd + 1, subEnd, evaluation("integer", "an array subscript"), true));
  }
  return findings;
}

function matchingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "[") depth++;
    else if (text[i] === "]" && --depth === 0) return i;
  }
  return -1;
}

interface AssignmentParts {
  name: string;
  /** Offsets of the subscript's text, when the name has one. */
  subscript: [number, number] | null;
  /** Offset of the value (after `=` or `+=`). */
  value: number;
}

/** `name=value`, `name+=value`, `name[sub]=value`; null for any other word. */
export function assignmentParts(text: string): AssignmentParts | null {
  const match = ASSIGNMENT.exec(text);
  if (!match) return null;
  let end = match[1]!.length;
  let subscript: [number, number] | null = null;
  if (match[2]) {
    const close = matchingBracket(text, end);
    if (close < 0) return null;
    subscript = [end + 1, close];
    end = close + 1;
  }
  if (text[end] === "+") end++;
  return text[end] === "=" ? { name: match[1]!, subscript, value: end + 1 } : null;
}

function assignmentFindings(word: ShellWord, parts: AssignmentParts, valueRule: ValueRule | "ref" | null, integerNames: Set<string>): Finding[] {
  const findings: Finding[] = [];
  if (parts.subscript) {
    findings.push(...rangeFindings(word, parts.subscript[0], parts.subscript[1], evaluation("integer", `an array subscript ${parts.name}[…]=`), true));
  }
  const end = word.text.length;
  if (valueRule === "ref") findings.push(...rangeFindings(word, parts.value, end, evaluation("name", `the target of the name reference ${parts.name}`), false));
  else if (valueRule) {
    const where = integerNames.has(parts.name) ? `the value of ${parts.name}, an integer variable` : `the value of ${parts.name}`;
    findings.push(...rangeFindings(word, parts.value, end, evaluation(valueRule, where), true));
  }
  return findings;
}

// ------------------------------------------------------------ [[ ]] and test

function conditionFindings(args: readonly ShellWord[], arithmetic: boolean): Finding[] {
  const findings: Finding[] = [];
  args.forEach((word, i) => {
    if (!isLiteral(word)) return;
    if (arithmetic && ARITHMETIC_TESTS.has(word.text)) {
      const how = evaluation("integer", `an operand of [[ … ${word.text} … ]]`);
      for (const operand of [args[i - 1], args[i + 1]]) if (operand) findings.push(...arithmeticWord(operand, how));
    }
    const operand = args[i + 1];
    if (word.text === "-v" && operand && !operand.operator) {
      findings.push(...nameWord(operand, operand.text.length, `the operand of ${arithmetic ? "[[ -v … ]]" : "test -v"}`));
    }
  });
  return findings;
}

// ------------------------------------------------------------ declare and friends

function declarationFindings(command: string, args: readonly ShellWord[], integerNames: Set<string>): Finding[] {
  const flags = new Set(command === "integer" ? ["i"] : command === "float" ? ["F"] : []);
  const findings: Finding[] = [];
  let i = 0;
  for (; i < args.length && isLiteral(args[i]!) && /^-[A-Za-z]+$/.test(args[i]!.text); i++) {
    for (const letter of args[i]!.text.slice(1)) flags.add(letter);
  }
  // -f names functions; `export -n` un-exports rather than making a name reference.
  if (flags.has("f")) return findings;
  const valueRule: ValueRule | "ref" | null = flags.has("n") && command !== "export" ? "ref" : flags.has("i") ? "integer" : flags.has("E") || flags.has("F") ? "number" : null;
  for (const word of args.slice(i)) {
    if (!isLiteral(word) && word.text.startsWith("-")) continue;
    const parts = assignmentParts(word.text);
    const end = parts ? parts.value - 1 : word.text.length;
    findings.push(...nameWord(word, end - (parts && word.text[end - 1] === "+" ? 1 : 0), `a variable name given to \`${command}\``));
    if (!parts) {
      if (valueRule === "integer" || valueRule === "number") addName(word.text, integerNames);
      continue;
    }
    if (valueRule === "integer" || valueRule === "number") integerNames.add(parts.name);
    const rule = valueRule ?? (integerNames.has(parts.name) ? "integer" : null);
    findings.push(...assignmentFindings(word, { ...parts, subscript: null }, rule, integerNames));
  }
  return findings;
}

function addName(text: string, names: Set<string>): void {
  const match = ASSIGNMENT.exec(text);
  if (match && match[0].length === text.length) names.add(text);
}

// ------------------------------------------------------------ commands with options

/** Each option letter that takes an argument, and how that argument is evaluated (null: as text). */
interface OptionSpec {
  options: Record<string, ValueRule | null>;
  /** How operands are evaluated, by position; the last entry applies to the rest. */
  operands: Array<ValueRule | null>;
}

const OPTION_COMMANDS: Record<string, OptionSpec> = {
  read: { options: { a: "name", d: null, i: null, p: null, n: "integer", N: "integer", k: "integer", u: "integer", t: "number" }, operands: ["name"] },
  mapfile: { options: { d: null, C: null, n: "integer", O: "integer", s: "integer", u: "integer", c: "integer" }, operands: ["name"] },
  readarray: { options: { d: null, C: null, n: "integer", O: "integer", s: "integer", u: "integer", c: "integer" }, operands: ["name"] },
  unset: { options: {}, operands: ["name"] },
  getopts: { options: {}, operands: [null, "name", null] },
  wait: { options: { p: "name" }, operands: [null] },
};

function optionCommandFindings(command: string, spec: OptionSpec, args: readonly ShellWord[]): Finding[] {
  const { findings, operands, letters } = parseOptions(command, spec.options, args);
  if (command === "unset" && letters.has("f")) return findings;
  operands.forEach((word, i) => {
    const rule = spec.operands[Math.min(i, spec.operands.length - 1)];
    if (rule === "name") findings.push(...nameWord(word, word.text.length, `a variable name given to \`${command}\``));
    else if (rule) findings.push(...arithmeticWord(word, evaluation(rule, `an argument of \`${command}\``)));
  });
  return findings;
}

/** Options up to `--` or the first operand; an option's argument may be attached (`-t5`) or the next word. */
function parseOptions(
  command: string,
  options: Record<string, ValueRule | null>,
  args: readonly ShellWord[],
): { findings: Finding[]; operands: ShellWord[]; letters: Set<string> } {
  const findings: Finding[] = [];
  const letters = new Set<string>();
  let i = 0;
  for (; i < args.length; i++) {
    const word = args[i]!;
    if (word.text === "--") return { findings, operands: args.slice(i + 1), letters };
    if (!/^-[^-]/.test(word.text)) break;
    for (let j = 1; j < word.text.length; j++) {
      const letter = word.text[j]!;
      letters.add(letter);
      if (!(letter in options)) continue;
      const rule = options[letter]!;
      const attached = j + 1 < word.text.length;
      const target = attached ? word : args[++i];
      if (target && rule) findings.push(...optionArgument(command, letter, rule, target, attached ? j + 1 : 0));
      break;
    }
  }
  return { findings, operands: args.slice(i), letters };
}

function optionArgument(command: string, letter: string, rule: ValueRule, word: ShellWord, from: number): Finding[] {
  const where = `the argument of \`${command} -${letter}\``;
  if (rule === "name") return rangeFindings(word, from, word.text.length, evaluation("name", where), false);
  return rangeFindings(word, from, word.text.length, evaluation(rule, where), true);
}

// ------------------------------------------------------------ printf

/** `printf [-v name] format args…`: zsh evaluates the arguments of numeric conversions as arithmetic. */
function printfFindings(args: readonly ShellWord[], nameOption: string): Finding[] {
  const { findings, operands } = parseOptions("printf", { [nameOption]: "name" }, args);
  const [format, ...rest] = operands;
  if (format) findings.push(...formatArgumentFindings(format, rest));
  return findings;
}

/** zsh's `print -f format args…` formats like printf. */
function printFindings(args: readonly ShellWord[]): Finding[] {
  const index = args.findIndex((word) => isLiteral(word) && /^-[A-Za-z]*f$/.test(word.text));
  if (index < 0 || !args[index + 1]) return [];
  return formatArgumentFindings(args[index + 1]!, args.slice(index + 2));
}

function formatArgumentFindings(format: ShellWord, args: readonly ShellWord[]): Finding[] {
  const rules = formatRules(format);
  if (rules !== null && rules.length === 0) return [];
  return args.flatMap((word, i) => {
    // A format that is not plain text could hold any conversion: every argument may be numeric.
    const rule = rules === null ? "integer" : rules[i % rules.length]!;
    if (rule === "text") return [];
    const where = rules === null ? "an argument of `printf` with a format that is not plain text" : "an argument of a numeric `printf` conversion";
    return arithmeticWord(word, evaluation(rule, where));
  });
}

const CONVERSION = /%(?:%|[-+ #0']*(\*|[0-9]+)?(?:\.(\*|[0-9]*))?[hlLqjzt]*([A-Za-z]))/g;

/** The rule of the argument each conversion of a literal format consumes, in order; null when the format is not literal. */
export function formatRules(format: ShellWord): Array<ValueRule | "text"> | null {
  if (!isLiteral(format)) return null;
  const rules: Array<ValueRule | "text"> = [];
  for (const match of format.text.matchAll(CONVERSION)) {
    const [, width, precision, conversion] = match;
    if (conversion === undefined) continue;
    if (width === "*") rules.push("integer");
    if (precision === "*") rules.push("integer");
    rules.push(/[diouxX]/.test(conversion) ? "integer" : /[eEfFgGaA]/.test(conversion) ? "number" : "text");
  }
  return rules;
}
