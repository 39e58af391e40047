// Quoting placeholder values into `/bin/sh -c` command strings. Pure.
//
// A value never reaches the shell as code: it is inserted as ONE single-quoted
// word, in which no character is special. So that `echo "Hello {name}"` still
// means what its author meant, the scanner below tracks the quoting context
// at each placeholder and closes the surrounding quotes around the inserted
// word ("Hello "'world'"" is one shell word). Where a single-quoted word would
// not be inert (inside backquotes, a here-document, ${…}, $((…)), after a
// backslash or a `$`), the placeholder is refused with a message pointing at
// the environment variable that carries the same value.

/** Quotes `value` as one POSIX shell word: 'it'\''s'. */
export function quoteShellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export type ShellSlotContext =
  | { kind: "plain" }
  | { kind: "single" }
  | { kind: "double" }
  | { kind: "comment" }
  | { kind: "refused"; reason: string };

/** How a value is written into the command for a given context. */
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
    case "refused":
      throw new Error(context.reason);
  }
}

type Frame =
  | { kind: "top" }
  | { kind: "cmdsub"; depth: number }
  | { kind: "dq" }
  | { kind: "sq" }
  | { kind: "bq" }
  | { kind: "param"; depth: number }
  | { kind: "arith"; depth: number }
  | { kind: "comment" }
  | { kind: "heredoc"; delimiter: string; stripTabs: boolean; line: string; lineHasSlot: boolean };

const SLOT = -1;
const code = (ch: string) => ch.charCodeAt(0);
const BACKSLASH = code("\\");
const SQUOTE = code("'");
const DQUOTE = code('"');
const BQUOTE = code("`");
const DOLLAR = code("$");
const LPAREN = code("(");
const RPAREN = code(")");
const LBRACE = code("{");
const RBRACE = code("}");
const HASH = code("#");
const LT = code("<");
const NEWLINE = code("\n");
const TAB = code("\t");
const DASH = code("-");
const isBlank = (c: number) => c === 32 || c === TAB;
const isOperator = (c: number) => ";&|()<>".includes(String.fromCharCode(c)) || c === NEWLINE;

/**
 * The quoting context of every placeholder slot in a command. `texts` are the
 * literal pieces around the slots: text0 {slot0} text1 {slot1} text2 — so a
 * command with n placeholders has n + 1 texts.
 */
