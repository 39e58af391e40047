import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { quoteShellWord, shellSlotContexts, spliceShellValue } from "../../agent/core/shellQuote";

/** Contexts of the {} slots in a command written with {} for each placeholder. */
function contexts(command: string): string[] {
  return shellSlotContexts(command.split("{}")).map((c) => (c.kind === "refused" ? `refused: ${c.reason}` : c.kind));
}

describe("quoting one word", () => {
  test("single quotes inside a value are closed, escaped and reopened", () => {
    assert.equal(quoteShellWord("it's"), `'it'\\''s'`);
    assert.equal(quoteShellWord(""), "''");
    assert.equal(quoteShellWord("$(x) `y` \\ \n *"), "'$(x) `y` \\ \n *'");
  });

  test("a comment gets the value on one line so nothing can leave the comment", () => {
    assert.equal(spliceShellValue({ kind: "comment" }, "a\nrm -rf ~\r\n"), "a rm -rf ~  ");
  });
});

describe("the quoting context of each placeholder", () => {
  test("plain words, double quotes and single quotes", () => {
    assert.deepEqual(contexts(`echo {} "a {} b" 'c {} d' x{}y`), ["plain", "double", "single", "plain"]);
  });

  test("escaped quotes do not open or close anything", () => {
    assert.deepEqual(contexts(`echo \\" {} "a \\" {}"`), ["plain", "double"]);
  });

  test("command substitution starts a fresh unquoted context, even inside double quotes", () => {
    assert.deepEqual(contexts(`echo "$(printf %s {}) and $(echo "{}")"`), ["plain", "double"]);
    assert.deepEqual(contexts(`x=$( (cd /tmp && ls {}) )`), ["plain"]);
  });

  test("a # starting a word begins a comment; inside a word it does not", () => {
    assert.deepEqual(contexts("echo a#{} # note {}\necho {}"), ["plain", "comment", "plain"]);
    assert.deepEqual(contexts("echo $#{}"), ["plain"]);
  });

  test("backquotes, ${ } words, $'…' and here-documents are refused", () => {
    assert.match(contexts("echo `echo {}`")[0]!, /refused: it is inside backquotes/);
    assert.match(contexts("echo ${X:-{}}")[0]!, /refused: it is inside \$\{ \}/);
    assert.match(contexts("echo $'a {} b'")[0]!, /refused: it is inside \$'…', where a backslash escapes the closing quote/);
    assert.match(contexts("cat <<EOF\nhello {}\nEOF\necho {}")[0]!, /refused: it is inside a here-document/);
    assert.equal(contexts("cat <<EOF\nhello {}\nEOF\necho {}")[1], "plain");
  });

  test("after a backslash only that placeholder is refused; the next one keeps its own context", () => {
    assert.deepEqual(
      contexts('echo \\{} "{}"').map((c) => c.split(":")[0]),
      ["refused", "double"],
    );
  });

  test("a here-document ends at its delimiter line, <<- strips tabs, and here-strings are plain", () => {
    assert.deepEqual(contexts("cat <<'EOF' > f\n{{x}}\nEOF\necho {}"), ["plain"]);
    assert.deepEqual(contexts("cat <<-EOF\n\tbody\n\tEOF\necho {}"), ["plain"]);
    assert.deepEqual(contexts("cat <<< {}"), ["plain"]);
  });

  test("after a backslash or a $ the opening quote would not be a quote: refused", () => {
    assert.match(contexts("echo \\{}")[0]!, /refused: it follows a backslash/);
    assert.match(contexts('echo "\\{}"')[0]!, /refused: it follows a backslash/);
    assert.match(contexts("echo ${}")[0]!, /refused: it follows a `\$`/);
  });

  test("an unterminated quote makes every placeholder unsafe", () => {
    const all = contexts(`echo {} "unclosed {}`);
    assert.equal(all.length, 2);
    for (const c of all) assert.match(c, /refused: the command has an unterminated double quote/);
  });

  test("a case inside $( ) is refused: its ) would mislead the scanner", () => {
    for (const c of contexts(`echo "$(case $x in a) echo "{}";; esac)"`)) assert.match(c, /refused: a `case` inside \$\( \)/);
    assert.deepEqual(contexts("case $x in a) echo {};; esac"), ["plain"]);
  });
});
