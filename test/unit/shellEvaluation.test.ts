// The classifier that tells where bash, zsh or ksh evaluate a word instead of
// taking it as text. Each row is a command an author might write, with `{}`
// for each placeholder, and what the shell does with the value there.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderTemplate, type ResolveContext } from "../../agent/core/placeholders";
import { evaluatedVariableProblem, scanShellCommand, spliceShellValue, type ShellSlotContext } from "../../agent/core/shellQuote";

/** Each slot as "plain", "double", …, or "integer @ <where>" / "name @ <where>" where it is evaluated. */
function slots(command: string): string[] {
  return scanShellCommand(command.split("{}")).slots.map(show);
}

function show(c: ShellSlotContext): string {
  if (c.kind === "evaluated") return `${c.rule} @ ${c.where}`;
  return c.kind === "refused" ? `refused: ${c.reason}` : c.kind;
}

/** Variables the command evaluates, as "NAME: rule @ where". */
function variables(command: string): string[] {
  return scanShellCommand([command]).variables.map((v) => `${v.name}: ${v.evaluation.rule} @ ${v.evaluation.where}`);
}

/** One test per row: the command, and what `read` makes of it. */
function table(cases: Array<[string, string[]]>, read: (command: string) => string[]): void {
  for (const [command, expected] of cases) test(command, () => assert.deepEqual(read(command), expected));
}

describe("placeholders where the shell evaluates the value", () => {
  const cases: Array<[string, string[]]> = [
    // The example, and the other arithmetic commands and expansions.
    ["if [[ {} -gt 5 ]]; then echo big; fi", ["integer @ an operand of [[ … -gt … ]]"]],
    ['[[ 1 -le "{}" && x == y ]]', ["integer @ an operand of [[ … -le … ]]"]],
    ["[[ '{}' -eq 1 ]]", ["integer @ an operand of [[ … -eq … ]]"]],
    ["[[ ( {} -ne 2 ) || -z x ]]", ["integer @ an operand of [[ … -ne … ]]"]],
    ["echo $(( 1 + {} ))", ["integer @ $(( ))"]],
    ['echo "$(( {} * 2 ))"', ["integer @ $(( ))"]],
    ["echo $[ {} + 1 ]", ["integer @ $[ ]"]],
    ["(( {} > 3 )) && echo yes", ["integer @ (( ))"]],
    ["for (( i = {}; i < 3; i++ )); do echo $i; done", ["integer @ (( ))"]],
    ["let x={} y=2", ["integer @ a `let` argument"]],
    ["command let {}", ["integer @ a `let` argument"]],
    ["2>/dev/null let {}", ["integer @ a `let` argument"]],
    // Subscripts and substring offsets.
    ["a[{}]=x", ["integer @ an array subscript a[…]="]],
    ["a=(1 2); echo ${a[{}]}", ["integer @ an array subscript ${a[…]}"]],
    ["b=([{}]=1 {})", ["integer @ an array subscript a=([…]=…)", "plain"]],
    ["echo $a[{}]", ["integer @ an array subscript $a[…] (zsh)"]],
    ["echo ${x:{}:2}", ["integer @ a substring offset ${x:…}"]],
    // Integer variables: declared with a value, or assigned after being declared.
    ["declare -i n={}", ["integer @ the value of n, an integer variable"]],
    ["declare -i n; n={}", ["integer @ the value of n, an integer variable"]],
    ["f() { local -i n={} m=3; }", ["integer @ the value of n, an integer variable"]],
    ["integer n={}", ["integer @ the value of n, an integer variable"]],
    ["float f={}", ["number @ the value of f, an integer variable"]],
    // Numbers zsh evaluates as arithmetic.
    ["shift {}", ["integer @ the argument of `shift`"]],
    ["f() { return {}; }", ["integer @ the argument of `return`"]],
    ["read -t {} line", ["number @ the argument of `read -t`"]],
    ["read -rn{} line", ["integer @ the argument of `read -n`"]],
    ["printf '%s has %d items (%.1f%%)\\n' {} {} {}", ["plain", "integer @ an argument of a numeric `printf` conversion", "number @ an argument of a numeric `printf` conversion"]],
    ["printf '%*s|' {} {}", ["integer @ an argument of a numeric `printf` conversion", "plain"]],
    ['printf "$FORMAT" {}', ["integer @ an argument of `printf` with a format that is not plain text"]],
    // Variable names, whose subscript would be evaluated.
    ["read -r {}", ["name @ a variable name given to `read`"]],
    ["printf -v {} %s x", ["name @ the argument of `printf -v`"]],
    ["[[ -v {} ]]", ["name @ the operand of [[ -v … ]]"]],
    ["test -v {}", ["name @ the operand of test -v"]],
    ["unset {}", ["name @ a variable name given to `unset`"]],
    ["declare {}=1", ["name @ a variable name given to `declare`"]],
    ["export {}", ["name @ a variable name given to `export`"]],
    ["declare -n ref={}", ["name @ the target of the name reference ref"]],
    ["unset 'a[{}]'", ["integer @ an array subscript"]],
  ];
  table(cases, slots);
});

