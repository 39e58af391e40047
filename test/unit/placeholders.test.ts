import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { placeholderEnv, MAX_ENV_TOTAL_BYTES, MAX_ENV_VALUE_BYTES } from "../../agent/core/placeholderEnv";
import {
  envName,
  envVarFor,
  parseTemplate,
  PlaceholderError,
  renderJson,
  renderJsonValues,
  renderTemplate,
  stableStringify,
  type ResolveContext,
} from "../../agent/core/placeholders";

function context(overrides: Partial<ResolveContext> = {}): ResolveContext {
  return {
    workflow: "digest",
    steps: ["commits", "summary", "notify"],
    current: 2,
    outputs: { commits: "abc fix\ndef feat", summary: "All good." },
    previous: (step) => (step === "summary" ? "Yesterday was fine." : undefined),
    trigger: { event: "manual" },
    run: { id: "k3j2h1g0f9e8", scheduledFor: null },
    ...overrides,
  };
}

function failure(fn: () => unknown): PlaceholderError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof PlaceholderError, `expected a PlaceholderError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to throw");
}

describe("parsing templates", () => {
  test("text and placeholders alternate, with offsets", () => {
    assert.deepEqual(parseTemplate("a {b} c {trigger.body.x}"), [
      { kind: "text", text: "a " },
      { kind: "placeholder", text: "{b}", path: ["b"], offset: 2 },
      { kind: "text", text: " c " },
      { kind: "placeholder", text: "{trigger.body.x}", path: ["trigger", "body", "x"], offset: 8 },
    ]);
  });

  test("doubled braces are literal braces and never placeholders", () => {
    assert.deepEqual(parseTemplate("awk '{{print $1}}' {{x}}"), [{ kind: "text", text: "awk '{print $1}' {x}" }]);
  });

  test("a lone brace is an error that says how to write a literal one", () => {
    const open = failure(() => parseTemplate("awk '{print $1}'"));
    assert.match(open.message, /"\{print \$1\}" is not a placeholder/);
    assert.match(open.message, /write \{\{ and \}\}/);
    assert.equal(open.offset, 5);
    assert.match(failure(() => parseTemplate("a } b")).message, /unmatched "\}"/);
    assert.match(failure(() => parseTemplate("tail {")).message, /not a placeholder/);
    assert.match(failure(() => parseTemplate("{}")).message, /not a placeholder/);
  });
});

describe("resolving placeholders", () => {
  test("a step name gives that earlier step's output", () => {
    assert.equal(renderTemplate("{summary}!", context()), "All good.!");
  });

  test("an unknown step is named with a suggestion", () => {
    const error = failure(() => renderTemplate("{sumary}", context()));
    assert.equal(error.placeholder, "{sumary}");
    assert.match(error.message, /^\{sumary\}: no step named "sumary" in this workflow \(did you mean "summary"\?\)/);
  });

  test("a later step, or the step itself, has no output yet", () => {
    assert.match(failure(() => renderTemplate("{notify}", context({ current: 1 }))).message, /runs after this step/);
    assert.match(failure(() => renderTemplate("{summary}", context({ current: 1 }))).message, /its own output/);
  });

  test("{previous.x} is the lookup's value, and strict when there is none", () => {
    assert.equal(renderTemplate("{previous.summary}", context()), "Yesterday was fine.");
    const none = failure(() => renderTemplate("{previous.commits}", context()));
    assert.match(none.message, /^\{previous\.commits\}: workflow "digest" has no earlier successful run with a step "commits"/);
    assert.match(failure(() => renderTemplate("{previous.nope}", context())).message, /no step named "nope"/);
  });

  test("in a file-triggered run {trigger.event} is the file event and {trigger.kind} is file", () => {
    const ctx = context({ trigger: { event: "file", path: "/notes/a.md", fileEvent: "deleted", name: "notes" } });
    assert.equal(renderTemplate("{trigger.event} {trigger.kind} {trigger.path}", ctx), "deleted file /notes/a.md");
  });

  test("{trigger.event}, {run.id}, {run.workflow} always resolve", () => {
    assert.equal(renderTemplate("{trigger.event} {run.id} {run.workflow}", context()), "manual k3j2h1g0f9e8 digest");
  });

  test("{trigger.body} is sorted JSON for objects and the raw text otherwise", () => {
    const body = { z: 1, a: { y: [2, { d: 1, c: 2 }], b: null } };
    assert.equal(renderTemplate("{trigger.body}", context({ trigger: { event: "webhook", body } })), '{"a":{"b":null,"y":[2,{"c":2,"d":1}]},"z":1}');
    assert.equal(renderTemplate("{trigger.body}", context({ trigger: { event: "webhook", body: "plain text" } })), "plain text");
  });

  test("{trigger.body.a.b} walks into objects and arrays", () => {
    const ctx = context({ trigger: { event: "webhook", body: { pull_request: { title: "Fix", labels: [{ name: "bug" }], draft: false } } } });
    assert.equal(renderTemplate("{trigger.body.pull_request.title}", ctx), "Fix");
    assert.equal(renderTemplate("{trigger.body.pull_request.labels.0.name}", ctx), "bug");
    assert.equal(renderTemplate("{trigger.body.pull_request.draft}", ctx), "false");
    assert.equal(renderTemplate("{trigger.body.pull_request.labels}", ctx), '[{"name":"bug"}]');
    assert.match(failure(() => renderTemplate("{trigger.body.pull_request.body}", ctx)).message, /the body has no field "pull_request\.body"/);
    assert.match(failure(() => renderTemplate("{trigger.body.pull_request.labels.3}", ctx)).message, /no element "pull_request\.labels\.3" \(the array has 1\)/);
    assert.match(failure(() => renderTemplate("{trigger.body.pull_request.title.x}", ctx)).message, /"pull_request\.title" is a string, not an object/);
  });

  test("a field of a text body, or a body on a manual run without one, fails with the reason", () => {
    assert.match(failure(() => renderTemplate("{trigger.body.a}", context({ trigger: { event: "webhook", body: "hi" } }))).message, /not JSON/);
    assert.match(failure(() => renderTemplate("{trigger.body}", context())).message, /this manual run has no body \(pass one with clockwork run --body/);
  });

  test("headers are matched case-insensitively and explain a missing one", () => {
    const ctx = context({ trigger: { event: "webhook", headers: { "x-github-event": "push" } } });
    assert.equal(renderTemplate("{trigger.headers.X-GitHub-Event}", ctx), "push");
    assert.match(failure(() => renderTemplate("{trigger.headers.x-other}", ctx)).message, /register it with --header x-other/);
    // An allow-listed header is always passed: only the request can lack it.
    const missing = failure(() => renderTemplate("{trigger.headers.user-agent}", ctx)).message;
    assert.match(missing, /the request had no "user-agent" header/);
    assert.doesNotMatch(missing, /--header/);
    assert.match(failure(() => renderTemplate("{trigger.headers.x}", context())).message, /only webhook runs have headers/);
  });

  test("{trigger.path} and {run.scheduled_for} exist only for file and cron runs", () => {
    assert.match(failure(() => renderTemplate("{trigger.path}", context())).message, /only file-triggered runs have a path; this is a manual run/);
    assert.match(failure(() => renderTemplate("{run.scheduled_for}", context())).message, /only scheduled runs/);
    assert.match(failure(() => renderTemplate("{trigger.path}", context({ trigger: { event: "api" } }))).message, /; this is an api run$/);
    const cron = context({ trigger: { event: "cron" }, run: { id: "x", scheduledFor: "2026-03-09T08:00:00.000Z" } });
    assert.equal(renderTemplate("{run.scheduled_for}", cron), "2026-03-09T08:00:00.000Z");
    assert.equal(renderTemplate("{trigger.path}", context({ trigger: { event: "file", path: "/notes/a.md" } })), "/notes/a.md");
  });

  test("unknown trigger and run fields, and fields on a step output, are refused", () => {
    assert.match(failure(() => renderTemplate("{trigger.bdy}", context())).message, /unknown trigger field/);
    assert.match(failure(() => renderTemplate("{run.idx}", context())).message, /unknown run field/);
    assert.match(failure(() => renderTemplate("{summary.text}", context())).message, /a step's output is text without fields/);
  });

  test("the first failing placeholder stops rendering: nothing is half substituted", () => {
    assert.throws(() => renderTemplate("{summary} {missing}", context()), /missing/);
  });

  test("url mode percent-encodes values except a placeholder that starts the url", () => {
    const ctx = context({ outputs: { commits: "a b&c=d", summary: "http://h:1/api" } });
    assert.equal(renderTemplate("{summary}/search?q={commits}", ctx, "url"), "http://h:1/api/search?q=a%20b%26c%3Dd");
  });

  test("renderJson resolves strings at any depth and leaves other values alone", () => {
    assert.deepEqual(renderJson({ text: "{summary}", n: 3, list: ["{run.id}", true] }, context()), {
      text: "All good.",
      n: 3,
      list: ["k3j2h1g0f9e8", true],
    });
  });
});

describe("shell mode", () => {
  const ctx = context({ outputs: { commits: "it's $(rm -rf ~) `x` ; && *", summary: "two\nlines" } });

  test("a value becomes one single-quoted word", () => {
    assert.equal(renderTemplate("echo {commits}", ctx, "shell"), `echo 'it'\\''s $(rm -rf ~) \`x\` ; && *'`);
  });

  test("inside double quotes the quotes are closed around the word", () => {
    assert.equal(renderTemplate('echo "said: {summary}."', ctx, "shell"), `echo "said: "'two\nlines'"."`);
  });

  test("inside single quotes the quotes are closed around the word", () => {
    assert.equal(renderTemplate("echo 'said: {summary}.'", ctx, "shell"), `echo 'said: ''two\nlines''.'`);
  });

  test("unsafe positions are refused, naming the environment variable to use", () => {
    const error = failure(() => renderTemplate("echo `echo {commits}`", ctx, "shell"));
    assert.match(error.message, /\{commits\} cannot be placed safely in this shell command: it is inside backquotes/);
    assert.match(error.message, /\$CLOCKWORK_STEP_COMMITS/);
  });

  test("a NUL byte cannot reach a command", () => {
    assert.match(failure(() => renderTemplate("echo {summary}", context({ outputs: { summary: "a\u0000b", commits: "" } }), "shell")).message, /NUL byte/);
  });
});

