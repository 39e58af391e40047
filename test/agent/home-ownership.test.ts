// Only the owner's files are used: a home (symlinks resolved), database,
// log, lock or socket that another user owns or can write to is refused by
// the agent and by every CLI command, naming the path, its owner and mode,
// and how to fix it; and nothing is sent to a socket another user owns.
// The cases with another owner chown to `nobody`, which needs root.
import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadConfig } from "../../agent/config";
import { checkSocketOwner } from "../../agent/privateHome";
import { runCli, type CliResult } from "../helpers/cli";
import { makeTestHome, workflowSource, type TestHome } from "../helpers/home";
import { AgentProcess } from "./agent-harness";

const isRoot = process.getuid?.() === 0;
const ROOT_ONLY = isRoot ? false : `SKIPPED: needs root to chown files to nobody (running as uid ${process.getuid?.()})`;
if (!isRoot) process.stderr.write(`home-ownership: ${ROOT_ONLY}\n`);

/** nobody's uid and gid from /etc/passwd (65534 where it has no entry). */
function nobody(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  return { uid: Number(uid ?? 65534), gid: Number(gid ?? 65534) };
}

const homes: TestHome[] = [];
function freshHome(label: string): TestHome {
  const home = makeTestHome(label);
  homes.push(home);
  return home;
}
after(() => homes.forEach((h) => h.cleanup()));

/** The agent in the foreground and two CLI commands that touch the store all refuse, each naming `pattern`. */
async function assertRefused(home: TestHome, pattern: RegExp, env = home.env): Promise<void> {
  const results: Array<[string, CliResult]> = [];
  for (const args of [["agent"], ["history"], ["list-triggers"]]) results.push([args.join(" "), await runCli(args, { env })]);
  for (const [command, result] of results) {
    assert.equal(result.code, 1, `${command} should refuse:\n${result.stdout}${result.stderr}`);
    assert.match(result.stderr, pattern, command);
  }
}

/** Starts and stops an agent once, so the home has its database, log and lock. */
async function useOnce(home: TestHome): Promise<void> {
  const agent = await AgentProcess.start(home.home);
  assert.equal(await agent.stop(), 0);
}

describe("a home others can write to", { timeout: 120_000 }, () => {
  for (const mode of [0o777, 0o770, 0o702]) {
    test(`a home with mode ${mode.toString(8)} is refused with its path, mode and the chmod that fixes it`, async () => {
      const home = freshHome("home-mode");
      chmodSync(home.home, mode);
      await assertRefused(home, new RegExp(`refusing to use ${home.home}: its mode is 0${mode.toString(8)}.*chmod 700 ${home.home}`));
    });
  }

  test("a home readable by others is accepted and tightened to 0700", async () => {
    const home = freshHome("home-0755");
    chmodSync(home.home, 0o755);
    await useOnce(home);
    assert.equal(statSync(home.home).mode & 0o777, 0o700);
  });

  test("a home that is a symlink to a world-writable folder is refused naming the folder it leads to", async () => {
    const home = freshHome("home-link");
    const target = join(home.root, "shared");
    mkdirSync(target);
    chmodSync(target, 0o777);
    const link = join(home.root, "link");
    symlinkSync(target, link);
    const env = { ...home.env, CLOCKWORK_HOME: link };
    await assertRefused(home, new RegExp(`refusing to use ${target} \\(where ${link} leads\\): its mode is 0777`), env);
  });

  for (const file of ["dbFile", "logFile", "lockFile"] as const) {
    test(`a ${file.replace("File", "")} file writable by others is refused with its path`, async () => {
      const home = freshHome(`file-${file}`);
      await useOnce(home);
      const path = loadConfig(home.env)[file];
      chmodSync(path, 0o666);
      await assertRefused(home, new RegExp(`refusing to use ${path}: its mode is 0666, so its group and every user can write.*chmod 600 ${path}`));
      chmodSync(path, 0o600);
      const fixed = await runCli(["history"], { env: home.env });
      assert.equal(fixed.code, 0, fixed.stderr);
    });
  }
});

describe("files another user owns", { timeout: 120_000 }, () => {
  const other = nobody();

  test("a home that leads to a folder owned by nobody is refused, naming the owner", { skip: ROOT_ONLY }, async () => {
    const home = freshHome("foreign-home");
    const target = join(home.root, "theirs");
    mkdirSync(target, { mode: 0o700 });
    chownSync(target, other.uid, other.gid);
    const link = join(home.root, "link");
    symlinkSync(target, link);
    const env = { ...home.env, CLOCKWORK_HOME: link };
    await assertRefused(home, new RegExp(`refusing to use ${target} \\(where ${link} leads\\): it is owned by (nobody )?\\(?uid ${other.uid}\\)? with mode 0700, not by you`), env);
  });

  for (const file of ["dbFile", "logFile"] as const) {
    test(`a ${file.replace("File", "")} file owned by nobody inside one's own home is refused`, { skip: ROOT_ONLY }, async () => {
      const home = freshHome(`foreign-${file}`);
      await useOnce(home);
      const path = loadConfig(home.env)[file];
      chownSync(path, other.uid, other.gid);
      await assertRefused(home, new RegExp(`refusing to use ${path}: it is owned by (nobody )?\\(?uid ${other.uid}\\)?.*chown`));
    });
  }

  test("a listener on agent.sock owned by nobody receives nothing: commands refuse before connecting", { skip: ROOT_ONLY }, async () => {
    const home = freshHome("foreign-socket");
    const workflow = home.write("w.workflow.ts", workflowSource("w", [`shell("a", "true")`]));
    const socketPath = loadConfig(home.env).socketPath;
    let connections = 0;
    let received = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.on("data", (d) => (received += d.length));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      chownSync(socketPath, other.uid, other.gid);
      const result = await runCli(["register-webhook", workflow, "--json"], { env: home.env });
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, new RegExp(`refusing to use ${socketPath}: it is owned by (nobody )?\\(?uid ${other.uid}`));
      // The check the extension makes before it connects.
      assert.throws(() => checkSocketOwner(socketPath), new RegExp(`refusing to talk to ${socketPath}: it is owned by (nobody )?\\(?uid ${other.uid}.*Nothing was sent`));
      assert.equal(connections, 0, "nobody connected to the foreign socket");
      assert.equal(received, 0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