describe("placeholders the shell takes as text stay quoted words", () => {
  const cases: Array<[string, string[]]> = [
    ["[[ {} == 5 ]]", ["plain"]],
    ["[ {} -eq 5 ]", ["plain"]],
    ["test {} -gt 1", ["plain"]],
    ["echo {} -gt 5 let", ["plain"]],
    ['echo "let {}" "(( {} ))"', ["double", "double"]],
    ["echo a[{}] x={}", ["plain", "plain"]],
    ["x={}; declare y={}; local -r z={}", ["plain", "plain", "plain"]],
    ["printf '%s\\n' {}", ["plain"]],
    ["printf -- '%s' {}", ["plain"]],
    ["read -p {} line", ["plain"]],
    ["echo {} > {} 2>&1", ["plain", "plain"]],
    ["cat <<< {}", ["plain"]],
    ["echo $(printf %s {}) `true` # {}", ["plain", "comment"]],
    ["declare -i n; echo n={}", ["plain"]],
    ["case {} in 1) echo one;; esac", ["plain"]],
  ];
  table(cases, slots);
});

describe("variables whose values the shell evaluates", () => {
  const cases: Array<[string, string[]]> = [
    ['[[ "$CLOCKWORK_N" -gt 5 ]]', ["CLOCKWORK_N: integer @ an operand of [[ … -gt … ]]"]],
    ["[[ ${CLOCKWORK_N} -gt 5 ]]", ["CLOCKWORK_N: integer @ an operand of [[ … -gt … ]]"]],
    // A bare name in arithmetic is a variable whose value is evaluated in turn.
    ["(( CLOCKWORK_N > 5 ))", ["CLOCKWORK_N: integer @ (( ))"]],
    ["[[ CLOCKWORK_N -lt 3 ]]", ["CLOCKWORK_N: integer @ an operand of [[ … -lt … ]]"]],
    ["echo $(( $CLOCKWORK_N + 1 ))", ["CLOCKWORK_N: integer @ $(( ))"]],
    ["let n=CLOCKWORK_N", ["n: integer @ a `let` argument", "CLOCKWORK_N: integer @ a `let` argument"]],
    ["echo ${a[CLOCKWORK_I]} ${x:$CLOCKWORK_O}", ["CLOCKWORK_I: integer @ an array subscript ${a[…]}", "CLOCKWORK_O: integer @ a substring offset ${x:…}"]],
    ["echo ${!CLOCKWORK_V}", ["CLOCKWORK_V: name @ an indirect reference ${!…}"]],
    ['read -r "$CLOCKWORK_V"', ["CLOCKWORK_V: name @ a variable name given to `read`"]],
    ["echo `echo $(( CLOCKWORK_B ))`", ["CLOCKWORK_B: integer @ $(( ))"]],
    ["cat <<EOF\n$(( CLOCKWORK_H ))\nEOF", ["CLOCKWORK_H: integer @ $(( ))"]],
    // A quoted delimiter: the body is not expanded.
    ["cat <<'EOF'\n$(( CLOCKWORK_H ))\nEOF", []],
    ['echo "$CLOCKWORK_N" $CLOCKWORK_N; [[ $CLOCKWORK_N == 5 ]]', []],
    ["echo $(( 0x1f + 16#ff + 2 ))", []],
  ];
  table(cases, variables);
});

