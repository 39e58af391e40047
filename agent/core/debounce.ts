// Trailing-edge debounce for file events, per (watcher, path).
//
// Each file event pushes its path's due time to `now + delay`; a burst of
// writes therefore ends in one run, `delay` after the last write. At the due
// time the watcher stats the file and asks `settle` whether it has stopped
// being written: if its size or mtime differ from what the last event saw,
// something wrote to it since and the wait starts again. Events inside one
// burst merge into the one the run should see (created + modified is still
// "created", modified + deleted is "deleted", deleted + created is a
// replacement and so "modified", created + deleted cancels out).
//
// Pure bookkeeping: no timers, no fs. Time and file stamps are passed in.
import type { FileEvent } from "../protocol";

export const DEFAULT_DEBOUNCE_MS = 500;

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

export interface PendingChange {
  watcher: string;
  path: string;
  event: FileEvent;
  dueAt: number;
  /** What the file looked like at the last event (or last check); null when unknown. */
  stamp: FileStamp | null;
  /** How many checks in a row found the file missing. */
  missing: number;
  /** A stat is in flight for this change; `due` does not hand it out again. */
  checking: boolean;
}

export type SettleDecision =
  | { kind: "fire"; change: PendingChange }
  | { kind: "wait"; dueAt: number }
  | { kind: "drop" };

/** The event a run should see for `previous` followed by `next` in one burst; null cancels. */
export function mergeEvents(previous: FileEvent, next: FileEvent): FileEvent | null {
  if (previous === "created") return next === "deleted" ? null : "created";
  if (previous === "deleted") return next === "deleted" ? "deleted" : "modified";
  return next === "deleted" ? "deleted" : "modified";
}

export function sameStamp(a: FileStamp | null, b: FileStamp | null): boolean {
  return a !== null && b !== null && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

const keyOf = (watcher: string, path: string) => `${watcher}\u0000${path}`;

export class DebounceTable {
  private readonly pending = new Map<string, PendingChange>();

  constructor(readonly delayMs: number = DEFAULT_DEBOUNCE_MS) {}

  get size(): number {
    return this.pending.size;
  }

  /** Records one file event; returns the change's new due time, or null when the burst cancelled out. */
  record(watcher: string, path: string, event: FileEvent, stamp: FileStamp | null, now: number): number | null {
    const key = keyOf(watcher, path);
    const existing = this.pending.get(key);
    const merged = existing ? mergeEvents(existing.event, event) : event;
    if (merged === null) {
      this.pending.delete(key);
      return null;
    }
    const dueAt = now + this.delayMs;
    this.pending.set(key, {
      watcher,
      path,
      event: merged,
      dueAt,
      stamp: event === "deleted" ? null : stamp,
      missing: 0,
      checking: existing?.checking ?? false,
    });
    return dueAt;
  }

  /** The earliest due time of a change not being checked, or null when nothing waits. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const change of this.pending.values()) {
      if (!change.checking && (next === null || change.dueAt < next)) next = change.dueAt;
    }
    return next;
  }

  /** Changes due at `now`, marked as being checked. The caller stats each and calls `settle`. */
  due(now: number): PendingChange[] {
    const out: PendingChange[] = [];
    for (const change of this.pending.values()) {
      if (!change.checking && change.dueAt <= now) {
        change.checking = true;
        out.push({ ...change });
      }
    }
    return out;
  }

  /**
   * Decides a checked change given the file's current stamp (null when it
   * does not exist). Firing removes the change from the table.
   */
  settle(watcher: string, path: string, current: FileStamp | null, now: number): SettleDecision {
    const key = keyOf(watcher, path);
    const change = this.pending.get(key);
    if (!change) return { kind: "drop" };
    change.checking = false;
    // An event arrived while the stat was in flight: the burst goes on.
    if (change.dueAt > now) return { kind: "wait", dueAt: change.dueAt };
    if (change.event === "deleted") {
      this.pending.delete(key);
      return { kind: "fire", change };
    }
    if (current === null) {
      // The unlink event is probably on its way and will merge into this
      // change; give it one more delay before giving up on the file.
      change.missing += 1;
      if (change.missing >= 2) {
        this.pending.delete(key);
        return { kind: "drop" };
      }
      change.dueAt = now + this.delayMs;
      return { kind: "wait", dueAt: change.dueAt };
    }
    change.missing = 0;
    if (!sameStamp(change.stamp, current)) {
      // Written since the last event we saw (or we never saw its size):
      // not finished yet, wait for it to be still for a whole delay.
      change.stamp = current;
      change.dueAt = now + this.delayMs;
      return { kind: "wait", dueAt: change.dueAt };
    }
    this.pending.delete(key);
    return { kind: "fire", change };
  }

  /** Forgets every pending change of a watcher (unregistered or reconfigured). */
  clearWatcher(watcher: string): void {
    for (const [key, change] of this.pending) if (change.watcher === watcher) this.pending.delete(key);
  }
}
