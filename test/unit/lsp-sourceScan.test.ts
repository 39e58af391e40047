import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { earlierStepNames, scanSource, stringAt } from "../../agent/lsp/sourceScan";
import {
  completionSite,
  describePlaceholder,
  findPlaceholders,
  placeholderAt,
  placeholderCompletions,
  placeholderProblems,
} from "../../agent/lsp/placeholderSites";
import { findCronStrings, looksLikeCron } from "../../agent/lsp/cronStrings";
import { mcpCallFacts, mcpHoverLines, mcpServerNameAt } from "../../agent/lsp/mcpSites";

const DIGEST = `import { defineWorkflow, shell, llm, http, code } from "clockwork";

// A comment with shell("fake", "{nope}") in it.
/* and llm("fake2", { prompt: "{nope}" }) here */
export default defineWorkflow({
  name: "daily-digest",
  steps: [
    shell("commits", "git log --since=yesterday --oneline | grep -v '{{skip}}'"),
    llm("summary", { prompt: \`Yesterday:\\n{previous.summary}\\n\\nCommits:\\n{commits}\` }),
    http("notify", { url: "http://127.0.0.1:9000/hook", method: "POST", body: "{summary} {later}" }),
    code("later", async (ctx) => ctx.steps["{not a placeholder}"] ?? /[{]/.test("x")),
    shell("tail", ["echo", "{trigger.body.id}"]),
  ],
});
`;

describe("scanSource", () => {
  const scan = scanSource(DIGEST);

  it("finds each step call with its kind and name, ignoring comments", () => {
    assert.deepEqual(
      scan.steps.map((s) => [s.kind, s.name]),
      [
        ["shell", "commits"],
        ["llm", "summary"],
        ["http", "notify"],
        ["code", "later"],
        ["shell", "tail"],
      ],
    );
    assert.deepEqual(earlierStepNames(scan, 2), ["commits", "summary"]);
  });

  it("puts each step's extent around its arguments", () => {
    const notify = scan.steps[2]!;
    assert.equal(DIGEST.slice(notify.start, notify.end).startsWith('http("notify"'), true);
    assert.equal(DIGEST.slice(notify.start, notify.end).endsWith('"{summary} {later}" })'), true);
  });

  it("records the property key a string is the value of", () => {
    const name = scan.strings.find((s) => s.text === "daily-digest");
    assert.equal(name?.key, "name");
    assert.equal(name?.step, undefined);
  });

  it("finds the defineWorkflow call for the CodeLens, not its import", () => {
    assert.equal(DIGEST.slice(scan.workflowAt!, scan.workflowAt! + 15), "defineWorkflow(");
    assert.ok(scan.workflowAt! > DIGEST.indexOf("export default"));
  });

  it("falls back to export default without defineWorkflow", () => {
    const s = scanSource(`export default { name: "x", steps: [] };`);
    assert.equal(s.workflowAt, 0);
  });

  it("copes with a half-typed file", () => {
    const s = scanSource(`export default defineWorkflow({ steps: [ shell("a", "echo {`);
    assert.equal(s.steps[0]?.name, "a");
    assert.equal(stringAt(s, s.strings.at(-1)!.end)?.text, "echo {");
  });
});

describe("findPlaceholders", () => {
  const scan = scanSource(DIGEST);
  const found = findPlaceholders(scan);

  it("finds placeholders in shell, http and llm options, template literals included, and not in comments, code steps or {{ }}", () => {
    assert.deepEqual(
      found.map((p) => p.text),
      ["{previous.summary}", "{commits}", "{summary}", "{later}", "{trigger.body.id}"],
    );
  });

  it("gives source offsets and the owning step", () => {
    const commits = found.find((p) => p.text === "{commits}")!;
    assert.equal(DIGEST.slice(commits.start, commits.end), "{commits}");
    assert.equal(scan.steps[commits.step]?.name, "summary");
    assert.equal(placeholderAt(scan, commits.start + 3)?.text, "{commits}");
  });
});