export function shellSlotContexts(texts: readonly string[]): ShellSlotContext[] {
  const items: number[] = [];
  texts.forEach((text, i) => {
    for (let j = 0; j < text.length; j++) items.push(text.charCodeAt(j));
    if (i < texts.length - 1) items.push(SLOT);
  });
  const slotCount = Math.max(0, texts.length - 1);
  const contexts: ShellSlotContext[] = [];
  const stack: Frame[] = [{ kind: "top" }];
  const pendingHeredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];
  let uncertain: string | null = null;
  let atWordStart = true;
  let word = "";

  const refuse = (reason: string) => contexts.push({ kind: "refused", reason });
  const top = () => stack[stack.length - 1]!;
  const inCmdsub = () => stack.some((f) => f.kind === "cmdsub");
  const endWord = () => {
    if (word === "case" && inCmdsub()) {
      uncertain = "a `case` inside $( ) makes the quoting of the command ambiguous";
    }
    word = "";
  };

  let i = 0;
  while (i < items.length) {
    const c = items[i]!;
    const next = items[i + 1];
    const frame = top();

    if (frame.kind === "heredoc") {
      if (c === SLOT) {
        refuse("it is inside a here-document, where a quoted word is not inert");
        frame.lineHasSlot = true;
      } else if (c === NEWLINE) {
        const line = frame.stripTabs ? frame.line.replace(/^\t+/, "") : frame.line;
        if (!frame.lineHasSlot && line === frame.delimiter) stack.pop();
        else {
          frame.line = "";
          frame.lineHasSlot = false;
        }
      } else {
        frame.line += String.fromCharCode(c);
      }
      i++;
      continue;
    }

    if (frame.kind === "sq") {
      if (c === SLOT) contexts.push({ kind: "single" });
      else if (c === SQUOTE) stack.pop();
      i++;
      continue;
    }

    if (frame.kind === "comment") {
      if (c === SLOT) contexts.push({ kind: "comment" });
      if (c === NEWLINE) {
        // The parent frame sees the newline too (pending here-documents).
        stack.pop();
        continue;
      }
      i++;
      continue;
    }

    if (c === SLOT) {
      const before = items[i - 1];
      if (before === DOLLAR) {
        refuse("it follows a `$`; for a shell variable write ${{NAME}}, for the value use the placeholder on its own");
      } else if (frame.kind === "dq") contexts.push({ kind: "double" });
      else if (frame.kind === "top" || frame.kind === "cmdsub") contexts.push({ kind: "plain" });
      else if (frame.kind === "bq") refuse("it is inside backquotes; use $( ) instead");
      else if (frame.kind === "param") refuse("it is inside ${ }");
      else refuse("it is inside $(( ))");
      atWordStart = false;
      word += "\u0000";
      i++;
      continue;
    }

    if (c === BACKSLASH) {
      if (next === SLOT) {
        refuse("it follows a backslash, which would escape the opening quote");
        i++;
        continue;
      }
      if (next === NEWLINE) {
        i += 2;
        continue;
      }
      atWordStart = false;
      if (next !== undefined) word += String.fromCharCode(next);
      i += 2;
      continue;
    }

    // Substitutions open in unquoted, double-quoted, ${ } and $(( )) contexts alike.
    if (c === DOLLAR && next === LPAREN && frame.kind !== "bq") {
      if (items[i + 2] === LPAREN) {
        stack.push({ kind: "arith", depth: 0 });
        i += 3;
      } else {
        stack.push({ kind: "cmdsub", depth: 0 });
        atWordStart = true;
        word = "";
        i += 2;
      }
      continue;
    }
    if (c === DOLLAR && next === LBRACE && frame.kind !== "bq") {
      stack.push({ kind: "param", depth: 0 });
      i += 2;
      continue;
    }
    if (c === BQUOTE) {
      if (frame.kind === "bq") stack.pop();
      else stack.push({ kind: "bq" });
      atWordStart = false;
      i++;
      continue;
    }
    if (frame.kind === "bq") {
      i++;
      continue;
    }

    if (frame.kind === "dq") {
      if (c === DQUOTE) stack.pop();
      i++;
      continue;
    }
    if (frame.kind === "param") {
      if (c === SQUOTE) stack.push({ kind: "sq" });
      else if (c === DQUOTE) stack.push({ kind: "dq" });
      else if (c === LBRACE) frame.depth++;
      else if (c === RBRACE) {
        if (frame.depth === 0) stack.pop();
        else frame.depth--;
      }
      i++;
      continue;
    }
    if (frame.kind === "arith") {
      if (c === LPAREN) frame.depth++;
      else if (c === RPAREN) {
        if (frame.depth === 0 && next === RPAREN) {
          stack.pop();
          i += 2;
          continue;
        }
        if (frame.depth > 0) frame.depth--;
      }
      i++;
      continue;
    }

    // Unquoted text: the top level or inside $( ).
    if (c === SQUOTE || c === DQUOTE) {
      stack.push({ kind: c === SQUOTE ? "sq" : "dq" });
      atWordStart = false;
      word += "\u0000";
      i++;
      continue;
    }
    if (c === HASH && atWordStart) {
      endWord();
      stack.push({ kind: "comment" });
      i++;
      continue;
    }
    if (c === LT && next === LT) {
      endWord();
      if (items[i + 2] === LT) {
        i += 3; // a here-string: the word after it is an ordinary word
        atWordStart = true;
        continue;
      }
      let j = i + 2;
      let stripTabs = false;
      if (items[j] === DASH) {
        stripTabs = true;
        j++;
      }
      while (j < items.length && isBlank(items[j]!)) j++;
      let raw = "";
      while (j < items.length && items[j] !== SLOT && !isBlank(items[j]!) && !isOperator(items[j]!)) {
        raw += String.fromCharCode(items[j]!);
        j++;
      }
      if (items[j] === SLOT) uncertain = "a placeholder is part of a here-document delimiter";
      pendingHeredocs.push({ delimiter: raw.replace(/['"\\]/g, ""), stripTabs });
      i = j;
      atWordStart = true;
      continue;
    }
    if (frame.kind === "cmdsub") {
      if (c === LPAREN) frame.depth++;
      else if (c === RPAREN) {
        if (frame.depth === 0) {
          endWord();
          stack.pop();
          atWordStart = false;
          i++;
          continue;
        }
        frame.depth--;
      }
    }
    if (c === NEWLINE) {
      endWord();
      atWordStart = true;
      // Here-document bodies start on the line after their operator, in order.
      for (const doc of pendingHeredocs.splice(0).reverse()) {
        stack.push({ kind: "heredoc", delimiter: doc.delimiter, stripTabs: doc.stripTabs, line: "", lineHasSlot: false });
      }
      i++;
      continue;
    }
    if (isBlank(c) || isOperator(c)) {
      endWord();
      atWordStart = true;
    } else {
      atWordStart = false;
      word += String.fromCharCode(c);
    }
    i++;
  }
  endWord();

  if (stack.length > 1 && !uncertain) {
    const open = stack[stack.length - 1]!;
    if (open.kind !== "comment" && open.kind !== "heredoc") {
      uncertain = `the command has an unterminated ${describe(open.kind)}`;
    }
  }
  if (uncertain && slotCount > 0) {
    return Array.from({ length: slotCount }, () => ({ kind: "refused", reason: uncertain! }) as ShellSlotContext);
  }
  return contexts;
}

function describe(kind: Frame["kind"]): string {
  switch (kind) {
    case "sq":
      return "single quote";
    case "dq":
      return "double quote";
    case "bq":
      return "backquote";
    case "cmdsub":
      return "$( )";
    case "param":
      return "${ }";
    case "arith":
      return "$(( ))";
    default:
      return kind;
  }
}
