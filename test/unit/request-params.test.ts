// agent/protocol.ts declares every request once; the agent's request table
// (agent/daemon/requests.ts) has one handler per request and one params
// schema per request (requestParams.ts) whose output type is exactly the
// protocol's params type. The tests here check the table at run time and run
// the type checker on it, on the code as it is and on copies edited to drift.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { NotificationType, RequestType } from "vscode-languageserver-protocol";
import * as protocol from "../../agent/protocol";
import { requestHandlers } from "../../agent/daemon/requests";

const root = process.env.CLOCKWORK_REPO_ROOT ?? join(__dirname, "../..");
const PROTOCOL = join(root, "agent/protocol.ts");
const PARAMS = join(root, "agent/daemon/requestParams.ts");
const REQUESTS = join(root, "agent/daemon/requests.ts");

const exported = (Object.values(protocol) as unknown[]).filter(
  (value): value is { method: string } =>
    typeof value === "object" && value !== null && "method" in value && String(value.method).startsWith("clockwork/"),
);

test("every clockwork/* export of the protocol module is a request or a notification", () => {
  const neither = exported.filter((t) => !(t instanceof RequestType) && !(t instanceof NotificationType)).map((t) => t.method);
  assert.deepEqual(neither, [], "the handler check below tells requests from notifications by their class");
});

test("every request the protocol declares has a handler with a params schema, and every handler a request", () => {
  const declared = exported.filter((t) => t instanceof RequestType).map((t) => t.method).sort();
  const handled = requestHandlers.map((h) => h.method).sort();
  assert.deepEqual(handled, declared);
  for (const h of requestHandlers) assert.equal(typeof h.params.safeParse, "function", `${h.method} has a params schema`);
});

const compilerOptions = (() => {
  const config = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config.config, ts.sys, root).options;
})();
// Parsed once and shared by every program below: only the edited files differ.
const parsed = new Map<string, ts.SourceFile>();

/** The type errors in `checked` (and what it imports), with `edits` applied to the named files in memory. */
function typeErrors(checked: string, edits: Record<string, (text: string) => string> = {}): string[] {
  const host = ts.createCompilerHost(compilerOptions);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, onError) => {
    const edit = edits[file];
    if (edit !== undefined) return ts.createSourceFile(file, edit(readFileSync(file, "utf8")), language);
    let source = parsed.get(file);
    if (!source) {
      source = getSourceFile(file, language, onError);
      if (source) parsed.set(file, source);
    }
    return source;
  };
  const program = ts.createProgram({ rootNames: [checked], options: compilerOptions, host });
  return [PARAMS, REQUESTS].flatMap((file) => {
    const source = program.getSourceFile(file);
    if (!source) return [];
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map(
      (d) => `${file}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
    );
  });
}

/** Replaces `from` (which must occur) with `to`. */
const replace = (from: string, to: string) => (text: string) => {
  assert.ok(text.includes(from), `the test's edit expects ${JSON.stringify(from)} in the file`);
  return text.replace(from, to);
};

test("each params schema produces exactly the params type the protocol declares", () => {
  assert.deepEqual(typeErrors(REQUESTS), []);
});

test("a field the protocol adds to a request's params, even an optional one, fails to compile until the schema has it", () => {
  const errors = typeErrors(PARAMS, {
    [PROTOCOL]: replace("export interface RegisterScheduleParams {\n", "export interface RegisterScheduleParams {\n  jitter?: number;\n"),
  });
  assert.ok(
    errors.some((e) => e.startsWith(PARAMS) && e.includes('"RegisterSchedule"')),
    `expected an error naming RegisterSchedule in requestParams.ts, got:\n${errors.join("\n")}`,
  );
});

test("a schema that drops or retypes a field fails to compile, naming its request", () => {
  const dropped = typeErrors(PARAMS, {
    [PARAMS]: replace("UnregisterTrigger: z.strictObject({ name })", "UnregisterTrigger: z.strictObject({})"),
  });
  assert.ok(dropped.some((e) => e.includes('"UnregisterTrigger"')), dropped.join("\n"));
  const retyped = typeErrors(PARAMS, {
    [PARAMS]: replace("paused: z.boolean()", "paused: z.string()"),
  });
  assert.ok(retyped.some((e) => e.includes('"SetTriggerPaused"')), retyped.join("\n"));
});

test("a request the protocol declares without a handler fails to compile", () => {
  const errors = typeErrors(REQUESTS, {
    [PROTOCOL]: (text) => `${text}\nexport const Forgotten = new RequestType<{ id: string }, void, void>("clockwork/forgotten");\n`,
  });
  assert.ok(errors.some((e) => e.startsWith(REQUESTS) && e.includes("Forgotten")), errors.join("\n"));
  assert.ok(errors.some((e) => e.startsWith(PARAMS) && e.includes("Forgotten")), errors.join("\n"));
});
