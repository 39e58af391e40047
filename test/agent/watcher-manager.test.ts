// The WatcherManager against real files and real chokidar, with the store
// and the run pool replaced by recorders. The real-agent tests
// (watcher-agent.test.ts) cover the same behaviour end to end.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Events } from "../../agent/events";
import { WatcherManager, type FileRunRequest, type WatchedTrigger } from "../../agent/daemon/watchers";
import type { WatcherConfig } from "../../agent/protocol";

interface Harness {
  dir: string;
  events: Events;
  runs: FileRunRequest[];
  triggers: WatchedTrigger[];
  manager: WatcherManager;
  nextRun(): Promise<FileRunRequest>;
}

let h: Harness;

function watcher(name: string, config: Partial<WatcherConfig> & { path: string }): WatchedTrigger {
  return {
    id: h.triggers.length + 1,
    name,
    paused: false,
    workflowFile: "/w.workflow.ts",
    stateError: null,
    config: { events: ["created", "modified", "deleted"], recursive: false, glob: null, ...config },
  };
}

async function register(trigger: WatchedTrigger): Promise<void> {
  h.triggers.push(trigger);
  h.events.emit("triggers:changed", { names: [trigger.name] });
  await h.manager.whenReady(trigger.name);
}

beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), "clockwork-watch-"));
  const events = new Events();
  const runs: FileRunRequest[] = [];
  const waiters: Array<(r: FileRunRequest) => void> = [];
  const triggers: WatchedTrigger[] = [];
  const manager = new WatcherManager({
    events,
    listWatchers: () => triggers,
    setStateError: (name, error) => {
      const t = triggers.find((x) => x.name === name);
      if (t) t.stateError = error;
    },
    startRun: (request) => {
      runs.push(request);
      waiters.shift()?.(request);
    },
    debounceMs: 200,
    healthCheckMs: 100,
  });
  h = {
    dir,
    events,
    runs,
    triggers,
    manager,
    nextRun: () => new Promise((resolve) => waiters.push(resolve)),
  };
  await manager.start();
});

afterEach(async () => {
  await h.manager.stop();
  rmSync(h.dir, { recursive: true, force: true });
});

