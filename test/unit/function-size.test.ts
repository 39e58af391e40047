// Functions a reader can hold: none in agent/ or extension/ longer than
// MAX_LINES or nested deeper than MAX_DEPTH. Read with the TypeScript parser,
// so strings, comments and regular expressions never look like code.
//
// What is measured, for every function declaration, method, constructor,
// accessor, arrow function and function expression:
//
// - Lines: the lines from the function's first token to its last that hold
//   code. Blank lines and lines holding only a comment are not counted, so a
//   comment that says why never costs a function its budget. A nested
//   function's lines count towards the function around it too: whoever reads
//   the outer function reads them.
// - Nesting: how many control-flow statements enclose the deepest statement.
//   Each `if`, `switch`, `try`, `for` (every form), `while` and `do` adds one
//   level to what it contains; an `else if` continues its `if` at the same
//   level, and `catch`/`finally` sit at the level of their `try`. Plain
//   blocks, ternaries and `case` labels add nothing. A nested function starts
//   at the level it is written at, and its nesting is reported for it alone:
//   a callback inside two loops that holds three `if`s is nested 5 deep.
//
// A body with one `if` is nested 1 deep; MAX_DEPTH allows four levels.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import ts from "typescript";

const root = resolve(__dirname, "../..");
const MAX_LINES = 80;
const MAX_DEPTH = 4;

/**
 * Functions allowed over a limit, each as `file: function` (names as
 * `describe()` below spells them). Empty: every function fits. The second
 * test fails once an entry is within the limits, so the list only shrinks.
 */
const ALLOWED = new Set<string>([]);

interface Measure {
  /** `file: function`, the key the allow-list uses. */
  key: string;
  lines: number;
  depth: number;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith(".ts") ? [full] : [];
  });
}

type FunctionNode = ts.FunctionLikeDeclaration;

function isFunction(node: ts.Node): node is FunctionNode {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node)
  );
}

/** Whether `node` puts what it contains one level deeper (see the top of this file). */
function nests(node: ts.Node): boolean {
  if (ts.isIfStatement(node)) return !(ts.isIfStatement(node.parent) && node.parent.elseStatement === node);
  return (
    ts.isSwitchStatement(node) ||
    ts.isTryStatement(node) ||
    ts.isForStatement(node) ||
    ts.isForInStatement(node) ||
    ts.isForOfStatement(node) ||
    ts.isWhileStatement(node) ||
    ts.isDoStatement(node)
  );
}

/** The level a function is written at: the nesting around it, through every enclosing function. */
function levelAround(fn: FunctionNode): number {
  let level = 0;
  for (let node = fn.parent; node && !ts.isSourceFile(node); node = node.parent) {
    if (nests(node)) level += 1;
  }
  return level;
}

/** The deepest level inside `fn`, not looking into the functions it contains (they are measured on their own). */
function deepest(fn: FunctionNode): number {
  let max = 0;
  const visit = (node: ts.Node, level: number): void => {
    if (isFunction(node)) return;
    const inside = nests(node) ? level + 1 : level;
    max = Math.max(max, inside);
    ts.forEachChild(node, (child) => visit(child, inside));
  };
  ts.forEachChild(fn, (child) => visit(child, 0));
  return levelAround(fn) + max;
}

/** Lines from the first token of `fn` to its last that hold a token (so neither blank nor comment-only). */
function codeLines(fn: FunctionNode, file: ts.SourceFile): number {
  const lines = new Set<number>();
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, file.languageVariant, file.text);
  scanner.resetTokenState(fn.getStart(file));
  const lineOf = (pos: number) => file.getLineAndCharacterOfPosition(pos).line;
  // Template literals and regular expressions are read as whole tokens by
  // asking the parser's own nodes; the scanner alone would split them.
  const wholeTokens = new Map<number, number>();
  const collect = (node: ts.Node): void => {
    if (ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isRegularExpressionLiteral(node) || ts.isStringLiteral(node)) {
      wholeTokens.set(node.getStart(file), node.getEnd());
      return;
    }
    ts.forEachChild(node, collect);
  };
  collect(fn);
  while (scanner.getTokenEnd() < fn.getEnd()) {
    const kind = scanner.scan();
    if (kind === ts.SyntaxKind.EndOfFileToken) break;
    const start = scanner.getTokenStart();
    const end = wholeTokens.get(start) ?? scanner.getTokenEnd();
    for (let line = lineOf(start); line <= lineOf(Math.max(start, end - 1)); line++) lines.add(line);
    if (end !== scanner.getTokenEnd()) scanner.resetTokenState(end);
  }
  return lines.size;
}

