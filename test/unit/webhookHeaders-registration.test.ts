// The small parsers behind register-webhook and register-watcher.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { normaliseImportedSecret, parseByteSize, webhookUrl } from "../../agent/core/webhookPolicy";
import { globReachesSubfolders, parseEvents } from "../../agent/cli/commands/watchers";
import { globMatcher } from "../../agent/daemon/watchers";

describe("register-webhook input", () => {
  it("reads --max-body as bytes or with k/m suffixes in powers of 1024", () => {
    assert.equal(parseByteSize("65536"), 65536);
    assert.equal(parseByteSize("512k"), 512 * 1024);
    assert.equal(parseByteSize("5m"), 5 * 1024 * 1024);
    assert.equal(parseByteSize("1.5MiB"), 1.5 * 1024 * 1024);
    assert.throws(() => parseByteSize("lots"), /not a size/);
    assert.throws(() => parseByteSize("0"), /between 1 byte and 100 MiB/);
    assert.throws(() => parseByteSize("101m"), /between 1 byte and 100 MiB/);
  });

  it("trims an imported secret and refuses short ones or ones with whitespace inside", () => {
    assert.equal(normaliseImportedSecret("whsec_abcdefghijklmnop\n"), "whsec_abcdefghijklmnop");
    assert.throws(() => normaliseImportedSecret("short\n"), /at least 16/);
    assert.throws(() => normaliseImportedSecret("abcdefgh ijklmnopq"), /whitespace/);
  });

  it("builds the URL from the server's address, escaping the name", () => {
    assert.equal(webhookUrl("http://127.0.0.1:8787", "gh.push"), "http://127.0.0.1:8787/webhook/gh.push");
    assert.equal(webhookUrl(null, "x"), null);
  });
});

describe("register-watcher input", () => {
  it("parses --events and refuses unknown ones", () => {
    assert.deepEqual(parseEvents("created, deleted,created"), ["created", "deleted"]);
    assert.throws(() => parseEvents("created,renamed"), /got renamed/);
    assert.throws(() => parseEvents(""), /choose from/);
  });

  it("treats a glob with a slash or ** as reaching into subfolders", () => {
    assert.equal(globReachesSubfolders("*.md"), false);
    assert.equal(globReachesSubfolders("**/*.md"), true);
    assert.equal(globReachesSubfolders("docs/*.txt"), true);
    assert.equal(globReachesSubfolders(undefined), false);
  });

  it("matches a slash-free glob against the file name at any depth and others against the relative path", () => {
    const md = globMatcher("*.md");
    assert.equal(md("a.md"), true);
    assert.equal(md("deep/er/b.md"), true);
    assert.equal(md("a.txt"), false);
    const docs = globMatcher("docs/**/*.txt");
    assert.equal(docs("docs/a/b.txt"), true);
    assert.equal(docs("other/docs/b.txt"), false);
    assert.equal(globMatcher(".*")(".hidden"), true);
    assert.equal(globMatcher(null)("anything"), true);
  });
});
