// Run triggers: a workflow runs when a run of another workflow finishes with
// one of the chosen outcomes. This is the policy, pure: what a registration
// may say, whether a finished run starts a trigger's workflow, is recorded as
// a cut chain, or is none of its business, and what a registration is warned
// about. The agent's part (daemon/runTriggerComponent.ts) only reads rows and
// starts runs.
//
// Loops are impossible by construction: every run a run trigger starts
// carries its depth (1 + the depth of the run it reacted to), a run trigger
// never reacts to a run it started itself, and a reaction deeper than
// MAX_CHAIN_DEPTH is not started but recorded as a skipped run saying why —
// a record nothing reacts to in turn.
import { invalid } from "../errors";
import { RUN_OUTCOMES, type FinishedStatus, type RunSummary, type RunTriggerConfig, type TriggerContext } from "../protocol";
import type { TriggeringRun } from "../sdk";

/** How many runs started by run triggers one chain may hold; the next is recorded as skipped. */
export const MAX_CHAIN_DEPTH = 5;
export const DEFAULT_RUN_STATUSES: readonly FinishedStatus[] = ["failed"];
const MAX_WORKFLOWS = 100;
const MAX_NAME_LENGTH = 200;

/** The settings of a registration, checked and normalised (trimmed, de-duplicated, statuses in their usual order). */
export function checkRunTriggerConfig(input: { workflows: readonly string[]; statuses?: readonly string[] | undefined }): RunTriggerConfig {
  const workflows = [...new Set(input.workflows.map((w) => w.trim()).filter((w) => w !== ""))];
  if (workflows.length === 0) throw invalid("workflows: name at least one workflow whose runs it reacts to (--workflow NAME[,NAME…])");
  if (workflows.length > MAX_WORKFLOWS) throw invalid(`workflows: at most ${MAX_WORKFLOWS} workflows, got ${workflows.length}`);
  const long = workflows.find((w) => w.length > MAX_NAME_LENGTH);
  if (long !== undefined) throw invalid(`workflows: "${long.slice(0, 40)}…" is longer than ${MAX_NAME_LENGTH} characters`);
  const asked = input.statuses ?? DEFAULT_RUN_STATUSES;
  const unknown = asked.filter((s) => !(RUN_OUTCOMES as readonly string[]).includes(s));
  if (unknown.length > 0 || asked.length === 0) {
    throw invalid(`statuses: choose one or more of ${RUN_OUTCOMES.join(", ")}${unknown.length > 0 ? `; got ${unknown.join(", ")}` : ""}`);
  }
  return { workflows, statuses: RUN_OUTCOMES.filter((s) => asked.includes(s)) };
}

/** How deep in a chain of run triggers a run is: 0 unless a run trigger started it. */
export function chainDepth(run: Pick<RunSummary, "triggerKind">, context: TriggerContext | undefined): number {
  return run.triggerKind === "run" ? (context?.run?.depth ?? 0) : 0;
}

export interface RunTriggerView {
  name: string;
  paused: boolean;
  config: RunTriggerConfig;
}

export type Reaction =
  /** Not this trigger's business (another workflow, another outcome, paused, its own run). */
  | { action: "ignore"; why: string }
  | { action: "start"; run: TriggeringRun }
  /** Too deep: recorded as a skipped run with `reason`, never started. */
  | { action: "cut"; run: TriggeringRun; reason: string };

/** What `trigger` does about `run`, which just finished `depth` deep in a chain (chainDepth). */
export function reactionTo(trigger: RunTriggerView, run: RunSummary, depth: number): Reaction {
  if (trigger.paused) return { action: "ignore", why: "paused" };
  if (!trigger.config.workflows.includes(run.workflowName)) return { action: "ignore", why: "another workflow" };
  const status = run.status as FinishedStatus;
  if (!trigger.config.statuses.includes(status)) return { action: "ignore", why: `it does not react to ${run.status}` };
  if (run.triggerName === trigger.name) return { action: "ignore", why: "a run it started itself" };
  // A run past the limit is the record of a cut chain: reacting to it would record another, and so on.
  if (depth > MAX_CHAIN_DEPTH) return { action: "ignore", why: "the record of a cut chain" };
  const triggering: TriggeringRun = {
    id: run.id,
    workflow: run.workflowName,
    status,
    error: run.error,
    triggerKind: run.triggerKind,
    depth: depth + 1,
  };
  if (triggering.depth <= MAX_CHAIN_DEPTH) return { action: "start", run: triggering };
  return {
    action: "cut",
    run: triggering,
    reason:
      `not started: run ${run.id} of "${run.workflowName}" was already the ${ordinal(depth)} run in a chain of run triggers, ` +
      `and a chain stops at ${MAX_CHAIN_DEPTH} so that workflows that start each other cannot loop`,
  };
}

export interface RunTriggerEdge {
  name: string;
  /** The workflow it runs. */
  workflowName: string;
  config: Pick<RunTriggerConfig, "workflows">;
}

/**
 * What a registration is warned about, though it is accepted: workflow names
 * nothing has used yet (`known` says which are), a trigger that watches its
 * own workflow, and a cycle through the run triggers already registered
 * (`others`).
 */
export function registrationWarnings(trigger: RunTriggerEdge, others: readonly RunTriggerEdge[], known: (workflow: string) => boolean): string[] {
  const warnings: string[] = [];
  for (const workflow of trigger.config.workflows) {
    if (!known(workflow)) {
      warnings.push(`no workflow named "${workflow}" has run or is registered yet; the trigger reacts once a run of that name finishes`);
    }
  }
  if (trigger.config.workflows.includes(trigger.workflowName)) {
    warnings.push(
      `"${trigger.name}" runs "${trigger.workflowName}", which it also watches: it never reacts to a run it started itself, so it runs at most once for each run started otherwise`,
    );
  }
  const cycle = findCycle(trigger, others);
  if (cycle) {
    warnings.push(
      `these workflows start each other through run triggers: ${cycle.join(" → ")}; such a chain stops after ${MAX_CHAIN_DEPTH} runs and the next is recorded as skipped`,
    );
  }
  return warnings;
}

/**
 * A path of workflows from one `trigger` watches, through its own workflow
 * and other run triggers, back to where it started ("a → b → a"), or
 * undefined. A trigger watching its own workflow is reported apart.
 */
export function findCycle(trigger: RunTriggerEdge, others: readonly RunTriggerEdge[]): string[] | undefined {
  const edges = [...others.filter((o) => o.name !== trigger.name), trigger];
  const next = (workflow: string) => edges.filter((e) => e.config.workflows.includes(workflow)).map((e) => e.workflowName);
  // Breadth first from the workflow this trigger runs, so the shortest cycle is the one named.
  const cameFrom = new Map<string, string | null>([[trigger.workflowName, null]]);
  const queue = [trigger.workflowName];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const to of next(at)) {
      if (trigger.config.workflows.includes(to) && to !== trigger.workflowName) return [to, ...pathTo(cameFrom, at), to];
      if (cameFrom.has(to)) continue;
      cameFrom.set(to, at);
      queue.push(to);
    }
  }
  return undefined;
}

function pathTo(cameFrom: Map<string, string | null>, end: string): string[] {
  const path: string[] = [];
  for (let at: string | null | undefined = end; at != null; at = cameFrom.get(at)) path.unshift(at);
  return path;
}

/** "1st", "2nd", "5th", "11th": where a run stands in a chain. */
export function ordinal(n: number): string {
  const suffix = n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th";
  return `${n}${suffix}`;
}