describe("WatcherManager", { timeout: 120_000 }, () => {
  it("fires created, modified and deleted once each for a burst of writes", async () => {
    await register(watcher("w", { path: h.dir }));
    const file = join(h.dir, "note.md");
    let next = h.nextRun();
    writeFileSync(file, "a");
    for (let i = 0; i < 5; i++) appendFileSync(file, String(i));
    assert.deepEqual(await next, { triggerId: 1, triggerName: "w", path: file, fileEvent: "created" });
    next = h.nextRun();
    for (let i = 0; i < 5; i++) appendFileSync(file, "more");
    assert.equal((await next).fileEvent, "modified");
    next = h.nextRun();
    unlinkSync(file);
    assert.equal((await next).fileEvent, "deleted");
    assert.deepEqual(h.runs.map((r) => r.fileEvent), ["created", "modified", "deleted"]);
  });

  it("only fires for the events the registration lists", async () => {
    await register(watcher("deletions", { path: h.dir, events: ["deleted"] }));
    await register(watcher("witness", { path: h.dir, events: ["created"] }));
    const file = join(h.dir, "x.txt");
    const created = h.nextRun();
    const swallowed = h.events.waitFor("watcher:settled", (s) => s.trigger === "deletions");
    writeFileSync(file, "x");
    // The witness firing proves the creation went through the debounce; the
    // deletions-only watcher settles it without a run. Deleting only after
    // that keeps "created then deleted" from merging into nothing.
    assert.equal((await created).triggerName, "witness");
    assert.deepEqual(await swallowed, { trigger: "deletions", path: file, event: "created", fired: false });
    const deleted = h.nextRun();
    unlinkSync(file);
    const run = await deleted;
    assert.deepEqual([run.triggerName, run.fileEvent, run.path], ["deletions", "deleted", file]);
    assert.equal(h.runs.length, 2);
  });

  it("ignores subfolders unless recursive, and .git and node_modules always", async () => {
    mkdirSync(join(h.dir, "sub"));
    mkdirSync(join(h.dir, "node_modules"));
    mkdirSync(join(h.dir, ".git"));
    await register(watcher("flat", { path: h.dir }));
    await register(watcher("deep", { path: h.dir, recursive: true }));
    const runs: FileRunRequest[] = [];
    const deep = h.nextRun();
    writeFileSync(join(h.dir, "node_modules", "dep.js"), "x");
    writeFileSync(join(h.dir, ".git", "HEAD"), "x");
    writeFileSync(join(h.dir, "sub", "inner.txt"), "x");
    runs.push(await deep);
    const top = h.nextRun();
    writeFileSync(join(h.dir, "top.txt"), "x");
    const first = await top;
    const second = await h.nextRun();
    runs.push(first, second);
    assert.deepEqual(
      runs.map((r) => `${r.triggerName}:${r.path.slice(h.dir.length + 1)}`).sort(),
      ["deep:sub/inner.txt", "deep:top.txt", "flat:top.txt"],
    );
  });

  it("matches a glob against the file name or the relative path", async () => {
    mkdirSync(join(h.dir, "docs"));
    await register(watcher("md", { path: h.dir, recursive: true, glob: "*.md" }));
    await register(watcher("docs", { path: h.dir, recursive: true, glob: "docs/**/*.txt" }));
    const a = h.nextRun();
    writeFileSync(join(h.dir, "skip.txt"), "x");
    writeFileSync(join(h.dir, "docs", "a.md"), "x");
    const b = h.nextRun();
    writeFileSync(join(h.dir, "docs", "b.txt"), "x");
    const got = [await a, await b].map((r) => `${r.triggerName}:${r.path.slice(h.dir.length + 1)}`).sort();
    assert.deepEqual(got, ["docs:docs/b.txt", "md:docs/a.md"]);
  });

  it("does not fire while a slow writer keeps writing within the debounce", async () => {
    await register(watcher("w", { path: h.dir }));
    const file = join(h.dir, "slow.txt");
    const next = h.nextRun();
    writeFileSync(file, "part-0;");
    // Each write lands before the debounce of the previous one runs out:
    // the writer waits on a timer shorter than the debounce between parts.
    for (let i = 1; i <= 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(h.runs.length, 0, "no run before the writer finished");
      appendFileSync(file, `part-${i};`);
    }
    const run = await next;
    assert.equal(run.fileEvent, "created");
    assert.equal(h.runs.length, 1);
  });

  it("sets the error state when the folder disappears and recovers when it returns", async () => {
    const folder = join(h.dir, "watched");
    mkdirSync(folder);
    await register(watcher("w", { path: folder }));
    const failed = h.events.waitFor("watcher:error", (e) => e.trigger === "w");
    rmSync(folder, { recursive: true });
    assert.match((await failed).error, /does not exist/);
    assert.match(h.triggers[0]!.stateError ?? "", /does not exist/);
    const recovered = h.events.waitFor("watcher:recovered", (e) => e.trigger === "w");
    mkdirSync(folder);
    await recovered;
    assert.equal(h.triggers[0]!.stateError, null);
    const next = h.nextRun();
    writeFileSync(join(folder, "again.txt"), "x");
    assert.equal((await next).path, join(folder, "again.txt"));
  });

  it("a watched single file fires deleted when it is removed and created when it returns", async () => {
    const file = join(h.dir, "single.txt");
    writeFileSync(file, "v1");
    await register(watcher("one", { path: file }));
    const modified = h.nextRun();
    appendFileSync(file, "v2");
    assert.deepEqual([(await modified).fileEvent, (await modified).path], ["modified", file]);
    const deleted = h.nextRun();
    unlinkSync(file);
    assert.deepEqual([(await deleted).fileEvent, (await deleted).path], ["deleted", file]);
    const created = h.nextRun();
    writeFileSync(file, "v3");
    assert.equal((await created).fileEvent, "created");
    assert.equal(h.runs.length, 3);
  });

  it("starts a watcher whose path does not exist yet in the error state", async () => {
    const folder = join(h.dir, "later");
    const failed = h.events.waitFor("watcher:error", (e) => e.trigger === "w");
    await register(watcher("w", { path: folder }));
    await failed;
    const recovered = h.events.waitFor("watcher:recovered");
    mkdirSync(folder);
    await recovered;
  });

  it("stops watching an unregistered watcher and follows a changed path", async () => {
    const a = join(h.dir, "a");
    const b = join(h.dir, "b");
    mkdirSync(a);
    mkdirSync(b);
    await register(watcher("w", { path: a }));
    h.triggers[0] = { ...h.triggers[0]!, config: { ...h.triggers[0]!.config, path: b } };
    h.events.emit("triggers:changed", { names: ["w"] });
    await h.manager.whenReady("w");
    const next = h.nextRun();
    writeFileSync(join(a, "old.txt"), "x");
    writeFileSync(join(b, "new.txt"), "x");
    assert.equal((await next).path, join(b, "new.txt"));
    h.triggers.length = 0;
    h.events.emit("triggers:changed", { names: ["w"] });
    await h.manager.whenReady("w");
    // Prove silence with a second watcher that does fire.
    await register(watcher("other", { path: a }));
    const after = h.nextRun();
    writeFileSync(join(b, "ignored.txt"), "x");
    writeFileSync(join(a, "seen.txt"), "x");
    assert.equal((await after).triggerName, "other");
    assert.ok(!h.runs.some((r) => r.path.endsWith("ignored.txt")));
  });
});
