// A small lexer for `/bin/sh -c` command strings, with one method per quoting
// context. It finds, for every placeholder slot, how the shell will read what
// is written there (plain word, inside "…" or '…', a comment, evaluated as
// arithmetic or as a variable name, or a place where no quoting is safe), and
// every variable reference in a place where the shell evaluates its value.
// Commands are split into words so that shellCommands.ts can tell which words
// a command evaluates (`let`, `[[ … -gt … ]]`, `read NAME`, …). Pure.
//
// It is deliberately not a full shell parser: where the command is ambiguous
// to it (an unterminated quote, `case` inside `$( )`), every slot is refused
// rather than guessed.
import {
  analyzeCommand,
  analyzeCompound,
  assignmentParts,
  commandNameIndex,
  EXPANSION_MARK,
  SLOT_MARK,
  type Finding,
  type ShellWord,
} from "./shellCommands";
import type { Evaluation } from "./shellEvaluation";

export type ShellSlotContext =
  | { kind: "plain" }
  | { kind: "single" }
  | { kind: "double" }
  | { kind: "comment" }
  | ({ kind: "evaluated" } & Evaluation)
  | { kind: "refused"; reason: string };

/** A variable reference (`$NAME`, `${NAME}`, or a bare name in arithmetic) whose value the shell evaluates. */
export interface EvaluatedVariable {
  name: string;
  evaluation: Evaluation;
}

export interface ShellScan {
  /** The context of each slot, in order. */
  slots: ShellSlotContext[];
  variables: EvaluatedVariable[];
}

interface CommandState {
  words: ShellWord[];
  /** The word being read; null between words. */
  word: ShellWord | null;
  /** Inside `[[ ]]`, where `&&`, `(`, `<` are operators of the test, not of the shell. */
  inCondition: boolean;
  /** The next word is a redirection target, not an argument. */
  skipNext: boolean;
}

type Frame =
  | { kind: "command"; mode: "top" | "cmdsub" | "compound"; depth: number; cmd: CommandState }
  | { kind: "dq" }
  | { kind: "sq" }
  | { kind: "ansi" }
  | { kind: "bq"; text: string }
  | { kind: "param"; phase: "name" | "operator" | "word"; depth: number }
  | { kind: "arith"; close: "))" | "]" | "}"; depth: number; evaluation: Evaluation; token: string; tokenAfter: number }
  | { kind: "comment" }
  | { kind: "heredoc"; delimiter: string; stripTabs: boolean; expands: boolean; line: string; lineHasSlot: boolean; body: string };

const SLOT = -1;
const ch = (c: string) => c.charCodeAt(0);
const [BACKSLASH, SQUOTE, DQUOTE, BQUOTE, DOLLAR] = [ch("\\"), ch("'"), ch('"'), ch("`"), ch("$")];
const [LPAREN, RPAREN, LBRACE, RBRACE, LBRACKET, RBRACKET] = [ch("("), ch(")"), ch("{"), ch("}"), ch("["), ch("]")];
const [HASH, LT, GT, NEWLINE, TAB, DASH, COLON, BANG] = [ch("#"), ch("<"), ch(">"), ch("\n"), ch("\t"), ch("-"), ch(":"), ch("!")];
const isBlank = (c: number | undefined) => c === 32 || c === TAB;
const isOperator = (c: number | undefined) => c !== undefined && c !== SLOT && (";&|()<>".includes(String.fromCharCode(c)) || c === NEWLINE);
const isNameStart = (c: number | undefined) => c !== undefined && c !== SLOT && /[A-Za-z_]/.test(String.fromCharCode(c));
const isNameChar = (c: number | undefined) => c !== undefined && c !== SLOT && /[A-Za-z0-9_]/.test(String.fromCharCode(c));
const arithmetic = (where: string): Evaluation => ({ rule: "integer", where, expression: true });
const newCommand = (): CommandState => ({ words: [], word: null, inCondition: false, skipNext: false });
const newWord = (): ShellWord => ({ text: "", slots: [], refs: [] });
const refused = (reason: string): ShellSlotContext => ({ kind: "refused", reason });