describe("environment variables", () => {
  test("names are upper-cased with anything else turned into _", () => {
    assert.equal(envName("send-email.v2"), "SEND_EMAIL_V2");
    assert.equal(envVarFor(["previous", "summary"]), "CLOCKWORK_PREVIOUS_SUMMARY");
    assert.equal(envVarFor(["trigger", "headers", "x-github-event"]), "CLOCKWORK_TRIGGER_HEADER_X_GITHUB_EVENT");
    assert.equal(envVarFor(["trigger", "body", "a", "b"]), "CLOCKWORK_TRIGGER_BODY");
    assert.equal(envVarFor(["run", "scheduled_for"]), "CLOCKWORK_RUN_SCHEDULED_FOR");
    assert.equal(envVarFor(["my-step"]), "CLOCKWORK_STEP_MY_STEP");
  });

  test("a shell step sees earlier outputs, resolvable previous values and the trigger", () => {
    const { env } = placeholderEnv(
      context({
        current: 1,
        trigger: { event: "webhook", body: { b: 1, a: 2 }, headers: { "x-github-event": "push" }, name: "gh" },
      }),
    );
    assert.deepEqual(env, {
      CLOCKWORK_RUN_ID: "k3j2h1g0f9e8",
      CLOCKWORK_RUN_WORKFLOW: "digest",
      CLOCKWORK_TRIGGER_EVENT: "webhook",
      CLOCKWORK_TRIGGER_KIND: "webhook",
      CLOCKWORK_TRIGGER_NAME: "gh",
      CLOCKWORK_TRIGGER_BODY: '{"a":2,"b":1}',
      CLOCKWORK_TRIGGER_HEADER_X_GITHUB_EVENT: "push",
      CLOCKWORK_STEP_COMMITS: "abc fix\ndef feat",
      CLOCKWORK_PREVIOUS_SUMMARY: "Yesterday was fine.",
    });
  });

  test("a value too large for the environment is left out and reported", () => {
    const big = "x".repeat(MAX_ENV_VALUE_BYTES + 1);
    const { env, omitted } = placeholderEnv(context({ outputs: { commits: big, summary: "" } }));
    assert.equal(env.CLOCKWORK_STEP_COMMITS, undefined);
    assert.equal(env.CLOCKWORK_STEP_SUMMARY, "");
    assert.deepEqual(omitted, [{ name: "CLOCKWORK_STEP_COMMITS", value: big, bytes: big.length }]);
  });

  test("when all values together would not fit, the largest ones leave the environment too", () => {
    const outputs: Record<string, string> = {};
    const steps: string[] = [];
    for (let i = 0; i < 12; i++) {
      steps.push(`s${i}`);
      outputs[`s${i}`] = String(i % 10).repeat(100_000 + i);
    }
    const { env, omitted } = placeholderEnv(context({ steps: [...steps, "last"], current: 12, outputs, previous: () => undefined }));
    const size = Object.entries(env).reduce((sum, [k, v]) => sum + k.length + v.length + 2, 0);
    assert.ok(size <= MAX_ENV_TOTAL_BYTES, `${size} bytes in the environment`);
    assert.deepEqual(omitted.map((o) => o.name), ["CLOCKWORK_STEP_S11", "CLOCKWORK_STEP_S10"], "the largest go first");
    assert.equal(env.CLOCKWORK_STEP_S0, outputs.s0);
  });

  test("stableStringify sorts keys at every level", () => {
    assert.equal(stableStringify({ b: [{ d: 1, c: 0 }], a: "x" }), '{"a":"x","b":[{"c":0,"d":1}]}');
  });
});

