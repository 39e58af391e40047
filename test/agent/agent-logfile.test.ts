// The agent's log file rotates by size and keeps a fixed number of files.
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { LogFile } from "../../agent/daemon/logFile";
import { removeDir, tempHome } from "./agent-harness";

test("the log rotates at its size limit, keeps three files, and drops the oldest", () => {
  const dir = tempHome("logfile");
  try {
    const file = join(dir, "agent.log");
    const log = new LogFile(file, 100, 3);
    // 40-byte lines: two fit in 100 bytes, the third starts a new file.
    const line = (n: number) => `line ${String(n).padStart(2, "0")} ${"x".repeat(31)}\n`;
    for (let n = 1; n <= 9; n++) log.write(line(n));
    log.close();

    assert.equal(readFileSync(file, "utf8"), line(9));
    assert.equal(readFileSync(`${file}.1`, "utf8"), line(7) + line(8));
    assert.equal(readFileSync(`${file}.2`, "utf8"), line(5) + line(6));
    assert.equal(existsSync(`${file}.3`), false, "only three files are kept");
    for (const f of [file, `${file}.1`, `${file}.2`]) {
      assert.ok(statSync(f).size <= 100);
      assert.equal(statSync(f).mode & 0o777, 0o600, "the log is private");
    }
  } finally {
    removeDir(dir);
  }
});

test("a reopened log appends and counts the bytes already there", () => {
  const dir = tempHome("logfile2");
  try {
    const file = join(dir, "agent.log");
    const first = new LogFile(file, 100, 3);
    first.write("a".repeat(60) + "\n");
    first.close();
    const second = new LogFile(file, 100, 3);
    second.write("b".repeat(60) + "\n");
    second.close();
    assert.equal(readFileSync(`${file}.1`, "utf8"), "a".repeat(60) + "\n");
    assert.equal(readFileSync(file, "utf8"), "b".repeat(60) + "\n");
  } finally {
    removeDir(dir);
  }
});