/** Scans a command whose literal pieces are `texts`: text0 {slot0} text1 {slot1} text2. */
export function scanShellCommand(texts: readonly string[]): ShellScan {
  return new ShellLexer(texts).run();
}

class ShellLexer {
  private readonly items: number[] = [];
  private readonly slotTotal: number;
  private readonly stack: Frame[] = [{ kind: "command", mode: "top", depth: 0, cmd: newCommand() }];
  private readonly contexts: ShellSlotContext[] = [];
  private readonly variables: EvaluatedVariable[] = [];
  private readonly pendingHeredocs: Array<{ delimiter: string; stripTabs: boolean; expands: boolean }> = [];
  private readonly integerNames = new Set<string>();
  private slotCount = 0;
  private escaped = false;
  private uncertain: string | null = null;
  private i = 0;

  constructor(texts: readonly string[]) {
    texts.forEach((text, n) => {
      for (let j = 0; j < text.length; j++) this.items.push(text.charCodeAt(j));
      if (n < texts.length - 1) this.items.push(SLOT);
    });
    this.slotTotal = Math.max(0, texts.length - 1);
  }

  run(): ShellScan {
    while (this.i < this.items.length) this.step(this.top());
    this.finish();
    const slots = this.uncertain && this.slotTotal > 0 ? this.contexts.map(() => refused(this.uncertain!)) : this.contexts;
    return { slots, variables: this.variables };
  }

  private step(frame: Frame): void {
    switch (frame.kind) {
      case "heredoc":
        return this.hereDocument(frame);
      case "sq":
        return this.singleQuoted();
      case "ansi":
        return this.ansiQuoted();
      case "comment":
        return this.comment();
      case "bq":
        return this.backquoted(frame);
      case "dq":
        return this.doubleQuoted();
      case "param":
        return this.parameter(frame);
      case "arith":
        return this.arithmetic(frame);
      case "command":
        return this.unquoted(frame);
    }
  }

  // ---------------------------------------------------------------- quoting contexts

  private singleQuoted(): void {
    const c = this.items[this.i]!;
    if (c === SLOT) return this.slot("single");
    if (c === SQUOTE) this.stack.pop();
    else this.literal(c);
    this.i++;
  }

  /** `$'…'`: backslash escapes work inside, so a quoted word would not be inert. */
  private ansiQuoted(): void {
    const c = this.items[this.i]!;
    if (c === SLOT) return this.refuseSlot("it is inside $'…', where a backslash escapes the closing quote");
    if (c === SQUOTE) {
      this.stack.pop();
      this.i++;
      return;
    }
    // Kept as written (escapes and all): enough to recognise a printf format.
    this.literal(c);
    if (c === BACKSLASH && this.items[this.i + 1] !== undefined && this.items[this.i + 1] !== SLOT) this.literal(this.items[++this.i]!);
    this.i++;
  }

  private comment(): void {
    const c = this.items[this.i]!;
    if (c === SLOT) {
      this.contexts[this.slotCount++] = { kind: "comment" };
    } else if (c === NEWLINE) {
      // The enclosing frame sees the newline too (it ends the command, starts here-documents).
      this.stack.pop();
      return;
    }
    this.i++;
  }

  private doubleQuoted(): void {
    const c = this.items[this.i]!;
    const next = this.items[this.i + 1];
    if (c === SLOT) return this.slot("double");
    if (c === BACKSLASH) return this.backslash(next === undefined || "$`\"\\\n".includes(String.fromCharCode(next)));
    if (c === DOLLAR) return this.dollar();
    if (c === BQUOTE) return this.openBackquote();
    if (c === DQUOTE) this.stack.pop();
    else this.literal(c);
    this.i++;
  }

