// docs/protocol.md and agent/protocol.ts describe the same methods: one
// heading per method in the doc, one entry per method in ALL_METHODS, and
// every request or notification the module exports is in ALL_METHODS.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as protocol from "../../agent/protocol";

const root = process.env.CLOCKWORK_REPO_ROOT ?? join(__dirname, "../..");
const doc = readFileSync(join(root, "docs/protocol.md"), "utf8");
const documented = [...doc.matchAll(/^### (clockwork\/\S+)\s*$/gm)].map((m) => m[1]!);

test("every method in ALL_METHODS has a section in docs/protocol.md", () => {
  const missing = protocol.ALL_METHODS.filter((m) => !documented.includes(m));
  assert.deepEqual(missing, [], `add a "### <method>" section for each of these`);
});

test("docs/protocol.md documents no method that the protocol module lacks", () => {
  const extra = documented.filter((m) => !protocol.ALL_METHODS.includes(m));
  assert.deepEqual(extra, [], "remove these sections or declare the methods in agent/protocol.ts");
});

test("each method is documented once and listed once", () => {
  assert.equal(new Set(documented).size, documented.length, "a method has two sections");
  assert.equal(new Set(protocol.ALL_METHODS).size, protocol.ALL_METHODS.length, "ALL_METHODS repeats a method");
});

test("every request and notification exported by the protocol module is in ALL_METHODS", () => {
  const exported = Object.values(protocol)
    .map((value) => (value && typeof value === "object" && "method" in value ? (value as { method: unknown }).method : undefined))
    .filter((method): method is string => typeof method === "string" && method.startsWith("clockwork/"));
  const unlisted = exported.filter((m) => !protocol.ALL_METHODS.includes(m));
  assert.deepEqual(unlisted, []);
});
