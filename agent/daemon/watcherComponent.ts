// The file watchers as a part of the agent, and the wait that lets a
// watcher registration answer only once the agent is watching.
import type { TriggerRecord } from "../protocol";
import type { AgentComponent, AgentServices } from "./services";
import { thisHost } from "../store/host";
import { WatcherManager, type WatchedTrigger } from "./watchers";

/**
 * The watchers as a part of the agent: registrations come from the trigger
 * store, error states go back into it (and out to every client as a trigger
 * change), and file events become `file` runs of the trigger's workflow.
 */
export const watcherComponent: AgentComponent = {
  name: "file watchers",
  async start(services: AgentServices) {
    const { store, events } = services;
    const manager = new WatcherManager({
      events,
      // A watcher pinned to another host (team mode) watches a path of that machine: not ours.
      listWatchers: async () => (await store.triggers.rows("watcher")).filter((row) => !row.pinnedHost || row.pinnedHost === thisHost()) as WatchedTrigger[],
      async setStateError(name, error) {
        await store.triggers.update(name, { stateError: error });
        events.emit("triggers:changed", { names: [name] });
      },
      async startRun(request) {
        const row = await store.triggers.getById(request.triggerId);
        if (!row || row.paused) return;
        await services.startRun({
          workflowName: row.workflowName,
          workflowFile: row.workflowFile,
          triggerKind: "file",
          triggerId: row.id,
          triggerName: row.name,
          context: { path: request.path, fileEvent: request.fileEvent },
        });
      },
    });
    await manager.start();
    return { stop: () => manager.stop() };
  },
};

/** How long a registration waits for its watcher before answering anyway. */
const READY_WAIT_MS = 5000;

/**
 * Runs a registration or update of a watcher and answers once the agent
 * watches it (or has found its path unusable), so that a command that
 * returned means changes from then on are seen. Returns the record as it
 * stands then, error state included.
 */
export async function untilWatching(
  services: Pick<AgentServices, "events" | "store">,
  change: () => Promise<TriggerRecord>,
): Promise<TriggerRecord> {
  const settled = new Set<string>();
  const wakers = new Map<string, () => void>();
  const note = (name: string) => {
    settled.add(name);
    wakers.get(name)?.();
  };
  const offs = [
    services.events.on("watcher:ready", (e) => note(e.trigger)),
    services.events.on("watcher:error", (e) => note(e.trigger)),
  ];
  try {
    const record = await change();
    if (record.type !== "watcher" || record.paused || settled.has(record.name)) {
      return record.type === "watcher" ? await services.store.triggers.record(record.name) : record;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READY_WAIT_MS);
      wakers.set(record.name, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return await services.store.triggers.record(record.name);
  } finally {
    offs.forEach((off) => off());
  }
}