describe("placeholders in JSON values (an mcp step's arguments)", () => {
  const body = { a: 2, b: { c: [1, "x"] }, text: "hi", none: null };
  const ctx = context({ trigger: { event: "webhook", body } });

  test("a string that is exactly one body placeholder takes that value with its JSON type", () => {
    assert.deepEqual(renderJsonValues({ n: "{trigger.body.a}", obj: "{trigger.body.b}", all: "{trigger.body}", none: "{trigger.body.none}" }, ctx), {
      n: 2,
      obj: { c: [1, "x"] },
      all: body,
      none: null,
    });
  });

  test("other strings get text, step outputs stay text, and other values are left alone", () => {
    assert.deepEqual(renderJsonValues({ msg: "a={trigger.body.a}", s: "{summary}", list: ["{trigger.body.text}", 3, false] }, ctx), {
      msg: "a=2",
      s: "All good.",
      list: ["hi", 3, false],
    });
  });

  test("the value is a copy: changing the result leaves the run's body as it was", () => {
    const out = renderJsonValues({ obj: "{trigger.body.b}" }, ctx) as { obj: { c: unknown[] } };
    out.obj.c.push("more");
    assert.deepEqual(body.b.c, [1, "x"]);
  });

  test("a field the body does not have fails, naming it", () => {
    assert.equal(failure(() => renderJsonValues({ n: "{trigger.body.zz}" }, ctx)).message, '{trigger.body.zz}: the body has no field "zz"');
  });
});