  /** Backquotes: their text is a command of its own, read once they close. */
  private backquoted(frame: Extract<Frame, { kind: "bq" }>): void {
    const c = this.items[this.i]!;
    const next = this.items[this.i + 1];
    if (c === SLOT) return this.refuseSlot("it is inside backquotes; use $( ) instead");
    if (c === BQUOTE) {
      this.stack.pop();
      this.i++;
      return this.scanNested(frame.text);
    }
    if (c === BACKSLASH && next !== undefined && next !== SLOT) {
      frame.text += "$`\\".includes(String.fromCharCode(next)) ? String.fromCharCode(next) : `\\${String.fromCharCode(next)}`;
      this.i += 2;
      return;
    }
    frame.text += String.fromCharCode(c);
    this.i++;
  }

  /** `${…}`: a name, then a subscript or a substring offset (both arithmetic), or an operator and a word. */
  private parameter(frame: Extract<Frame, { kind: "param" }>): void {
    const c = this.items[this.i]!;
    const next = this.items[this.i + 1];
    if (c === SLOT) return this.refuseSlot("it is inside ${ }");
    if (frame.phase === "name" && c === LBRACKET) {
      frame.phase = "operator";
      return this.openArithmetic("]", "an array subscript ${a[…]}", 1);
    }
    if (frame.phase !== "word" && c === COLON && (next === SLOT || !"-=?+".includes(String.fromCharCode(next ?? 0)))) {
      frame.phase = "word";
      return this.openArithmetic("}", "a substring offset ${x:…}", 1);
    }
    frame.phase = "word";
    if (c === BACKSLASH) return this.backslash(true);
    if (c === DOLLAR) return this.dollar();
    if (c === BQUOTE) return this.openBackquote();
    if (c === SQUOTE || c === DQUOTE) this.stack.push({ kind: c === SQUOTE ? "sq" : "dq" });
    else if (c === LBRACE) frame.depth++;
    else if (c === RBRACE && frame.depth-- === 0) this.stack.pop();
    this.i++;
  }

  /** Arithmetic: `$(( ))`, `(( ))`, `$[ ]`, subscripts and offsets. Bare names are variables evaluated in turn. */
  private arithmetic(frame: Extract<Frame, { kind: "arith" }>): void {
    const c = this.items[this.i]!;
    if (isNameChar(c)) {
      if (frame.token === "") frame.tokenAfter = this.items[this.i - 1] ?? 0;
      frame.token += String.fromCharCode(c);
      this.i++;
      return;
    }
    this.endArithmeticToken(frame);
    if (c === SLOT) return this.slot("plain");
    if (c === BACKSLASH) return this.backslash(true);
    if (c === DOLLAR) return this.dollar();
    if (c === BQUOTE) return this.openBackquote();
    if (c === SQUOTE || c === DQUOTE) {
      this.stack.push({ kind: c === SQUOTE ? "sq" : "dq" });
      this.i++;
      return;
    }
    this.arithmeticBracket(frame, c);
  }

  private arithmeticBracket(frame: Extract<Frame, { kind: "arith" }>, c: number): void {
    const [open, close] = frame.close === "))" ? [LPAREN, RPAREN] : frame.close === "]" ? [LBRACKET, RBRACKET] : [LBRACE, RBRACE];
    if (c === open) frame.depth++;
    else if (c === close && frame.depth > 0) frame.depth--;
    else if (c === close && frame.close === "}") return void this.stack.pop(); // the `}` also closes the ${ }
    else if (c === close && frame.close === "]") this.stack.pop();
    else if (c === close && this.items[this.i + 1] === RPAREN) {
      this.stack.pop();
      this.i++;
    }
    this.i++;
  }

  private endArithmeticToken(frame: Extract<Frame, { kind: "arith" }>): void {
    const token = frame.token;
    frame.token = "";
    // `0x1f`, `16#ff` and `1.5e3` are numbers, not names.
    if (!/^[A-Za-z_]/.test(token) || [ch("#"), ch(".")].includes(frame.tokenAfter)) return;
    this.variables.push({ name: token, evaluation: frame.evaluation });
  }

