// Nothing a trigger sends reaches a shell interpreter, whichever shell runs
// the step: dash, bash, bash in POSIX mode (what /bin/sh is on systems where
// it is bash) and zsh, each given to steps through the `shell` option. Real
// `clockwork run` processes and real shells; hostile values arrive through
// --body exactly as a webhook body would.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RunRecord } from "../../agent/protocol";
import { runCliJson } from "../helpers/cli";
import { makeTestHome, workflowSource, type TestHome } from "../helpers/home";

const ZSH = "/usr/bin/zsh";

let home: TestHome;
before(() => {
  home = makeTestHome("shells");
  // bash started under the name `sh` runs in POSIX mode, as /bin/sh does where it is bash.
  mkdirSync(join(home.root, "posix"));
  symlinkSync("/bin/bash", join(home.root, "posix", "sh"));
});
after(() => home.cleanup());

interface Shell {
  label: string;
  path: () => string;
  kind: "dash" | "bash" | "zsh";
}

const SHELLS: Shell[] = [
  { label: "dash", path: () => "/bin/dash", kind: "dash" },
  { label: "bash", path: () => "/bin/bash", kind: "bash" },
  { label: "bash --posix (bash as sh)", path: () => join(home.root, "posix", "sh"), kind: "bash" },
  { label: "zsh", path: () => ZSH, kind: "zsh" },
];

if (!existsSync(ZSH)) {
  console.error(`\n!!! ${ZSH} is missing: the injection corpus is NOT run under zsh (install the zsh package; CI does) !!!\n`);
}

/** Values that would run something if a shell read them as code. */
const PAYLOADS: Record<string, string> = {
  subst: "$(touch PWNED_subst)",
  backtick: "`touch PWNED_backtick`",
  semicolon: "; touch PWNED_semicolon",
  quotes: `it's "quoted" ' " '\\''`,
  singleBreak: "'; touch PWNED_single; echo '",
  doubleBreak: '"; touch PWNED_double; echo "',
  newline: "line1\ntouch PWNED_newline\nline3",
  carriageReturn: "a\r; touch PWNED_cr\rb",
  subscript: "a[$(touch PWNED_subscript)]",
  backtickSubscript: "x[`touch PWNED_btsub`]",
  vars: "$HOME ${HOME} $0 $$ \\ \\n",
};

/** Places where the shell takes the value as text: each must arrive verbatim. */
const TEXT_CONTEXTS: Record<string, { step: (name: string, v: string) => string; expect: (value: string) => string }> = {
  plain: { step: (n, v) => `"printf '%s' ${v} > ${n}.out"`, expect: (x) => x },
  double: { step: (n, v) => `'printf "%s" "pre ${v} post" > ${n}.out'`, expect: (x) => `pre ${x} post` },
  single: { step: (n, v) => `"printf '%s' 'pre ${v} post' > ${n}.out"`, expect: (x) => `pre ${x} post` },
  adjacent: { step: (n, v) => `"printf '%s' x${v}y > ${n}.out"`, expect: (x) => `x${x}y` },
  cmdsub: { step: (n, v) => `'printf "%s" "$(printf "%s" ${v})" > ${n}.out'`, expect: (x) => x.replace(/\n+$/, "") },
  textTest: { step: (n, v) => `"if [ ${v} = never ]; then :; fi; printf ok > ${n}.out"`, expect: () => "ok" },
  comment: { step: (n, v) => `"true # ${v}\\nprintf ok > ${n}.out"`, expect: () => "ok" },
};

/**
 * Places where bash or zsh evaluate the value. `ok`: the output for the value
 * 7 in the shells that have the construct (dash has only $(( ))).
 */
interface Evaluated {
  command: string;
  where: RegExp;
  ok?: { output: string; kinds: Array<Shell["kind"]> };
  env?: Record<string, string>;
  /** The body is sent as raw text (for $CLOCKWORK_TRIGGER_BODY), not as {"v": …}. */
  raw?: true;
}

