// File watchers: one chokidar instance per active watcher trigger.
//
// chokidar reports add/change/unlink; they become created/modified/deleted,
// are filtered by the registration's events and glob, and go through the
// trailing-edge debounce in core/debounce.ts, which also holds a run back
// until the file has stopped being written. `sync()` compares the registered
// watchers with the running ones and starts, restarts or stops instances; it
// runs on every `triggers:changed`, so a registration takes effect without a
// restart. A once-a-second health check notices a watched path that
// disappeared or became unreadable, records it as the trigger's error state,
// and brings the watcher back when the path returns. Nothing here throws
// into the agent: every failure becomes a state, an event and a log line.
//
// A watched single file is watched through its folder, limited to its name.
// Watching the file itself follows one inode: once the file is deleted, or
// replaced by a rename as editors save, that watch reports nothing more (or
// reports the deletion alongside the health check, twice). The folder sees
// every deletion, creation and replacement of the name exactly once, and
// they go through the same debounce as any file in a watched folder.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { basename, dirname, relative, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import picomatch from "picomatch";
import { DebounceTable, DEFAULT_DEBOUNCE_MS, type FileStamp } from "../core/debounce";
import type { Events } from "../events";
import { messageOf } from "../errors";
import type { FileEvent, WatcherConfig } from "../protocol";

/** What the manager needs of a watcher trigger (the store's WatcherRow has this shape). */
export interface WatchedTrigger {
  id: number;
  name: string;
  paused: boolean;
  workflowFile: string;
  stateError: string | null;
  config: WatcherConfig;
}

export interface FileRunRequest {
  triggerId: number;
  triggerName: string;
  path: string;
  fileEvent: FileEvent;
}

export interface WatcherManagerDeps {
  events: Events;
  /** Every watcher trigger, paused ones included. */
  listWatchers(): Promise<WatchedTrigger[]> | WatchedTrigger[];
  /** Records (or clears, with null) the trigger's error state. */
  setStateError(name: string, error: string | null): Promise<void> | void;
  startRun(request: FileRunRequest): Promise<void> | void;
  debounceMs?: number;
  /** How often watched paths are checked for disappearing and returning. */
  healthCheckMs?: number;
  now?: () => number;
}

const IGNORED_DIRS = new Set([".git", "node_modules"]);

const CHOKIDAR_EVENTS: Record<string, FileEvent> = { add: "created", change: "modified", unlink: "deleted" };

interface Running {
  trigger: WatchedTrigger;
  /** Identity of the registration this instance was started for. */
  signature: string;
  watcher: FSWatcher | null;
  ready: Promise<void>;
  /** The root's current problem, mirrored into the store's state_error. */
  error: string | null;
  /** A root that is a single file rather than a folder. */
  rootIsFile: boolean;
  /** For a single-file root: whether the file exists as far as the recorded events go, so a deletion is recorded once. */
  rootExists: boolean;
  matches: (relativePath: string) => boolean;
  checking: boolean;
  closed: boolean;
}