  /** A here-document body: no quoting is safe inside; an unquoted one expands `$…`, read once it ends. */
  private hereDocument(frame: Extract<Frame, { kind: "heredoc" }>): void {
    const c = this.items[this.i]!;
    if (c === SLOT) {
      frame.lineHasSlot = true;
      return this.refuseSlot("it is inside a here-document, where a quoted word is not inert");
    }
    this.i++;
    if (c !== NEWLINE) {
      frame.line += String.fromCharCode(c);
      return;
    }
    const line = frame.stripTabs ? frame.line.replace(/^\t+/, "") : frame.line;
    if (!frame.lineHasSlot && line === frame.delimiter) {
      this.stack.pop();
      // Expansions in the body behave as inside double quotes; `"` itself is not special there.
      if (frame.expands) this.scanNested(`"${frame.body.replace(/"/g, " ")}"`);
      return;
    }
    frame.body += `${frame.line}\n`;
    frame.line = "";
    frame.lineHasSlot = false;
  }

  // ---------------------------------------------------------------- unquoted text

  /** Unquoted text: the top level, inside `$( )`, or the elements of `a=( … )`. */
  private unquoted(frame: Extract<Frame, { kind: "command" }>): void {
    const c = this.items[this.i]!;
    const next = this.items[this.i + 1];
    if (c === SLOT) return this.slot("plain");
    if (c === BACKSLASH) return next === NEWLINE ? void (this.i += 2) : this.backslash(true);
    if (c === DOLLAR && next === SQUOTE) return this.openQuote(frame, "ansi", 2);
    if (c === DOLLAR) return this.dollar();
    if (c === SQUOTE) return this.openQuote(frame, "sq", 1);
    if (c === DQUOTE) return this.openQuote(frame, "dq", 1);
    if (c === BQUOTE) return this.openBackquote();
    if (c === HASH && frame.cmd.word === null) {
      this.stack.push({ kind: "comment" });
      this.i++;
      return;
    }
    if (c === LPAREN || c === RPAREN) return this.parenthesis(frame, c);
    if (isBlank(c)) return this.blank(frame);
    if (c === NEWLINE) return this.newline(frame);
    if (isOperator(c)) return this.operator(frame, c);
    this.literal(c);
    this.i++;
  }

  private openQuote(frame: Extract<Frame, { kind: "command" }>, kind: "sq" | "dq" | "ansi", length: number): void {
    frame.cmd.word ??= newWord();
    this.stack.push({ kind });
    this.i += length;
  }

  private blank(frame: Extract<Frame, { kind: "command" }>): void {
    this.endWord(frame);
    this.i++;
  }

  private newline(frame: Extract<Frame, { kind: "command" }>): void {
    this.endWord(frame);
    if (!frame.cmd.inCondition) this.endCommand(frame);
    this.i++;
    // Here-document bodies start on the line after their operator, in order.
    for (const doc of this.pendingHeredocs.splice(0).reverse()) {
      this.stack.push({ kind: "heredoc", ...doc, line: "", lineHasSlot: false, body: "" });
    }
  }

  private parenthesis(frame: Extract<Frame, { kind: "command" }>, c: number): void {
    const cmd = frame.cmd;
    const word = cmd.word;
    if (c === LPAREN && word && assignmentParts(word.text)?.value === word.text.length) {
      word.text += EXPANSION_MARK;
      this.stack.push({ kind: "command", mode: "compound", depth: 0, cmd: newCommand() });
      this.i++;
      return;
    }
    if (c === LPAREN && !word && this.items[this.i + 1] === LPAREN && this.startsArithmeticCommand(cmd)) {
      cmd.word = { ...newWord(), text: EXPANSION_MARK };
      return this.openArithmetic("))", "(( ))", 2);
    }
    this.endWord(frame);
    if (cmd.inCondition) return this.conditionOperator(cmd, 1);
    this.endCommand(frame);
    this.i++;
    if (c === LPAREN) frame.depth++;
    else if (frame.depth > 0) frame.depth--;
    else if (frame.mode !== "top") this.stack.pop(); // the `)` of `$( )` or `a=( )`
  }

  /** `((` opens an arithmetic command where a command may start, and in `for ((`. */
  private startsArithmeticCommand(cmd: CommandState): boolean {
    const last = cmd.words[cmd.words.length - 1];
    return commandNameIndex(cmd.words) === cmd.words.length || last?.text === "for";
  }

