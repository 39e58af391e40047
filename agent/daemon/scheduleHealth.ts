// A schedule whose workflow file stopped loading shows as `error` in
// listings (with the load error), so the problem is visible before anyone
// opens the run history; the next run that gets as far as its steps clears it.
// Every fire still records its own failed run: this only marks the trigger.
import type { Events } from "../events";
import type { RunSummary } from "../protocol";
import type { Store } from "../store";

export function watchScheduleHealth(store: Store, events: Events): () => void {
  return events.on("run:finished", (run: RunSummary) => {
    if (!run.triggerName || (run.status !== "failed" && run.status !== "success")) return;
    try {
      const trigger = store.triggers.get(run.triggerName);
      if (trigger?.type !== "schedule") return;
      // A failed run with no step recorded never got past loading the workflow.
      const loaded = store.runs.getSteps(run.id).length > 0;
      const error = loaded ? null : `the workflow does not load: ${(run.error ?? "unknown error").split("\n", 1)[0]}`;
      if (error === trigger.stateError) return;
      store.triggers.update(trigger.name, { stateError: error });
      events.emit("triggers:changed", { names: [trigger.name] });
    } catch (error) {
      events.emit("agent:log", { level: "warn", message: `schedule state for ${run.triggerName}: ${String(error)}` });
    }
  });
}