export class WatcherManager {
  private readonly running = new Map<string, Running>();
  private readonly table: DebounceTable;
  private timer: NodeJS.Timeout | null = null;
  private timerAt: number | null = null;
  private health: NodeJS.Timeout | null = null;
  private offChanged: (() => void) | null = null;
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: WatcherManagerDeps) {
    this.table = new DebounceTable(deps.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  /** Starts every active watcher and follows registration changes. */
  async start(): Promise<void> {
    this.offChanged = this.deps.events.on("triggers:changed", () => void this.sync());
    this.health = setInterval(() => void this.checkHealth(), this.deps.healthCheckMs ?? 1000);
    await this.sync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offChanged?.();
    if (this.health) clearInterval(this.health);
    if (this.timer) clearTimeout(this.timer);
    await this.syncing.catch(() => undefined);
    await Promise.all([...this.running.values()].map((r) => this.close(r)));
    this.running.clear();
  }

  /** Resolves once the named watcher is watching (or has settled into its error state). */
  async whenReady(name: string): Promise<void> {
    await this.syncing;
    await this.running.get(name)?.ready;
  }

  /** Brings the running instances in line with the registrations; serialised. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow()).catch((error) => this.log("error", `watchers: ${messageOf(error)}`));
    return this.syncing;
  }

  private async syncNow(): Promise<void> {
    if (this.stopped) return;
    let wanted: WatchedTrigger[];
    try {
      wanted = (await this.deps.listWatchers()).filter((t) => !t.paused);
    } catch (error) {
      this.log("error", `watchers: cannot list registrations: ${messageOf(error)}`);
      return;
    }
    const names = new Set(wanted.map((t) => t.name));
    for (const [name, run] of this.running) {
      const trigger = wanted.find((t) => t.name === name);
      if (!names.has(name) || (trigger && signatureOf(trigger) !== run.signature)) {
        this.running.delete(name);
        this.table.clearWatcher(name);
        await this.close(run);
      }
    }
    for (const trigger of wanted) {
      if (!this.running.has(trigger.name)) await this.open(trigger);
    }
  }

  private async open(trigger: WatchedTrigger): Promise<void> {
    const { config } = trigger;
    const run: Running = {
      trigger,
      signature: signatureOf(trigger),
      watcher: null,
      ready: Promise.resolve(),
      error: trigger.stateError,
      rootIsFile: false,
      rootExists: false,
      matches: globMatcher(config.glob),
      checking: false,
      closed: false,
    };
    this.running.set(trigger.name, run);
    const problem = await rootProblem(config.path);
    if (problem) return this.markError(run, problem);
    run.rootIsFile = (await stat(config.path).catch(() => null))?.isFile() ?? false;
    run.rootExists = run.rootIsFile;
    run.ready = this.attach(run);
    await run.ready;
    if (run.closed) return;
    if (run.error !== null) this.markRecovered(run);
    this.announceReady(run);
  }

  /** Starts chokidar for a run whose root exists; resolves when it is ready. */
  private attach(run: Running): Promise<void> {
    const root = run.trigger.config.path;
    // A single file is watched through its folder (see the top of this file).
    const target = run.rootIsFile ? dirname(root) : root;
    const watcher = watch(target, {
      ignoreInitial: true,
      persistent: true,
      alwaysStat: true,
      depth: run.trigger.config.recursive && !run.rootIsFile ? undefined : 0,
      ignored: run.rootIsFile ? (path: string) => path !== target && path !== root : (path: string) => isIgnored(root, path),
    });
    run.watcher = watcher;
    for (const name of Object.keys(CHOKIDAR_EVENTS)) {
      watcher.on(name as "add", (path: string, stats?: { size: number; mtimeMs: number }) =>
        this.onFileEvent(run, CHOKIDAR_EVENTS[name]!, path, stats ? { size: stats.size, mtimeMs: stats.mtimeMs } : null),
      );
    }
    watcher.on("unlinkDir", (path: string) => {
      if (path === target) void this.checkOne(run);
    });
    watcher.on("error", (error: unknown) => {
      this.log("warn", `watcher ${run.trigger.name}: ${messageOf(error)}`);
      void this.checkOne(run);
    });
    return new Promise((resolve) => watcher.once("ready", () => resolve()));
  }

  private onFileEvent(run: Running, event: FileEvent, path: string, stamp: FileStamp | null): void {
    if (run.closed || this.stopped) return;
    const rel = run.rootIsFile ? basename(path) : relative(run.trigger.config.path, path).split(sep).join("/");
    if (!run.matches(rel)) return;
    const news = run.rootIsFile ? this.noteRootEvent(run, event) : event;
    if (news === null) return;
    // Deletions and creations matter to the merge even when the
    // registration does not listen to them (created + deleted cancels out),
    // so filtering by event happens when the change fires.
    this.table.record(run.trigger.name, path, news, stamp, this.now());
    this.arm();
  }

  /** Points the single debounce timer at the earliest due change. */
  private arm(): void {
    const next = this.table.nextDueAt();
    if (next === null || this.stopped) return;
    if (this.timer && this.timerAt !== null && this.timerAt <= next) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = null;
      void this.flush();
    }, Math.max(0, next - this.now()));
  }

  private async flush(): Promise<void> {
    const due = this.table.due(this.now());
    await Promise.all(
      due.map(async (change) => {
        const current = change.event === "deleted" ? null : await stampOf(change.path);
        const decision = this.table.settle(change.watcher, change.path, current, this.now());
        if (decision.kind !== "fire") return;
        const run = this.running.get(change.watcher);
        if (!run || run.closed) return;
        const settled = { trigger: run.trigger.name, path: change.path, event: decision.change.event };
        if (!run.trigger.config.events.includes(decision.change.event)) {
          this.deps.events.emit("watcher:settled", { ...settled, fired: false });
          return;
        }
        this.deps.events.emit("watcher:settled", { ...settled, fired: true });
        const name = run.trigger.name;
        const request = { triggerId: run.trigger.id, triggerName: name, path: change.path, fileEvent: decision.change.event };
        Promise.resolve()
          .then(() => this.deps.startRun(request))
          .catch((error: unknown) => this.log("warn", `watcher ${name}: could not start a run for ${change.path}: ${messageOf(error)}`));
      }),
    );
    this.arm();
  }

  /**
   * Keeps a single-file root's existence in step with the events recorded
   * for it, and says whether `event` is news: a deletion of a file already
   * recorded deleted is not (the health check and the folder can both see
   * it), and a creation of a file recorded existing is a modification.
   */
  private noteRootEvent(run: Running, event: FileEvent): FileEvent | null {
    if (event === "deleted") {
      if (!run.rootExists) return null;
      run.rootExists = false;
      return event;
    }
    const news: FileEvent = event === "created" && run.rootExists ? "modified" : event;
    run.rootExists = true;
    return news;
  }

  private async checkHealth(): Promise<void> {
    await Promise.all([...this.running.values()].map((run) => this.checkOne(run)));
  }

  /**
   * Notices a root that went away or came back. A folder that went away
   * closes its chokidar instance, which is reopened when the folder is back.
   * A single file that went away only changes the trigger's state while its
   * folder is still watched (the folder reports the deletion and the return
   * itself); when the folder went too, the deletion is recorded here, and
   * the return when the watcher is reopened.
   */
  private async checkOne(run: Running): Promise<void> {
    if (run.checking || run.closed || this.stopped) return;
    run.checking = true;
    try {
      const path = run.trigger.config.path;
      const problem = await rootProblem(path);
      if (run.closed || this.stopped) return;
      if (problem && run.error === null) {
        const folderGone = !run.rootIsFile || (await rootProblem(dirname(path))) !== null;
        if (folderGone) {
          const watcher = run.watcher;
          run.watcher = null;
          await watcher?.close().catch(() => undefined);
          if (run.rootIsFile) this.recordRoot(run, "deleted", null);
        }
        this.markError(run, problem);
      } else if (!problem && run.error !== null) {
        if (run.watcher === null) {
          run.rootIsFile = (await stat(path).catch(() => null))?.isFile() ?? false;
          run.ready = this.attach(run);
          await run.ready;
          if (run.closed) return;
          if (run.rootIsFile) this.recordRoot(run, "created", await stampOf(path));
        }
        this.markRecovered(run);
        this.announceReady(run);
      }
    } catch (error) {
      this.log("warn", `watcher ${run.trigger.name}: ${messageOf(error)}`);
    } finally {
      run.checking = false;
    }
  }

  /** Records a change of a single-file root seen by the health check rather than by chokidar. */
  private recordRoot(run: Running, event: FileEvent, stamp: FileStamp | null): void {
    const news = this.noteRootEvent(run, event);
    if (news === null) return;
    this.table.record(run.trigger.name, run.trigger.config.path, news, stamp, this.now());
    this.arm();
  }

  private announceReady(run: Running): void {
    const { path, recursive, glob } = run.trigger.config;
    this.log("info", `watcher ${run.trigger.name} watching ${path}${recursive ? " recursively" : ""}${glob ? ` (${glob})` : ""}`);
    this.deps.events.emit("watcher:ready", { trigger: run.trigger.name });
  }

  private markError(run: Running, problem: string): void {
    const changed = run.error !== problem;
    run.error = problem;
    if (!changed && run.trigger.stateError === problem) return;
    run.trigger = { ...run.trigger, stateError: problem };
    this.persist(run.trigger.name, problem);
    this.deps.events.emit("watcher:error", { trigger: run.trigger.name, error: problem });
  }

  private markRecovered(run: Running): void {
    run.error = null;
    run.trigger = { ...run.trigger, stateError: null };
    this.persist(run.trigger.name, null);
    this.deps.events.emit("watcher:recovered", { trigger: run.trigger.name });
  }

  private persist(name: string, error: string | null): void {
    Promise.resolve()
      .then(() => this.deps.setStateError(name, error))
      // The trigger may have been unregistered a moment ago; the next sync closes it.
      .catch((e: unknown) => this.log("warn", `watcher ${name}: could not record its state: ${messageOf(e)}`));
  }

  private async close(run: Running): Promise<void> {
    run.closed = true;
    const watcher = run.watcher;
    run.watcher = null;
    await watcher?.close().catch(() => undefined);
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  private log(level: "info" | "warn" | "error", message: string): void {
    this.deps.events.emit("agent:log", { level, message });
  }
}

/** What makes a running instance stale: any change of what or how it watches. */
function signatureOf(trigger: WatchedTrigger): string {
  return JSON.stringify([trigger.id, trigger.workflowFile, trigger.config]);
}

/** `.git` and `node_modules` anywhere below the root are never watched. */
function isIgnored(root: string, path: string): boolean {
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith("..")) return false;
  return rel.split(sep).some((segment) => IGNORED_DIRS.has(segment));
}

/**
 * A glob is matched against the path relative to the watched folder; a glob
 * without a slash matches the file's name at any depth (`*.md`).
 */
export function globMatcher(glob: string | null): (relativePath: string) => boolean {
  if (!glob) return () => true;
  const match = picomatch(glob, { dot: true, basename: !glob.includes("/") });
  return (rel) => match(rel);
}

/** Why the root cannot be watched, or null when it can. */
async function rootProblem(path: string): Promise<string | null> {
  try {
    await access(path, constants.R_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return `${path} does not exist`;
    if (code === "EACCES" || code === "EPERM") return `${path} is not readable`;
    return `${path}: ${messageOf(error)}`;
  }
}

async function stampOf(path: string): Promise<FileStamp | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}