  private operator(frame: Extract<Frame, { kind: "command" }>, c: number): void {
    const cmd = frame.cmd;
    const next = this.items[this.i + 1];
    if (c === LT && next === LT && !cmd.inCondition) return this.hereDocumentOperator(frame);
    if ((c === LT || c === GT) && !cmd.inCondition) return this.redirection(frame);
    this.endWord(frame);
    if (cmd.inCondition) return this.conditionOperator(cmd, next === c ? 2 : 1);
    this.endCommand(frame);
    this.i++;
  }

  /** Inside `[[ ]]` operators are tokens of the test: `[[ ( $a -gt 1 ) && … ]]`. */
  private conditionOperator(cmd: CommandState, length: number): void {
    const text = this.items
      .slice(this.i, this.i + length)
      .map((c) => String.fromCharCode(c))
      .join("");
    cmd.words.push({ ...newWord(), text, operator: true });
    this.i += length;
  }

  /** `2> file`, `>&2`, `< in`: the target is not an argument of the command. */
  private redirection(frame: Extract<Frame, { kind: "command" }>): void {
    const cmd = frame.cmd;
    // A file descriptor number written before the operator (`2>`) belongs to it.
    if (cmd.word && /^[0-9]+$/.test(cmd.word.text) && cmd.word.slots.length === 0) cmd.word = null;
    this.endWord(frame);
    while ("<>&|".includes(String.fromCharCode(this.items[this.i] ?? 0)) && this.items[this.i] !== SLOT) this.i++;
    cmd.skipNext = true;
  }

