// File watchers in a real agent with real files: one run per burst of
// writes, no run for a half-written file, recursive and glob filters, a
// watched folder that disappears and comes back, registrations that take
// effect without a restart. Every wait is on the agent's notifications;
// the only timers are the slow writer's pauses, which are what is tested.
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as pause } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { GetRun, ListTriggers, TriggersChanged, type RunSummary, type TriggerRecord } from "../../agent/protocol";
import { runCli } from "../helpers/cli";
import { writeWorkflow } from "./agent-harness";
import { startTestAgent, type TestAgent } from "./webhook-harness";

// The run reports what it saw: the path, the kind of change and the file's
// content at the moment the run started.
const SEEN_WORKFLOW = `import { defineWorkflow, code } from "clockwork";
import { existsSync, readFileSync } from "node:fs";
export default defineWorkflow({
  name: "seen",
  steps: [
    code("seen", (ctx) => {
      const path = ctx.trigger.path!;
      return JSON.stringify({ path, event: ctx.trigger.fileEvent, content: existsSync(path) ? readFileSync(path, "utf8") : null });
    }),
  ],
});
`;

interface Seen {
  trigger: string;
  path: string;
  event: string;
  content: string | null;
}

describe("file watchers in a running agent", { timeout: 60_000 }, () => {
  let t: TestAgent;
  let workflow: string;
  let seenCount = 0;

  before(async () => {
    t = await startTestAgent("watch");
    workflow = writeWorkflow(t.work, "seen.workflow.ts", SEEN_WORKFLOW);
  });
  after(async () => t.stop());

  const folder = (name: string) => {
    const dir = join(t.work, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  async function register(name: string, path: string, ...flags: string[]): Promise<TriggerRecord> {
    const result = await runCli(["register-watcher", workflow, "--path", path, "--name", name, "--json", ...flags], { env: t.env });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as TriggerRecord;
  }

  const fileRuns = (runs: RunSummary[]) =>
    [...new Map(runs.filter((r) => r.triggerKind === "file").map((r) => [r.id, r])).values()].filter((r) => r.status === "success" || r.status === "failed");

  /** Waits for the next `count` finished file runs (after those already consumed) and returns what they saw. */
  async function nextSeen(count = 1): Promise<Seen[]> {
    const want = seenCount + count;
    const runs = await t.watcher.until((all) => {
      const done = fileRuns(all);
      return done.length >= want ? done.slice(seenCount, want) : undefined;
    }, `${want} file runs`);
    seenCount = want;
    return Promise.all(
      runs.map(async (r) => {
        const record = await t.watcher.client.request(GetRun, { id: r.id });
        assert.equal(record.status, "success", record.error ?? "");
        return { trigger: r.triggerName!, ...(JSON.parse(record.steps[0]!.output!) as Omit<Seen, "trigger">) };
      }),
    );
  }

  /** Resolves once the named trigger's record satisfies `predicate`, re-listing on every trigger notification. */
  async function untilTrigger(name: string, predicate: (t: TriggerRecord) => boolean): Promise<TriggerRecord> {
    let wake!: () => void;
    const off = t.watcher.client.onNotification(TriggersChanged, () => wake?.());
    try {
      for (;;) {
        const changed = new Promise<void>((resolve) => (wake = resolve));
        const record = (await t.watcher.client.request(ListTriggers, { type: "watcher" })).find((r) => r.name === name);
        if (record && predicate(record)) return record;
        await changed;
      }
    } finally {
      off();
    }
  }

  test("created, modified and deleted each fire once per burst of writes", async () => {
    const dir = folder("burst");
    await register("burst", dir);
    const file = join(dir, "note.txt");
    writeFileSync(file, "one");
    for (let i = 0; i < 10; i++) appendFileSync(file, `-${i}`);
    const [created] = await nextSeen();
    assert.deepEqual(created, { trigger: "burst", path: file, event: "created", content: "one-0-1-2-3-4-5-6-7-8-9" });

    for (let i = 0; i < 10; i++) writeFileSync(file, `rewrite ${i}`);
    const [modified] = await nextSeen();
    assert.deepEqual(modified, { trigger: "burst", path: file, event: "modified", content: "rewrite 9" });

    unlinkSync(file);
    const [deleted] = await nextSeen();
    assert.deepEqual(deleted, { trigger: "burst", path: file, event: "deleted", content: null });

    // A last, separate change: had any burst fired twice, its extra run
    // would come before this one.
    writeFileSync(join(dir, "sentinel.txt"), "s");
    const [sentinel] = await nextSeen();
    assert.equal(sentinel!.path, join(dir, "sentinel.txt"));
    assert.equal((await runCli(["unregister", "burst"], { env: t.env })).code, 0);
  });

  test("a file written slowly, with pauses shorter than the debounce, is processed once and only when complete", async () => {
    const dir = folder("slow");
    await register("slow", dir, "--events", "created,modified");
    const file = join(dir, "upload.bin");
    const parts = Array.from({ length: 6 }, (_, i) => `part ${i} ${"x".repeat(1000)}\n`);
    writeFileSync(file, parts[0]!);
    for (const part of parts.slice(1)) {
      // The writer's own rhythm: 150 ms between parts, well inside the debounce.
      await pause(150);
      appendFileSync(file, part);
    }
    const [seen] = await nextSeen();
    assert.equal(seen!.event, "created");
    assert.equal(seen!.content, parts.join(""), "the run saw the finished file");
    writeFileSync(join(dir, "sentinel.txt"), "s");
    const [sentinel] = await nextSeen();
    assert.equal(sentinel!.path, join(dir, "sentinel.txt"), "no second run for the upload");
    assert.equal((await runCli(["unregister", "slow"], { env: t.env })).code, 0);
  });

  test("recursion and globs filter what fires; .git and node_modules never do", async () => {
    const dir = folder("tree");
    mkdirSync(join(dir, "sub", "deeper"), { recursive: true });
    mkdirSync(join(dir, "node_modules"), { recursive: true });
    mkdirSync(join(dir, ".git"), { recursive: true });
    await register("tree-flat", dir, "--glob", "*.md", "--events", "created");
    await register("tree-deep", dir, "--recursive", "--glob", "*.md", "--events", "created");
    writeFileSync(join(dir, "node_modules", "x.md"), "x");
    writeFileSync(join(dir, ".git", "y.md"), "y");
    writeFileSync(join(dir, "skip.txt"), "t");
    writeFileSync(join(dir, "sub", "deeper", "inner.md"), "i");
    const [inner] = await nextSeen();
    assert.deepEqual([inner!.trigger, inner!.path], ["tree-deep", join(dir, "sub", "deeper", "inner.md")]);
    writeFileSync(join(dir, "top.md"), "t");
    const top = await nextSeen(2);
    assert.deepEqual(top.map((s) => `${s.trigger} ${s.path}`).sort(), [`tree-deep ${join(dir, "top.md")}`, `tree-flat ${join(dir, "top.md")}`]);
    for (const name of ["tree-flat", "tree-deep"]) assert.equal((await runCli(["unregister", name], { env: t.env })).code, 0);
  });

  test("a watched folder that is removed shows an error state, and the watcher recovers when it is recreated", async () => {
    const dir = folder("vanishing");
    await register("vanishing", dir);
    rmSync(dir, { recursive: true });
    const failed = await untilTrigger("vanishing", (r) => r.state === "error");
    assert.match(failed.error ?? "", /does not exist/);
    const listed = await runCli(["list-triggers"], { env: t.env });
    assert.match(listed.stdout, /vanishing\s+watcher\s+seen\s+error: .*does not exist/);

    mkdirSync(dir);
    const recovered = await untilTrigger("vanishing", (r) => r.state === "active");
    assert.equal(recovered.error, null);
    writeFileSync(join(dir, "back.txt"), "b");
    const [seen] = await nextSeen();
    assert.deepEqual([seen!.trigger, seen!.event, seen!.path], ["vanishing", "created", join(dir, "back.txt")]);
    assert.equal((await runCli(["unregister", "vanishing"], { env: t.env })).code, 0);
  });

  test("pausing, resuming and unregistering take effect without a restart", async () => {
    const dir = folder("live");
    const witnessDir = folder("witness");
    await register("live", dir, "--events", "created");
    await register("witness", witnessDir, "--events", "created");
    assert.equal((await runCli(["pause", "live"], { env: t.env })).code, 0);
    writeFileSync(join(dir, "while-paused.txt"), "p");
    writeFileSync(join(witnessDir, "w1.txt"), "w");
    const [first] = await nextSeen();
    assert.equal(first!.trigger, "witness", "the paused watcher did not fire");

    assert.equal((await runCli(["resume", "live"], { env: t.env })).code, 0);
    writeFileSync(join(dir, "after-resume.txt"), "r");
    const [resumed] = await nextSeen();
    assert.deepEqual([resumed!.trigger, resumed!.path], ["live", join(dir, "after-resume.txt")]);

    assert.equal((await runCli(["unregister", "live"], { env: t.env })).code, 0);
    writeFileSync(join(dir, "after-unregister.txt"), "u");
    writeFileSync(join(witnessDir, "w2.txt"), "w");
    const [last] = await nextSeen();
    assert.equal(last!.trigger, "witness", "the unregistered watcher did not fire");
    assert.equal((await runCli(["unregister", "witness"], { env: t.env })).code, 0);
  });
});
