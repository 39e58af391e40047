// A schedule whose workflow file stopped loading shows as `error` in
// listings (with the load error), so the problem is visible before anyone
// opens the run history; the next run that gets as far as its steps clears it.
// Every fire still records its own failed run: this only marks the trigger.
import type { Events } from "../events";
import type { RunSummary } from "../protocol";
import type { Store } from "../store";

export function watchScheduleHealth(store: Store, events: Events): () => void {
  const check = async (run: RunSummary, triggerName: string) => {
    const trigger = await store.triggers.get(triggerName);
    if (trigger?.type !== "schedule") return;
    // A failed run with no step recorded never got past loading the workflow.
    const loaded = (await store.runs.getSteps(run.id)).length > 0;
    const error = loaded ? null : `the workflow does not load: ${(run.error ?? "unknown error").split("\n", 1)[0]}`;
    if (error === trigger.stateError) return;
    await store.triggers.update(trigger.name, { stateError: error });
    events.emit("triggers:changed", { names: [trigger.name] });
  };
  return events.on("run:finished", (run: RunSummary) => {
    // In team mode the agent that ran it does this once for everybody.
    if (events.relayed) return;
    if (!run.triggerName || (run.status !== "failed" && run.status !== "success")) return;
    const name = run.triggerName;
    check(run, name).catch((error: unknown) =>
      events.emit("agent:log", { level: "warn", message: `schedule state for ${name}: ${String(error)}` }),
    );
  });
}
