// What a replay is, for every place that starts one (the agent's
// clockwork/runs/replay, and `clockwork replay` with no agent): the
// original's workflow file loaded again, and a new run with the original's
// trigger kind, trigger, context and `scheduled_for`, linked by `replayOf`.
// A replay is deliberate: it passes no delivery-id check and no overlap
// policy, like Run Now.
import { existsSync } from "node:fs";
import { invalid, messageOf, notFound } from "../errors";
import type { RunRecord, RunSummary } from "../protocol";
import type { NewRun } from "../store";
import type { LoadedWorkflow, WorkflowLoader } from "../workflow/load";

/** The replayed run's workflow, loaded now; a file that is gone or no longer loads is an error naming it. */
export async function loadForReplay(loader: WorkflowLoader, original: RunSummary): Promise<LoadedWorkflow> {
  if (!existsSync(original.workflowFile)) {
    throw notFound(
      `cannot replay run ${original.id}: its workflow file ${original.workflowFile} is gone (moved or deleted); put it back, or run the workflow from where it is now with clockwork run <file> --body …`,
    );
  }
  try {
    return await loader.load(original.workflowFile);
  } catch (error) {
    throw invalid(`cannot replay run ${original.id}: ${original.workflowFile} does not load: ${messageOf(error)}`);
  }
}

export type ReplayStart = Required<Pick<NewRun, "triggerKind" | "context" | "triggerName" | "triggerId" | "replayOf" | "scheduledFor">>;

/**
 * The new run's trigger and context: the original's, with `body` in place of
 * its body when one is given. `triggerId` is the trigger's current id, or
 * null when it was unregistered (the run keeps the name it ran under).
 */
export function replayStart(original: RunRecord, body: unknown, triggerId: number | null): ReplayStart {
  return {
    triggerKind: original.triggerKind,
    context: body === undefined ? original.trigger : { ...original.trigger, body },
    triggerName: original.triggerName,
    triggerId,
    replayOf: original.id,
    scheduledFor: original.scheduledFor === null ? null : Date.parse(original.scheduledFor),
  };
}