const ALL: Array<Shell["kind"]> = ["dash", "bash", "zsh"];
const BASH_ZSH: Array<Shell["kind"]> = ["bash", "zsh"];
const EVALUATED: Record<string, Evaluated> = {
  cond: { command: "if [[ {trigger.body.v} -gt 5 ]]; then echo big; else echo small; fi", where: /an operand of \[\[ … -gt … \]\]/, ok: { output: "big", kinds: BASH_ZSH } },
  arithExpansion: { command: "echo $(( {trigger.body.v} * 2 ))", where: /\$\(\( \)\)/, ok: { output: "14", kinds: ALL } },
  arithCommand: { command: "if (( {trigger.body.v} > 5 )); then echo big; fi", where: /\(\( \)\)/, ok: { output: "big", kinds: BASH_ZSH } },
  let: { command: 'let "x = {trigger.body.v} + 1"; echo $x', where: /a `let` argument/, ok: { output: "8", kinds: BASH_ZSH } },
  forLoop: { command: "for (( i = {trigger.body.v}; i < 9; i++ )); do printf %s $i; done", where: /\(\( \)\)/, ok: { output: "78", kinds: BASH_ZSH } },
  oldArith: { command: "echo $[ {trigger.body.v} + 1 ]", where: /\$\[ \]/, ok: { output: "8", kinds: BASH_ZSH } },
  substring: { command: "x=abcdefghij; echo ${{x:{trigger.body.v}:2}}", where: /a substring offset/, ok: { output: "hi", kinds: BASH_ZSH } },
  integerVar: { command: "declare -i n; n={trigger.body.v}; echo $(( n + 1 ))", where: /the value of n, an integer variable/, ok: { output: "8", kinds: BASH_ZSH } },
  assignSubscript: { command: "a[{trigger.body.v}]=x; echo done", where: /an array subscript a\[…\]=/ },
  readSubscript: { command: "a=(1 2); echo ${{a[{trigger.body.v}]}}", where: /an array subscript \$\{a\[…\]\}/ },
  readName: { command: "read -r {trigger.body.v} < /dev/null; echo done", where: /a variable name given to `read`/ },
  printfName: { command: "printf -v {trigger.body.v} %s x; echo done", where: /the argument of `printf -v`/ },
  envVariable: {
    command: 'if [[ "$CLOCKWORK_TRIGGER_BODY" -gt 5 ]]; then echo big; fi',
    where: /^\$CLOCKWORK_TRIGGER_BODY is used as a number in an operand of \[\[ … -gt … \]\]/,
    ok: { output: "big", kinds: BASH_ZSH },
    raw: true,
  },
  bareVariable: { command: "(( CLOCKWORK_TRIGGER_BODY > 5 )) && echo big", where: /^\$CLOCKWORK_TRIGGER_BODY is used as a number in \(\( \)\)/, ok: { output: "big", kinds: BASH_ZSH }, raw: true },
  envOption: { command: "(( N > 5 )) && echo big", env: { N: "{trigger.body.v}" }, where: /^\$N is used as a number in \(\( \)\)/, ok: { output: "big", kinds: BASH_ZSH } },
};

/** The backtick form of the subscript payload is tried where bash and zsh parse it differently. */
const BACKTICK_TOO = ["cond", "arithExpansion", "arithCommand", "envVariable"];

function stepSource(name: string, command: string, shell: string, extra: Record<string, unknown> = {}): string {
  return `shell(${JSON.stringify(name)}, ${command}, ${JSON.stringify({ shell, ...extra })})`;
}

async function run(file: string, body: string): Promise<RunRecord> {
  return runCliJson<RunRecord>(["run", file, "--json", "--body", body], { env: home.env, cwd: home.work });
}

function pwned(): string[] {
  return readdirSync(home.work).filter((f) => f.includes("PWNED"));
}

for (const shell of SHELLS) {
  const skip = shell.kind === "zsh" && !existsSync(ZSH) ? `${ZSH} is not installed` : false;

  describe(`shell steps under ${shell.label}`, { skip, timeout: 120_000, concurrency: 3 }, () => {
    const id = shell.label.replace(/[^a-z]+/g, "_");

    test("hostile values in text contexts arrive verbatim and run nothing", async () => {
      const steps: string[] = [];
      const expected = new Map<string, string>();
      for (const [key, value] of Object.entries(PAYLOADS)) {
        for (const [context, { step, expect }] of Object.entries(TEXT_CONTEXTS)) {
          const name = `${id}_${key}_${context}`;
          steps.push(stepSource(name, step(name, `{trigger.body.${key}}`), shell.path()));
          expected.set(name, expect(value));
        }
      }
      steps.push(stepSource(`${id}_variable`, `'printf "%s" "$CLOCKWORK_TRIGGER_BODY" > ${id}_variable.out'`, shell.path()));
      home.write(`${id}-text.workflow.ts`, workflowSource(`${id}-text`, steps));
      const record = await run(`${id}-text.workflow.ts`, JSON.stringify(PAYLOADS));
      assert.equal(record.status, "success", `${record.error}`);
      for (const [name, value] of expected) assert.equal(readFileSync(home.path(`${name}.out`), "utf8"), value, `step ${name}`);
      assert.deepEqual(JSON.parse(readFileSync(home.path(`${id}_variable.out`), "utf8")), PAYLOADS);
      assert.deepEqual(pwned(), []);
    });

    test("a value with a NUL byte fails its step before anything runs", async () => {
      home.write(`${id}-nul.workflow.ts`, workflowSource(`${id}-nul`, [stepSource("nul", `"touch ${id}_nul_ran {trigger.body.v}"`, shell.path())]));
      const record = await run(`${id}-nul.workflow.ts`, JSON.stringify({ v: "a\u0000; touch PWNED_nul" }));
      assert.equal(record.status, "failed");
      assert.equal(record.steps[0]!.error, "{trigger.body.v}: the value contains a NUL byte, which no command can receive");
      assert.equal(existsSync(home.path(`${id}_nul_ran`)), false);
      assert.deepEqual(pwned(), []);
    });

    for (const [context, spec] of Object.entries(EVALUATED)) {
      const payloads: Array<[string, string]> = [["subscript", `a[$(touch PWNED_${id}_${context})]`]];
      if (BACKTICK_TOO.includes(context)) payloads.push(["backtick subscript", `x[\`touch PWNED_${id}_${context}_bt\`]`]);
      for (const [payloadName, payload] of payloads) {
        test(`${context}: a ${payloadName} is refused with where and why, and runs nothing`, async () => {
          const file = `${id}-${context}-${payloadName.replace(" ", "-")}.workflow.ts`;
          const marker = `${id}_${context}_ran`;
          const command = JSON.stringify(`touch ${marker}; ${spec.command}`);
          home.write(file, workflowSource(file.replace(".workflow.ts", ""), [stepSource("step", command, shell.path(), spec.env ? { env: spec.env } : {})]));
          const record = await run(file, spec.raw ? payload : JSON.stringify({ v: payload }));
          assert.equal(record.status, "failed");
          const error = record.steps[0]!.error ?? "";
          assert.match(error, spec.where);
          assert.match(error, /is used as (a number|a variable name) in .* only a plain (integer|variable name)/);
          assert.ok(error.includes(JSON.stringify(payload)), error);
          assert.equal(existsSync(home.path(marker)), false, "the step's process never started");
          assert.deepEqual(pwned(), []);
        });
      }
    }

    test("plain integers are accepted where they are evaluated, and evaluated", async () => {
      const usable = Object.entries(EVALUATED).filter(([, spec]) => spec.ok?.kinds.includes(shell.kind));
      const steps = usable.map(([context, spec]) => {
        const command = spec.raw ? spec.command.replace(/CLOCKWORK_TRIGGER_BODY/g, "CLOCKWORK_TRIGGER_BODY_V") : spec.command;
        const env = spec.raw ? { CLOCKWORK_TRIGGER_BODY_V: "{trigger.body.v}" } : spec.env;
        return stepSource(context, JSON.stringify(command), shell.path(), env ? { env } : {});
      });
      home.write(`${id}-ok.workflow.ts`, workflowSource(`${id}-ok`, steps));
      const record = await run(`${id}-ok.workflow.ts`, JSON.stringify({ v: 7 }));
      assert.equal(record.status, "success", `${record.error}`);
      assert.deepEqual(
        record.steps.map((step) => [step.name, step.output]),
        usable.map(([context, spec]) => [context, spec.ok!.output]),
      );
    });
  });
}