/**
 * How the allow-list and the failure messages name a function: its own name,
 * or the variable, property or parameter of a call it is given to, prefixed
 * with its class (`RunPool.drain`) and with the functions around it
 * (`startSocketServer › accept`, `placeholderProblems › forEach callback`).
 */
function functionName(fn: FunctionNode, file: ts.SourceFile): string {
  const own = ownName(fn, file);
  const outer = enclosingFunction(fn);
  return outer ? `${functionName(outer, file)} › ${own}` : own;
}

function ownName(fn: FunctionNode, file: ts.SourceFile): string {
  const parent = fn.parent;
  const className = ts.isClassLike(parent) ? `${parent.name?.getText(file) ?? "class"}.` : "";
  if (ts.isConstructorDeclaration(fn)) return `${className}constructor`;
  if (fn.name) return `${className}${fn.name.getText(file)}`;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    return parent.name.getText(file);
  }
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    const callee = parent.expression;
    const name = ts.isPropertyAccessExpression(callee) ? callee.name.getText(file) : callee.getText(file);
    return `${name} callback`;
  }
  return `function at line ${file.getLineAndCharacterOfPosition(fn.getStart(file)).line + 1}`;
}

function enclosingFunction(node: ts.Node): FunctionNode | undefined {
  for (let up = node.parent; up; up = up.parent) if (isFunction(up)) return up;
  return undefined;
}

function measureFile(path: string, text: string): Measure[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: Measure[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunction(node) && node.body) {
      out.push({ key: `${path}: ${functionName(node, file)}`, lines: codeLines(node, file), depth: deepest(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

function measureTree(): Measure[] {
  return ["agent", "extension"]
    .flatMap((dir) => sources(join(root, dir)))
    .flatMap((file) => measureFile(relative(root, file), readFileSync(file, "utf8")));
}

const tooBig = (m: Measure) => m.lines > MAX_LINES || m.depth > MAX_DEPTH;
const show = (m: Measure) => `${m.key} (${m.lines} lines, nested ${m.depth})`;

describe("function size", () => {
  test("no function in agent/ or extension/ is over 80 lines or nested deeper than 4, except the allow-list's", () => {
    const offending = measureTree().filter((m) => tooBig(m) && !ALLOWED.has(m.key));
    assert.deepEqual(offending.map(show), [], "split these functions");
  });

  test("every function on the allow-list is still over a limit, so the list only shrinks", () => {
    const stillBig = new Set(measureTree().filter(tooBig).map((m) => m.key));
    const done = [...ALLOWED].filter((key) => !stillBig.has(key));
    assert.deepEqual(done, [], "these are within the limits now (or were renamed): remove them from ALLOWED");
  });

  test("lines count code only, and nesting counts control flow as the top of this file defines it", () => {
    const source = [
      "function outer(items: number[]) {", // 1
      "  // a comment line is not counted", //
      "", //
      "  if (items.length === 0) {", // 2: level 1
      "    return `none", // 3
      "", // 4: inside a template literal, so counted
      "`;", // 5
      "  } else if (items.length === 1) {", // 6: same level as its if
      "    return 'one';", // 7
      "  }", // 8
      "  for (const a of items) {", // 9: level 1
      "    while (a > 0) {", // 10: level 2
      "      items.forEach((b) => {", // 11
      "        try {", // 12: level 3
      "          switch (b) {", // 13: level 4
      "            case 1:", // 14
      "              if (a) return;", // 15: level 5
      "          }", // 16
      "        } catch {", // 17
      "        }", // 18
      "      });", // 19
      "    }", // 20
      "  }", // 21
      "}", // 22
    ].join("\n");
    const measures = measureFile("sample.ts", source);
    assert.deepEqual(
      measures.map((m) => [m.key, m.lines, m.depth]),
      [
        ["sample.ts: outer", 22, 2],
        ["sample.ts: outer › forEach callback", 9, 5],
      ],
    );
  });
});
