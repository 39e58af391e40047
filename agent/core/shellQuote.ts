// Quoting placeholder values into `/bin/sh -c` command strings. Pure.
//
// A value never reaches the shell as code: it is inserted as ONE single-quoted
// word, in which no character is special. So that `echo "Hello {name}"` still
// means what its author meant, the lexer (shellLexer.ts) tracks the quoting
// context at each placeholder and the surrounding quotes are closed around the
// inserted word ("Hello "'world'"" is one shell word). Where a single-quoted
// word would not be inert (inside backquotes, a here-document, ${…}, $'…',
// after a backslash or a `$`), the placeholder is refused with a message
// pointing at the environment variable that carries the same value.
//
// Quoting is not enough where bash or zsh evaluate a word instead of taking
// it as text — arithmetic (`(( ))`, `let`, `[[ … -gt … ]]`, subscripts, …)
// and variable names (`read NAME`, …) — since evaluation looks inside the
// quoted value and runs a `$(…)` in an array subscript. There only a value that
// evaluation cannot open up is accepted (shellEvaluation.ts), and the same
// check covers `$VARIABLES` the agent set (`evaluatedVariableProblem`).
import { evaluationProblem, spliceEvaluated, valueFits } from "./shellEvaluation";
import { scanShellCommand, type ShellSlotContext } from "./shellLexer";

export type { ShellSlotContext } from "./shellLexer";
export { scanShellCommand } from "./shellLexer";

/** Quotes `value` as one POSIX shell word: 'it'\''s'. */
export function quoteShellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Why a value cannot go where its placeholder stands; the message says what to do instead. */
export class ShellPlacementError extends Error {
  constructor(
    message: string,
    /** True when the value would be evaluated there (not merely unquotable): no other variable helps. */
    readonly evaluated: boolean,
  ) {
    super(message);
    this.name = "ShellPlacementError";
  }
}

/** How a value is written into the command for a given context; throws ShellPlacementError where it cannot be. */
export function spliceShellValue(context: ShellSlotContext, value: string): string {
  switch (context.kind) {
    case "plain":
      return quoteShellWord(value);
    case "single":
      // Close the author's single quotes, add the word, reopen them.
      return `'${quoteShellWord(value)}'`;
    case "double":
      return `"${quoteShellWord(value)}"`;
    case "comment":
      // A comment ends at a newline; without one the value cannot leave it.
      return value.replace(/[\r\n]/g, " ");
    case "evaluated":
      if (!valueFits(context.rule, value)) throw new ShellPlacementError(evaluationProblem(context, value), true);
      return spliceEvaluated(context, value);
    case "refused":
      throw new ShellPlacementError(context.reason, false);
  }
}

/** The context of every placeholder slot of a command written as text0 {slot0} text1 {slot1} text2. */
export function shellSlotContexts(texts: readonly string[]): ShellSlotContext[] {
  return scanShellCommand(texts).slots;
}

/**
 * The first variable of `values` (the variables the agent sets for a step)
 * that `command` uses where its value is evaluated and that holds a value
 * evaluation could open up: "$CLOCKWORK_TRIGGER_BODY is used as a number in …".
 * Null when there is none.
 */
export function evaluatedVariableProblem(command: string, values: Readonly<Record<string, string>>): string | null {
  for (const { name, evaluation } of scanShellCommand([command]).variables) {
    const value = values[name];
    if (value !== undefined && !valueFits(evaluation.rule, value)) return `$${name} ${evaluationProblem(evaluation, value)}`;
  }
  return null;
}
