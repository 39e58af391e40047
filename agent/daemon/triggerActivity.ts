// What a trigger's listing shows moves without any registration change: a
// fire advances a schedule's next fire, and a run the trigger started
// changes its last run (queued, running, finished). Clients that show
// triggers need those moves as they happen, so this collects the names of the
// triggers that moved and hands their current records over once per turn of
// the event loop (a burst of webhook runs becomes one message per turn, not
// one per run).
import { messageOf } from "../errors";
import type { Events } from "../events";
import type { RunSummary, TriggerRecord } from "../protocol";
import type { Store } from "../store";

export interface TriggerActivityDeps {
  store: Store;
  events: Events;
  /** Whether anyone listens; nothing is read from the store otherwise. */
  wanted(): boolean;
  send(triggers: TriggerRecord[]): void;
}

/** Starts watching; returns the function that stops it. */
export function watchTriggerActivity(deps: TriggerActivityDeps): () => void {
  const names = new Set<string>();
  let flushing: NodeJS.Immediate | undefined;

  const flush = async () => {
    flushing = undefined;
    const batch = [...names];
    names.clear();
    if (!deps.wanted()) return;
    const records: TriggerRecord[] = [];
    for (const name of batch) {
      try {
        const row = await deps.store.triggers.get(name);
        // Unregistered meanwhile: its removal is announced as a trigger change.
        if (row) records.push(await deps.store.triggers.toRecord(row));
      } catch (error) {
        deps.events.emit("agent:log", { level: "warn", message: `trigger state of ${name}: ${messageOf(error)}` });
      }
    }
    if (records.length > 0) deps.send(records);
  };
  const moved = (name: string | null) => {
    if (!name || !deps.wanted()) return;
    names.add(name);
    flushing ??= setImmediate(() => void flush());
  };
  const ofRun = (run: RunSummary) => moved(run.triggerName);

  const offs = [
    deps.events.on("schedule:fired", (e) => moved(e.trigger)),
    deps.events.on("schedule:skipped", (e) => moved(e.trigger)),
    deps.events.on("run:queued", ofRun),
    deps.events.on("run:started", ofRun),
    deps.events.on("run:finished", ofRun),
  ];
  return () => {
    offs.forEach((off) => off());
    if (flushing) clearImmediate(flushing);
  };
}
