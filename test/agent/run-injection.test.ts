// Nothing a trigger sends is interpreted by a shell. Hostile values arrive
// through --body (exactly as a webhook body would) and are substituted into
// shell commands in every quoting context an author might write; each must
// arrive verbatim, and none may execute anything.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { RunRecord } from "../../agent/protocol";
import { runCliJson } from "../helpers/cli";
import { makeTestHome, workflowSource, type TestHome } from "../helpers/home";

let home: TestHome;
before(() => {
  home = makeTestHome("run-injection");
});
after(() => home.cleanup());

const PAYLOADS: Record<string, string> = {
  subst: "$(touch PWNED_subst)",
  backtick: "`touch PWNED_backtick`",
  semicolon: "; touch PWNED_semicolon",
  and: "&& touch PWNED_and &&",
  pipe: "| touch PWNED_pipe",
  quotes: `it's "quoted" ' " '\\''`,
  singleBreak: "'; touch PWNED_single; echo '",
  doubleBreak: '"; touch PWNED_double; echo "',
  glob: "* ? [a-z]*",
  newline: "line1\ntouch PWNED_newline\nline3",
  vars: "$HOME ${HOME} $0 $$ \\ \\n",
  redirect: "> PWNED_redirect < /etc/passwd",
  placeholder: "{run.id} {{x}} {trigger.body}",
};

/** How each context is written, and what the step should write to its file given the value. */
const CONTEXTS: Record<string, { step: (name: string, v: string) => string; expect: (value: string) => string }> = {
  plain: { step: (n, v) => `shell("${n}", "printf '%s' ${v} > ${n}.out")`, expect: (x) => x },
  double: { step: (n, v) => `shell("${n}", 'printf "%s" "${v}" > ${n}.out')`, expect: (x) => x },
  doubleText: { step: (n, v) => `shell("${n}", 'printf "%s" "pre ${v} post" > ${n}.out')`, expect: (x) => `pre ${x} post` },
  single: { step: (n, v) => `shell("${n}", "printf '%s' 'pre ${v} post' > ${n}.out")`, expect: (x) => `pre ${x} post` },
  adjacent: { step: (n, v) => `shell("${n}", "printf '%s' x${v}y > ${n}.out")`, expect: (x) => `x${x}y` },
  twice: { step: (n, v) => `shell("${n}", "printf '%s|%s' ${v} \\"${v}\\" > ${n}.out")`, expect: (x) => `${x}|${x}` },
  cmdsub: { step: (n, v) => `shell("${n}", 'printf "%s" "$(printf "%s" ${v})" > ${n}.out')`, expect: (x) => x.replace(/\n+$/, "") },
  nested: { step: (n, v) => `shell("${n}", 'printf "%s" "$(printf "%s" "${v}")" > ${n}.out')`, expect: (x) => x.replace(/\n+$/, "") },
  comment: { step: (n, v) => `shell("${n}", "true # ${v}\\nprintf ok > ${n}.out")`, expect: () => "ok" },
  env: { step: (n, v) => `shell("${n}", 'printf "%s" "$V" > ${n}.out', { env: { V: "${v}" } })`, expect: (x) => x },
  argv: { step: (n, v) => `shell("${n}", ["sh", "-c", 'printf "%s" "$1" > ${n}.out', "sh", "${v}"])`, expect: (x) => x },
  variable: { step: (n) => `shell("${n}", 'printf "%s" "$CLOCKWORK_TRIGGER_BODY" > ${n}.out')`, expect: () => JSON.stringify(sortedPayloads()) },
};

function sortedPayloads(): Record<string, string> {
  return Object.fromEntries(Object.keys(PAYLOADS).sort().map((k) => [k, PAYLOADS[k]!]));
}

test("hostile values substituted into shell commands arrive verbatim and execute nothing", async () => {
  home.write("decoy-a.txt", "");
  home.write("decoy-b.txt", "");
  const steps: string[] = [];
  const expected = new Map<string, string>();
  for (const [key, value] of Object.entries(PAYLOADS)) {
    for (const [context, { step, expect }] of Object.entries(CONTEXTS)) {
      if (context === "variable" && key !== "subst") continue;
      const name = `${key}_${context}`;
      steps.push(step(name, `{trigger.body.${key}}`));
      expected.set(name, expect(value));
    }
  }
  home.write("inject.workflow.ts", workflowSource("inject", steps));
  const record = await runCliJson<RunRecord>(["run", "inject.workflow.ts", "--json", "--body", JSON.stringify(PAYLOADS)], {
    env: home.env,
    cwd: home.work,
  });
  assert.equal(record.status, "success", `${record.error}`);
  for (const [name, value] of expected) {
    assert.equal(readFileSync(home.path(`${name}.out`), "utf8"), value, `step ${name}`);
  }
  const pwned = readdirSync(home.work).filter((f) => f.includes("PWNED"));
  assert.deepEqual(pwned, [], "no injected command ran");
  assert.equal(existsSync("PWNED_subst"), false);
});

test("a value in a context where quoting cannot protect it is refused, not run", async () => {
  home.write(
    "unsafe.workflow.ts",
    workflowSource("unsafe", [`shell("backticks", "echo \`echo {trigger.body.v}\` > out.txt")`, `shell("heredoc", "cat <<EOF > out.txt\\n{trigger.body.v}\\nEOF")`]),
  );
  const record = await runCliJson<RunRecord>(["run", "unsafe.workflow.ts", "--json", "--body", '{"v":"$(touch PWNED_late)"}'], {
    env: home.env,
    cwd: home.work,
  });
  assert.equal(record.status, "failed");
  assert.equal(
    record.steps[0]!.error,
    "{trigger.body.v} cannot be placed safely in this shell command: it is inside backquotes; use $( ) instead. Its value is also in $CLOCKWORK_TRIGGER_BODY",
  );
  assert.equal(existsSync(home.path("out.txt")), false, "the refused command never ran");
  assert.deepEqual(readdirSync(home.work).filter((f) => f.includes("PWNED")), []);
});
