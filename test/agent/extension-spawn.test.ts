// The agent as the VS Code extension starts it (extension/agentProcess.ts):
// detached, its output kept in agent.log for a crash trace, and every line
// of the log written once, as when the CLI starts it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadConfig } from "../../agent/config";
import { isAlive, spawnAgent, stopAgentProcess } from "../../extension/agentProcess";
import { baseEnv, bundle, removeDir, tempHome } from "./agent-harness";

test("an agent started by the extension writes each line of agent.log once", { timeout: 60_000 }, async () => {
  const home = tempHome("ext-spawn");
  const env = baseEnv(home);
  const config = loadConfig(env);
  try {
    const { pid } = await spawnAgent({
      nodePath: process.execPath,
      script: bundle,
      home,
      socketPath: config.socketPath,
      logFile: config.logFile,
      env,
    });
    assert.equal(await stopAgentProcess(pid, config.socketPath), true);
    // The log's last line is written before the process exits.
    // A foreign process has no exit event to wait on: look every few milliseconds.
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    const lines = readFileSync(config.logFile, "utf8").split("\n").filter(Boolean);
    assert.equal(lines.filter((l) => / agent \S+ started \(pid /.test(l)).length, 1, lines.join("\n"));
    assert.equal(lines.filter((l) => / agent stopped$/.test(l)).length, 1, lines.join("\n"));
    assert.equal(new Set(lines).size, lines.length, `a line written twice:\n${lines.join("\n")}`);
  } finally {
    removeDir(home);
  }
});