describe("which shell runs a string command", () => {
  const probe = 'if [ -n "$BASH_VERSION" ]; then echo "bash $(shopt -o posix)"; elif [ -n "$ZSH_VERSION" ]; then echo zsh; else echo other; fi';

  test("the shell option picks the interpreter; bash as sh runs in POSIX mode; the default is /bin/sh", async () => {
    home.write(
      "which.workflow.ts",
      workflowSource("which", [
        stepSource("bash", JSON.stringify(probe), "/bin/bash"),
        stepSource("posix", JSON.stringify(probe), join(home.root, "posix", "sh")),
        `shell("default", ${JSON.stringify('readlink -f "/proc/$$/exe"')})`,
      ]),
    );
    const record = await runCliJson<RunRecord>(["run", "which.workflow.ts", "--json"], { env: { ...home.env, CLOCKWORK_SHELL: "" }, cwd: home.work });
    assert.equal(record.status, "success", `${record.error}`);
    assert.match(record.steps[0]!.output ?? "", /^bash posix\s+off$/);
    assert.match(record.steps[1]!.output ?? "", /^bash posix\s+on$/);
    assert.equal(record.steps[2]!.output, realpathSync("/bin/sh"));
  });

  test("CLOCKWORK_SHELL sets the default, and a relative one fails the step with what to write", async () => {
    home.write("env-shell.workflow.ts", workflowSource("env-shell", [`shell("probe", ${JSON.stringify(probe)})`]));
    const withBash = await runCliJson<RunRecord>(["run", "env-shell.workflow.ts", "--json"], { env: { ...home.env, CLOCKWORK_SHELL: "/bin/bash" }, cwd: home.work });
    assert.match(withBash.steps[0]!.output ?? "", /^bash posix\s+off$/);
    const relative = await runCliJson<RunRecord>(["run", "env-shell.workflow.ts", "--json"], { env: { ...home.env, CLOCKWORK_SHELL: "bash" }, cwd: home.work });
    assert.equal(relative.status, "failed");
    assert.equal(relative.steps[0]!.error, 'CLOCKWORK_SHELL must be an absolute path, such as "/bin/bash", not "bash"');
  });

  test("a shell option that is not an absolute path is a load error naming the step", async () => {
    home.write("bad-shell.workflow.ts", workflowSource("bad-shell", [`shell("s", "true", { shell: "zsh" })`]));
    const record = await runCliJson<RunRecord>(["run", "bad-shell.workflow.ts", "--json"], { env: home.env, cwd: home.work });
    assert.equal(record.status, "failed");
    assert.match(record.error ?? "", /bad-shell\.workflow\.ts:\d+:\d+: step "s" \(shell\): option "shell": must be an absolute path, such as "\/bin\/bash", not "zsh"/);
  });
});