describe("describePlaceholder", () => {
  const scan = scanSource(DIGEST);
  const at = (text: string) => findPlaceholders(scan).find((p) => p.text === text)!;

  it("says an earlier step's output is read, with the last run's value when there is one", () => {
    const text = describePlaceholder(scan, at("{commits}"), {
      previousOutput: () => ({ runId: "abc123", output: "f00 fix the thing" }),
    });
    assert.match(text, /output of step `commits` \(shell, step 1\) in this run/);
    assert.match(text, /f00 fix the thing/);
    assert.match(text, /\$CLOCKWORK_STEP_COMMITS/);
  });

  it("says a later step has no output yet", () => {
    assert.match(describePlaceholder(scan, at("{later}")), /does not run before this one/);
  });

  it("says previous.* fails until there is a successful run", () => {
    const text = describePlaceholder(scan, at("{previous.summary}"), { workflowName: "daily-digest", previousOutput: () => undefined });
    assert.match(text, /last successful run of `daily-digest`/);
    assert.match(text, /no successful run yet/);
  });

  it("explains trigger fields and that a manual run lacks them", () => {
    const text = describePlaceholder(scan, at("{trigger.body.id}"));
    assert.match(text, /field `id` of the webhook or API body/);
    assert.match(text, /manual run has no such value/);
  });
});

describe("completion inside {…}", () => {
  const source = `export default defineWorkflow({ name: "w", steps: [
  shell("one", "echo 1"),
  shell("two", "echo 2"),
  llm("three", { prompt: "Use {t} and {previous.} and {{literal" }),
  shell("four", "echo 4"),
] });`;
  const scan = scanSource(source);

  it("offers earlier steps, previous.*, trigger.* and run.* matching what is typed", () => {
    const site = completionSite(scan, source.indexOf("{t}") + 2)!;
    assert.equal(site.prefix, "t");
    assert.equal(site.needsClose, false);
    const labels = placeholderCompletions(scan, site).map((c) => c.label);
    assert.ok(labels.includes("two"));
    assert.ok(labels.includes("trigger.event"));
    assert.ok(!labels.includes("three"), "not the step itself");
    assert.ok(!labels.includes("four"), "not a later step");
    assert.ok(!labels.includes("one"), "filtered by the prefix");
  });

  it("offers every step after previous.", () => {
    const site = completionSite(scan, source.indexOf("{previous.") + 10)!;
    assert.equal(site.prefix, "previous.");
    assert.deepEqual(
      placeholderCompletions(scan, site).map((c) => c.label),
      ["previous.one", "previous.two", "previous.three", "previous.four"],
    );
  });

  it("does not complete after {{, outside templates or in a step name", () => {
    assert.equal(completionSite(scan, source.indexOf("{{literal") + 4), undefined);
    assert.equal(completionSite(scan, source.indexOf('"one"') + 2), undefined);
    assert.equal(completionSite(scan, source.indexOf('"w"') + 1), undefined);
  });

  it("replaces the whole word under the cursor and adds the closing brace when missing", () => {
    const src = `defineWorkflow({ steps: [shell("a", "x"), shell("b", "echo {ab")] })`;
    const s = scanSource(src);
    const site = completionSite(s, src.indexOf("{ab") + 2)!;
    assert.equal(src.slice(site.replaceStart, site.replaceEnd), "ab");
    assert.equal(site.needsClose, true);
  });
});

describe("cron strings", () => {
  it("recognises cron-shaped strings and nicknames, not ordinary text", () => {
    assert.ok(looksLikeCron("0 9 * * 1-5"));
    assert.ok(looksLikeCron("*/5 * * * *"));
    assert.ok(looksLikeCron("0 0 9 * * MON-FRI"));
    assert.ok(looksLikeCron("@daily"));
    assert.ok(!looksLikeCron("1 2 3 4 5"), "no star: just numbers");
    assert.ok(!looksLikeCron("ls * * * *"));
    assert.ok(!looksLikeCron("echo hello"));
  });

  it("finds strings under a cron key even when they are invalid", () => {
    const scan = scanSource(`const s = { cron: "61 * * *", other: "*/10 * * * *", text: "hello" };`);
    assert.deepEqual(
      findCronStrings(scan).map((c) => [c.expression, c.declared]),
      [
        ["61 * * *", true],
        ["*/10 * * * *", false],
      ],
    );
  });
});

