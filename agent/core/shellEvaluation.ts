// Places in a shell command where bash, zsh or ksh do not take a word as
// text but evaluate it: as an arithmetic expression (`(( ))`, `let`, the
// operands of `[[ … -gt … ]]`, array subscripts, …) or as a variable name
// (`read NAME`, `printf -v NAME`, `[[ -v NAME ]]`, …). Evaluation looks
// inside the value: `a[$(touch x)]` is an array subscript there, and the
// shell runs the `$(…)` in it, however the value was quoted. So a value that
// lands in such a place must be one that evaluation cannot open up: a plain
// integer, a plain decimal number, or a plain variable name. Pure.

/** What a value must look like where it is evaluated. */
export type ValueRule = "integer" | "number" | "name";

/** One place where a value is evaluated rather than taken as text. */
export interface Evaluation {
  rule: ValueRule;
  /** Where, as the author wrote it: "an operand of [[ … -gt … ]]", "$(( ))", … */
  where: string;
  /**
   * True inside an arithmetic expression (`$(( ))`, `(( ))`, `${x:…}`), where
   * a negative number is written in parentheses so that `1-{n}` stays `1-(-5)`.
   */
  expression: boolean;
}

const RULES: Record<ValueRule, { pattern: RegExp; accepted: string; evaluated: string }> = {
  integer: { pattern: /^-?[0-9]+$/, accepted: "a plain integer", evaluated: "as arithmetic" },
  number: { pattern: /^-?[0-9]+(\.[0-9]+)?$/, accepted: "a plain number", evaluated: "as arithmetic" },
  name: { pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, accepted: "a plain variable name (letters, digits and _)", evaluated: "as a variable name" },
};

/** True when `value` can be evaluated under `rule` without running anything. */
export function valueFits(rule: ValueRule, value: string): boolean {
  return RULES[rule].pattern.test(value);
}

/** How an accepted value is written into the command: as it is, since none of its characters is special to a shell. */
export function spliceEvaluated(evaluation: Evaluation, value: string): string {
  return evaluation.expression && value.startsWith("-") ? `(${value})` : value;
}

/**
 * Why `value` was refused, for an error that starts with the placeholder or
 * variable: "… is used as a number in …; only a plain integer is accepted
 * there …, and its value "a[$(x)]" is not one. <what to write instead>".
 */
export function evaluationProblem(evaluation: Evaluation, value: string): string {
  const rule = RULES[evaluation.rule];
  const use = evaluation.rule === "name" ? "a variable name" : "a number";
  return (
    `is used as ${use} in ${evaluation.where}, where bash or zsh evaluates it ${rule.evaluated} ` +
    `and would run a command hidden in it (such as a[$(…)]); only ${rule.accepted} is accepted there, ` +
    `and its value ${preview(value)} is not one. ${advice(evaluation.rule)}`
  );
}

function advice(rule: ValueRule): string {
  if (rule === "name") return "Use a fixed variable name in the command and pass the value as data.";
  return "Compare it as text instead ([[ $X == 5 ]], case), or check or convert it in an earlier step (a code step can return Number(…)).";
}

/** The value as JSON, shortened: enough to recognise it, never a wall of text. */
function preview(value: string): string {
  const json = JSON.stringify(value);
  return json.length <= 60 ? json : `${json.slice(0, 57)}…"`;
}
