import assert from "node:assert/strict";
import { test } from "node:test";
import { CappedOutput, capText, OUTPUT_CAP_BYTES } from "../../agent/core/outputCap";
import { redactUrl } from "../../agent/core/redact";

test("output under the cap is kept whole, trimmed on request", () => {
  const out = new CappedOutput(16);
  out.push(Buffer.from("  hello\n"));
  assert.equal(out.truncated, false);
  assert.equal(out.text(true), "hello");
  assert.equal(out.text(), "  hello\n");
});

test("output over the cap keeps the first bytes and says how much there was", () => {
  const out = new CappedOutput(10);
  out.push(Buffer.from("0123456"));
  out.push(Buffer.from("789abcdef"));
  assert.equal(out.total, 16);
  assert.equal(out.text(), "0123456789\n[… output truncated by Clockwork: 16 B in total, the first 10 B kept]");
});

test("the cut never splits a UTF-8 character", () => {
  const out = new CappedOutput(5);
  out.push(Buffer.from("abcé€")); // é is 2 bytes, € is 3: the cap falls inside é's successor
  assert.ok(out.text().startsWith("abcé\n[…"), out.text());
  assert.ok(!out.text().includes("\uFFFD"));
});

test("the default cap is 1 MiB and capText applies it to strings", () => {
  assert.equal(OUTPUT_CAP_BYTES, 1024 * 1024);
  const text = capText("x".repeat(OUTPUT_CAP_BYTES + 10));
  assert.ok(text.startsWith("x".repeat(OUTPUT_CAP_BYTES)));
  assert.match(text, /output truncated by Clockwork: 1 MiB in total/);
  assert.equal(capText("short"), "short");
});

test("logged URLs lose passwords and secret-looking query values", () => {
  assert.equal(redactUrl("https://user:pw@api.example/x?token=abc&page=2"), "https://***@api.example/x?token=***&page=2");
  assert.equal(redactUrl("http://127.0.0.1:9/hook?api_key=k"), "http://127.0.0.1:9/hook?api_key=***");
  assert.equal(redactUrl("not a url"), "not a url");
});