  private hereDocumentOperator(frame: Extract<Frame, { kind: "command" }>): void {
    this.endWord(frame);
    if (this.items[this.i + 2] === LT) {
      this.i += 3; // a here-string: the word after it is an ordinary word, but not an argument
      frame.cmd.skipNext = true;
      return;
    }
    let j = this.i + 2;
    const stripTabs = this.items[j] === DASH;
    if (stripTabs) j++;
    while (j < this.items.length && isBlank(this.items[j])) j++;
    let raw = "";
    while (j < this.items.length && this.items[j] !== SLOT && !isBlank(this.items[j]) && !isOperator(this.items[j])) {
      raw += String.fromCharCode(this.items[j]!);
      j++;
    }
    if (this.items[j] === SLOT) this.uncertain = "a placeholder is part of a here-document delimiter";
    const delimiter = raw.replace(/['"\\]/g, "");
    this.pendingHeredocs.push({ delimiter, stripTabs, expands: delimiter === raw });
    this.i = j;
  }

  // ---------------------------------------------------------------- words and commands

  private endWord(frame: Extract<Frame, { kind: "command" }>): void {
    const cmd = frame.cmd;
    const word = cmd.word;
    if (!word) return;
    cmd.word = null;
    if (cmd.skipNext) {
      cmd.skipNext = false;
      return;
    }
    if (word.text === "case" && this.stack.some((f) => f.kind === "command" && f.mode === "cmdsub")) {
      this.uncertain = "a `case` inside $( ) makes the quoting of the command ambiguous";
    }
    if (word.text === "[[" && commandNameIndex(cmd.words) === cmd.words.length) cmd.inCondition = true;
    else if (word.text === "]]" && cmd.inCondition) cmd.inCondition = false;
    cmd.words.push(word);
  }

  private endCommand(frame: Extract<Frame, { kind: "command" }>): void {
    this.endWord(frame);
    const cmd = frame.cmd;
    if (frame.mode !== "compound") this.apply(analyzeCommand(cmd.words, this.integerNames));
    else this.apply(analyzeCompound(cmd.words));
    cmd.words = [];
    cmd.inCondition = false;
    cmd.skipNext = false;
  }

  /** Marks the slots and variables that the command evaluates. */
  private apply(findings: readonly Finding[]): void {
    for (const finding of findings) {
      if ("variable" in finding) {
        this.variables.push({ name: finding.variable, evaluation: finding.evaluation });
        continue;
      }
      const context = this.contexts[finding.slot];
      if (context && (context.kind === "plain" || context.kind === "single" || context.kind === "double")) {
        this.contexts[finding.slot] = { kind: "evaluated", ...finding.evaluation };
      }
    }
  }

  private finish(): void {
    for (const frame of [...this.stack].reverse()) {
      if (frame.kind === "arith") this.endArithmeticToken(frame);
      // The last here-document may end with the command, without a newline after its delimiter.
      if (frame.kind === "heredoc" && frame.expands) this.scanNested(`"${(frame.body + frame.line).replace(/"/g, " ")}"`);
      if (frame.kind === "command") this.endCommand(frame);
    }
    const open = this.top();
    if (this.stack.length > 1 && !this.uncertain && open.kind !== "comment" && open.kind !== "heredoc") {
      this.uncertain = `the command has an unterminated ${describe(open)}`;
    }
  }

  // ---------------------------------------------------------------- shared pieces

  private top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  /** A placeholder slot, read with the quoting of its frame. */
  private slot(quoting: "plain" | "single" | "double"): void {
    const index = this.slotCount++;
    const before = this.items[this.i - 1];
    this.i++;
    if (this.escaped) {
      this.escaped = false;
      this.contexts[index] = refused("it follows a backslash, which would escape the opening quote");
      return;
    }
    if (before === DOLLAR && quoting !== "single") {
      this.contexts[index] = refused("it follows a `$`; for a shell variable write ${{NAME}}, for the value use the placeholder on its own");
      return;
    }
    const scope = this.arithmeticScope();
    if (scope) {
      this.contexts[index] = { kind: "evaluated", ...scope };
      return;
    }
    this.contexts[index] = { kind: quoting };
    const word = this.wordAtLevel();
    if (word) {
      word.slots.push({ index, at: word.text.length });
      word.text += SLOT_MARK;
    }
  }

  private refuseSlot(reason: string): void {
    this.contexts[this.slotCount++] = refused(reason);
    this.i++;
  }

  /** `\x`: the next character is literal. Before a slot it would escape the slot's opening quote. */
  private backslash(escapes: boolean): void {
    const next = this.items[this.i + 1];
    if (next === SLOT) {
      this.escaped = true;
      this.i++;
      return;
    }
    if (!escapes) this.literal(BACKSLASH);
    if (next !== undefined) this.literal(next);
    this.i += 2;
  }

  /** `$…` in any context where it expands (`$'…'` is handled by the caller where it can occur). */
  private dollar(): void {
    const next = this.items[this.i + 1];
    const after = this.items[this.i + 2];
    if (next === LPAREN && after === LPAREN) return this.openArithmetic("))", "$(( ))", 3, true);
    if (next === LPAREN) {
      this.expansionOpened();
      this.stack.push({ kind: "command", mode: "cmdsub", depth: 0, cmd: newCommand() });
      this.i += 2;
      return;
    }
    if (next === LBRACKET) return this.openArithmetic("]", "$[ ]", 2, true);
    if (next === LBRACE) return this.openParameter();
    if (isNameStart(next)) return this.simpleVariable();
    if (next !== undefined && next !== SLOT && /[0-9@*#?$!-]/.test(String.fromCharCode(next))) {
      this.expansionOpened();
      this.i += 2;
      return;
    }
    this.literal(DOLLAR);
    this.i++;
  }

  /** `$NAME`, and zsh's `$NAME[…]`, whose subscript is arithmetic. */
  private simpleVariable(): void {
    let j = this.i + 1;
    let name = "";
    while (isNameChar(this.items[j])) name += String.fromCharCode(this.items[j++]!);
    this.variable(name);
    this.i = j;
    if (this.items[j] === LBRACKET) this.openArithmetic("]", "an array subscript $a[…] (zsh)", 1);
  }

  /** `${…}`: reads the name (and zsh flags, `!` or `#`) at once, then the rest in `parameter`. */
  private openParameter(): void {
    let j = this.i + 2;
    let flags = "";
    if (this.items[j] === LPAREN) {
      while (j < this.items.length && this.items[j] !== RPAREN && this.items[j] !== SLOT) flags += String.fromCharCode(this.items[j++]!);
      j++;
    }
    let prefix = "";
    if ((this.items[j] === BANG || this.items[j] === HASH) && isNameStart(this.items[j + 1])) prefix = String.fromCharCode(this.items[j++]!);
    let name = "";
    while (isNameChar(this.items[j])) name += String.fromCharCode(this.items[j++]!);
    const follows = this.items[j];
    const indirect = (prefix === "!" && follows !== LBRACKET && follows !== ch("*") && follows !== ch("@")) || flags.includes("P");
    if (name && indirect) {
      // ${!NAME} and zsh's ${(P)NAME} take NAME's value as a variable name.
      this.variables.push({ name, evaluation: { rule: "name", where: "an indirect reference ${!…}", expression: false } });
      this.expansionOpened();
    } else if (name && prefix === "") this.variable(name);
    else this.expansionOpened();
    if (!name && j < this.items.length && this.items[j] !== SLOT && /[0-9@*#?$!-]/.test(String.fromCharCode(this.items[j]!))) j++;
    this.stack.push({ kind: "param", phase: name ? "name" : "operator", depth: 0 });
    this.i = j;
  }

  private openArithmetic(close: "))" | "]" | "}", where: string, length: number, expansion = false): void {
    if (expansion) this.expansionOpened();
    this.stack.push({ kind: "arith", close, depth: 0, evaluation: arithmetic(where), token: "", tokenAfter: 0 });
    this.i += length;
  }

  private openBackquote(): void {
    this.expansionOpened();
    this.stack.push({ kind: "bq", text: "" });
    this.i++;
  }

  /** The variables a nested command (backquotes, a here-document body) evaluates. */
  private scanNested(text: string): void {
    this.variables.push(...new ShellLexer([text]).run().variables);
  }

  /** Where a value of the current frame is evaluated as arithmetic, if it is. */
  private arithmeticScope(): Evaluation | null {
    for (let k = this.stack.length - 1; k >= 0; k--) {
      const frame = this.stack[k]!;
      if (frame.kind === "arith") return frame.evaluation;
      if (frame.kind !== "dq" && frame.kind !== "sq" && frame.kind !== "param") return null;
    }
    return null;
  }

  /** The word being read, when the current frame is part of one (unquoted, or quotes inside a word). */
  private wordAtLevel(): ShellWord | null {
    for (let k = this.stack.length - 1; k >= 0; k--) {
      const frame = this.stack[k]!;
      if (frame.kind === "command") return (frame.cmd.word ??= newWord());
      if (frame.kind !== "dq" && frame.kind !== "sq" && frame.kind !== "ansi") return null;
    }
    return null;
  }

  private literal(c: number): void {
    const word = this.wordAtLevel();
    if (word) word.text += String.fromCharCode(c);
  }

  private expansionOpened(): void {
    const word = this.wordAtLevel();
    if (word) word.text += EXPANSION_MARK;
  }

  /** `$NAME` or `${NAME…}`: evaluated when inside arithmetic; otherwise part of a word the command may evaluate. */
  private variable(name: string): void {
    const scope = this.arithmeticScope();
    if (scope) this.variables.push({ name, evaluation: scope });
    const word = this.wordAtLevel();
    if (word) {
      word.refs.push({ name, at: word.text.length });
      word.text += EXPANSION_MARK;
    }
  }
}

function describe(frame: Frame): string {
  switch (frame.kind) {
    case "sq":
      return "single quote";
    case "ansi":
      return "$'…' quote";
    case "dq":
      return "double quote";
    case "bq":
      return "backquote";
    case "command":
      return frame.mode === "compound" ? "( )" : "$( )";
    case "param":
      return "${ }";
    case "arith":
      return frame.close === "))" ? "(( ))" : frame.close === "]" ? "[ ]" : "${ }";
    default:
      return frame.kind;
  }
}