describe("placeholderProblems (while typing)", () => {
  it("reports placeholders naming a later, unknown or the same step, and unknown fields, at their offsets", () => {
    const src = `defineWorkflow({ steps: [
  shell("a", "echo {b} {a}"),
  shell("b", "echo {a} {previous.nope} {trigger.bogus} {comits}"),
  shell("commits", "true"),
] })`;
    const problems = placeholderProblems(scanSource(src));
    const expected: Array<[string, RegExp]> = [
      ["{b}", /^\{b\}: step "b" runs after this step/],
      ["{a}", /^\{a\}: a step cannot use its own output$/],
      ["{previous.nope}", /^\{previous\.nope\}: no step named "nope"/],
      ["{trigger.bogus}", /unknown trigger field/],
      ["{comits}", /no step named "comits" in this workflow \(did you mean "commits"\?\)$/],
    ];
    assert.equal(problems.length, expected.length);
    problems.forEach((p, i) => {
      assert.equal(src.slice(p.start, p.end), expected[i]![0]);
      assert.match(p.message, expected[i]![1]);
    });
  });

  it("says nothing about step references when a step's name is computed", () => {
    const src = 'defineWorkflow({ steps: [shell(NAME, "x"), shell("b", "echo {whatever}")] })';
    assert.deepEqual(placeholderProblems(scanSource(src)), []);
  });
});

describe("mcp steps in the source", () => {
  const source = `export default defineWorkflow({ name: "w", steps: [
  shell("one", "echo 1"),
  mcp("named", { server: "github", tool: "search_issues", arguments: { q: "{one} is:open", page: { n: "{trigger.body.n}" }, tags: ["{one}"] } }),
  mcp("inline", { server: { command: "npx", args: ["-y", "pkg"], env: { TOKEN: "\${env:GH_TOKEN}" } }, tool: \`echo\`, arguments: {} }),
  mcp("web", { server: { url: "http://127.0.0.1:3001/mcp", headers: { Authorization: "Bearer \${env:T}" } }, tool: "add" }),
] });`;
  const scan = scanSource(source);

  it("knows the option each string sits under, however deep", () => {
    const optionOf = (text: string) => scan.strings.find((s) => s.text === text)?.option;
    assert.equal(optionOf("github"), "server");
    assert.equal(optionOf("search_issues"), "tool");
    assert.equal(optionOf("{one} is:open"), "arguments");
    assert.equal(optionOf("{trigger.body.n}"), "arguments");
    assert.equal(optionOf("-y"), "server");
    assert.equal(optionOf("Bearer ${env:T}"), "server");
    assert.equal(optionOf("echo 1"), undefined, "a shell command is an argument of the call, not an option");
  });

  it("finds placeholders only in an mcp step's arguments: ${env:NAME} in a server is no placeholder", () => {
    assert.deepEqual(
      findPlaceholders(scan).map((p) => p.text),
      ["{one}", "{trigger.body.n}", "{one}"],
    );
    assert.deepEqual(placeholderProblems(scan), []);
  });

  it("offers server names only in a server written as a name", () => {
    assert.equal(mcpServerNameAt(scan, source.indexOf('"github"') + 2)?.text, "github");
    assert.equal(mcpServerNameAt(scan, source.indexOf('"npx"') + 1), undefined);
    assert.equal(mcpServerNameAt(scan, source.indexOf('"search_issues"') + 1), undefined);
  });

  it("says which server and tool a step calls", () => {
    const index = (name: string) => scan.steps.findIndex((s) => s.name === name);
    assert.deepEqual(mcpCallFacts(scan, index("named")), { serverName: "github", tool: "search_issues" });
    assert.deepEqual(mcpCallFacts(scan, index("inline")), { inline: "stdio: npx", tool: "echo" });
    assert.deepEqual(mcpHoverLines(mcpCallFacts(scan, index("named")), () => "stdio: npx -y gh"), [
      "Calls tool `search_issues` on MCP server `github`: stdio: npx -y gh.",
    ]);
    assert.deepEqual(mcpHoverLines(mcpCallFacts(scan, index("web")), () => ""), [
      "Calls tool `add` on the MCP server written here (Streamable HTTP at http://127.0.0.1:3001/mcp).",
    ]);
  });
});
