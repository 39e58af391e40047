// One agent per home, whatever the program is called: the lock is an OS file
// lock held by the agent process, so an agent started through a symlink, a
// copied entry script or a renamed program is refused while another runs,
// `agent stop` and `status` find the running agent through any of them, and
// a crash (kill -9) releases the lock at once.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../agent/config";
import { isPidAlive, lockHolder } from "../../agent/daemon/lock";
import { runCli } from "../helpers/cli";
import { cliBundle, makeTestHome, repoRoot, type TestHome } from "../helpers/home";
import { AgentProcess } from "./agent-harness";

describe("the agent lock", { timeout: 120_000 }, () => {
  let home: TestHome;
  let symlinked: string;
  let copied: string;
  let copyEnv: NodeJS.ProcessEnv;

  before(() => {
    home = makeTestHome("lock");
    const bin = join(home.root, "bin");
    mkdirSync(bin);
    // `cw`: the launcher a user might make with `ln -s`.
    symlinked = join(bin, "cw");
    symlinkSync(join(repoRoot, "bin", "clockwork.js"), symlinked);
    // A renamed copy of the bundle elsewhere, with the executor script it
    // starts beside it; it finds its dependencies (the SQLite addon)
    // through NODE_PATH, as an installed copy would through its own
    // node_modules.
    copied = join(bin, "automation-daemon.js");
    copyFileSync(cliBundle, copied);
    copyFileSync(join(dirname(cliBundle), "executor.js"), join(bin, "executor.js"));
    copyEnv = { ...home.env, NODE_PATH: join(repoRoot, "node_modules") };
  });
  after(async () => {
    // Whatever a failed test left running is stopped, by force if need be.
    const holder = lockHolder(loadConfig(home.env));
    await runCli(["agent", "stop", "--timeout", "5000"], { env: home.env });
    if (holder?.pid && isPidAlive(holder.pid)) process.kill(holder.pid, "SIGKILL");
    home.cleanup();
  });

  test("through a symlink named cw, a second `agent start` is refused naming the first pid, and `cw agent stop` stops it", async () => {
    const first = await runCli(["agent", "start"], { env: home.env, script: symlinked });
    assert.equal(first.code, 0, first.stderr);
    const pid = Number(/pid (\d+)/.exec(first.stdout)![1]);

    const second = await runCli(["agent", "start"], { env: home.env, script: symlinked });
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`already running for .* \\(pid ${pid}\\)`));
    const foreground = await runCli(["agent"], { env: home.env, script: symlinked });
    assert.equal(foreground.code, 1);
    assert.match(foreground.stderr, new RegExp(`already running for .* \\(pid ${pid}\\)`));

    const status = await runCli(["status", "--json"], { env: home.env, script: symlinked });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).status.pid, pid);

    const stopped = await runCli(["agent", "stop"], { env: home.env, script: symlinked });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`agent stopped.*pid ${pid}`));
    assert.equal(isPidAlive(pid), false);
  });

  test("a copied, renamed entry script cannot start a second agent, and the original finds and stops the copy's agent", async () => {
    const original = await AgentProcess.start(home.home);
    try {
      for (const args of [["agent"], ["agent", "start"]]) {
        const refused = await runCli(args, { env: copyEnv, script: copied });
        assert.equal(refused.code, 1, `${args.join(" ")}: ${refused.stdout}`);
        assert.match(refused.stderr, new RegExp(`already running for .* \\(pid ${original.pid}\\)`));
      }
    } finally {
      assert.equal(await original.stop(), 0);
    }

    const started = await runCli(["agent", "start"], { env: copyEnv, script: copied });
    assert.equal(started.code, 0, started.stderr);
    const pid = Number(/pid (\d+)/.exec(started.stdout)![1]);
    const refused = await runCli(["agent", "start"], { env: home.env });
    assert.match(refused.stderr, new RegExp(`\\(pid ${pid}\\)`));
    const stopped = await runCli(["agent", "stop"], { env: home.env });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(isPidAlive(pid), false);
  });

  test("kill -9 releases the lock: status says not running and a new agent starts at once", async () => {
    const crashed = await AgentProcess.start(home.home);
    await crashed.kill9();
    const config = loadConfig(home.env);
    assert.equal(lockHolder(config), undefined, "the kernel released the lock with the process");
    const status = await runCli(["status", "--json"], { env: home.env });
    assert.equal(status.code, 1, status.stdout);
    const next = await AgentProcess.start(home.home);
    try {
      assert.deepEqual(lockHolder(config), { pid: next.pid });
    } finally {
      await next.stop();
    }
  });

  test("a lock file in an earlier version's format (a JSON pid, no OS lock) naming a dead pid is replaced", async () => {
    const config = loadConfig(home.env);
    writeFileSync(config.lockFile, JSON.stringify({ pid: 999_999_999, startedAt: 1 }));
    const agent = await AgentProcess.start(home.home);
    try {
      assert.deepEqual(lockHolder(config), { pid: agent.pid });
    } finally {
      await agent.stop();
    }
  });
});