describe("writing a value where it is evaluated", () => {
  const integer: ShellSlotContext = { kind: "evaluated", rule: "integer", where: "(( ))", expression: true };
  const operand: ShellSlotContext = { kind: "evaluated", rule: "integer", where: "an operand of [[ … -gt … ]]", expression: false };

  test("a plain integer is written as it is; a negative one in parentheses inside an expression", () => {
    assert.equal(spliceShellValue(integer, "42"), "42");
    assert.equal(spliceShellValue(integer, "-5"), "(-5)");
    assert.equal(spliceShellValue(operand, "-5"), "-5");
  });

  test("anything else is refused with where, why and what to write instead", () => {
    for (const value of ["a[$(touch x)]", "x[`touch y`]", "1;touch z", " 5", "5\n", "1e3", "0x10", ""]) {
      assert.throws(() => spliceShellValue(operand, value), /is used as a number in an operand of \[\[ … -gt … \]\]/, JSON.stringify(value));
    }
    assert.throws(
      () => spliceShellValue(operand, "a[$(touch pwned)]"),
      (error: Error) =>
        error.message ===
        'is used as a number in an operand of [[ … -gt … ]], where bash or zsh evaluates it as arithmetic and would run a command hidden in it (such as a[$(…)]); only a plain integer is accepted there, and its value "a[$(touch pwned)]" is not one. Compare it as text instead ([[ $X == 5 ]], case), or check or convert it in an earlier step (a code step can return Number(…)).',
    );
  });

  test("the issue's example fails its step with the placeholder named, and a number goes through", () => {
    const ctx: ResolveContext = {
      workflow: "w",
      steps: ["dbl"],
      current: 0,
      outputs: {},
      previous: () => undefined,
      trigger: { event: "webhook", body: { n: "a[$(touch pwned)]", m: 7 } },
      run: { id: "r1", scheduledFor: null },
    };
    assert.throws(
      () => renderTemplate("if [[ {trigger.body.n} -gt 5 ]]; then echo big; fi", ctx, "shell"),
      /^PlaceholderError: \{trigger\.body\.n\} is used as a number in an operand of \[\[ … -gt … \]\], where bash or zsh evaluates it/,
    );
    assert.equal(renderTemplate("if [[ {trigger.body.m} -gt 5 ]]; then echo big; fi", ctx, "shell"), "if [[ 7 -gt 5 ]]; then echo big; fi");
  });

  test("a variable the agent set is checked only where it is evaluated, and only when it was set", () => {
    const values = { CLOCKWORK_TRIGGER_BODY: '{"n":"a[$(touch x)]"}', CLOCKWORK_STEP_COUNT: "12" };
    assert.equal(evaluatedVariableProblem('echo "$CLOCKWORK_TRIGGER_BODY" | jq .n', values), null);
    assert.equal(evaluatedVariableProblem('(( CLOCKWORK_STEP_COUNT > 10 )) && [[ "$OTHER" -gt 1 ]]', values), null);
    assert.equal(
      evaluatedVariableProblem('[[ "$CLOCKWORK_TRIGGER_BODY" -gt 5 ]]', values),
      '$CLOCKWORK_TRIGGER_BODY is used as a number in an operand of [[ … -gt … ]], where bash or zsh evaluates it as arithmetic and would run a command hidden in it (such as a[$(…)]); only a plain integer is accepted there, and its value "{\\"n\\":\\"a[$(touch x)]\\"}" is not one. Compare it as text instead ([[ $X == 5 ]], case), or check or convert it in an earlier step (a code step can return Number(…)).',
    );
  });
});
