// Run triggers as a part of the agent: every finished run (executed here,
// reported by a `clockwork run` in a terminal, skipped by an overlap policy,
// failed by recovery at start as interrupted) is offered to the run triggers that watch its
// workflow, and each one that reacts starts its workflow through the run
// control, as a `run` run carrying the finished run in its context. What
// counts as a reaction is core/runTriggers.ts; this file reads rows and
// starts runs.
import { chainDepth, reactionTo } from "../core/runTriggers";
import { messageOf } from "../errors";
import type { Events } from "../events";
import type { RunSummary } from "../protocol";
import type { RunTriggerRow, Store } from "../store";
import type { AgentComponent, AgentServices } from "./services";

export const runTriggerComponent: AgentComponent = {
  name: "run triggers",
  // Runs that finish during the shutdown grace period are still offered; a
  // reaction is then refused by the run control and says so in the log.
  stopAfterRuns: true,
  async start(services: AgentServices) {
    const reactor = new RunTriggerReactor(services);
    const stop = reactor.start();
    // Runs that recovery failed (interrupted) finished before this listened.
    for (const run of services.recoveredRuns) reactor.enqueue(run);
    return { stop };
  },
};

/** What a finished run's reaction needs of the agent. */
type ReactorServices = Pick<AgentServices, "store" | "events" | "startRun">;

export class RunTriggerReactor {
  /** Trigger ids by the workflow name they watch; rebuilt after a registration changes, never per finished run. */
  private index: Promise<Map<string, number[]>> | undefined;
  /** Finished runs are handled one after another, so two reports of one run cannot both start a reaction. */
  private queue: Promise<void> = Promise.resolve();
  private readonly store: Store;
  private readonly events: Events;

  constructor(private readonly services: ReactorServices) {
    this.store = services.store;
    this.events = services.events;
  }

  /** Listens from now on; returns the function that stops listening. */
  start(): () => Promise<void> {
    const offs = [
      this.events.on("triggers:changed", () => (this.index = undefined)),
      // In team mode every agent hears every run finish; only the agent where it finished fires the run triggers, once.
      this.events.on("run:finished", (run) => (this.events.relayed ? undefined : this.enqueue(run))),
    ];
    return async () => {
      offs.forEach((off) => off());
      await this.queue;
    };
  }

  /** Offers a finished run once every run offered before it has been decided. */
  enqueue(run: RunSummary): void {
    this.queue = this.queue.then(() => this.offer(run)).catch((error: unknown) => this.log("error", `run ${run.id}: ${messageOf(error)}`));
  }

  /** Every run trigger that watches the run's workflow decides about it. */
  async offer(run: RunSummary): Promise<void> {
    const ids = (await this.watchers()).get(run.workflowName);
    if (!ids) return;
    const triggers: RunTriggerRow[] = [];
    for (const id of ids) {
      const row = await this.store.triggers.getById(id);
      if (row?.type === "run") triggers.push(row);
    }
    if (triggers.length === 0) return;
    // Only a run a run trigger started has a depth, so only then is its context read.
    const depth = run.triggerKind === "run" ? chainDepth(run, (await this.store.runs.getRun(run.id)).trigger) : 0;
    for (const trigger of triggers) {
      try {
        await this.react(trigger, run, depth);
      } catch (error) {
        // One trigger failing to start (the agent is stopping, the store refused) does not keep the others from reacting.
        this.log("warn", `run trigger ${trigger.name} did not react to run ${run.id}: ${messageOf(error)}`);
      }
    }
  }

  private async react(trigger: RunTriggerRow, run: RunSummary, depth: number): Promise<void> {
    const reaction = reactionTo(trigger, run, depth);
    if (reaction.action === "ignore") return;
    // The same finished run reported twice (a terminal's report, a retried notification) starts one reaction.
    const deliveryId = `run:${run.id}`;
    if (await this.store.runs.findDelivery(trigger.id, deliveryId, 0)) return;
    const common = {
      workflowName: trigger.workflowName,
      workflowFile: trigger.workflowFile,
      triggerKind: "run" as const,
      triggerId: trigger.id,
      triggerName: trigger.name,
      context: { run: reaction.run },
      deliveryId,
    };
    if (reaction.action === "start") {
      await this.services.startRun(common);
      return;
    }
    const cut = await this.store.runs.insertRun({ ...common, status: "skipped", error: reaction.reason });
    this.log("warn", `run trigger ${trigger.name}: ${reaction.reason}`);
    this.events.emit("run:finished", cut);
  }

  private watchers(): Promise<Map<string, number[]>> {
    if (this.index) return this.index;
    const loading = this.store.triggers.rows("run").then((rows) => {
      const index = new Map<string, number[]>();
      for (const row of rows) {
        if (row.type !== "run") continue;
        for (const workflow of row.config.workflows) index.set(workflow, [...(index.get(workflow) ?? []), row.id]);
      }
      return index;
    });
    this.index = loading;
    // A failed read is not kept: the next finished run tries again.
    loading.catch(() => {
      if (this.index === loading) this.index = undefined;
    });
    return loading;
  }

  private log(level: "info" | "warn" | "error", message: string): void {
    this.events.emit("agent:log", { level, message });
  }
}
