// Team mode, part one: every agent's socket clients see every agent's runs.
// What happens to a run here (queued, started, a step, log lines, finished,
// a cancel asked for) is announced to the other agents sharing the database
// as ids (TeamStore.publish); what they announce is read back from the
// store and emitted here as if it had happened here, so the CLI's `logs -f`,
// `?wait=1` callers and the editor's views follow runs wherever they
// execute. Trigger changes are announced by the store itself, whoever made
// them (an agent, or a command with no agent running); here they become
// `triggers:changed`, which re-arms the scheduler and reloads the watchers.
import { messageOf } from "../errors";
import type { Events } from "../events";
import type { LogChunk, RunSummary } from "../protocol";
import type { Store, TeamMessage, TeamStore } from "../store";
import { RunsHeard } from "./teamCatchUp";

export interface TeamRelayDeps {
  team: TeamStore;
  store: Store;
  events: Events;
  /** A cancel asked on another agent for a run this one may hold. */
  cancelLocal(runId: string): void;
  /** Another agent queued or finished a run: the shared queue may have work for this one. */
  onQueueMoved(): void;
}

const RUN_EVENTS = ["run:queued", "run:started", "run:finished"] as const;

/** Starts relaying both ways; resolves once listening, with the function that stops it. */
export async function startTeamRelay(deps: TeamRelayDeps): Promise<() => Promise<void>> {
  const { team, events } = deps;
  const heard = new RunsHeard();
  // A remote event emitted here is not sent back out.
  const send = (message: TeamMessage) => {
    if (events.relayed) return;
    team.publish(withinLimit(message)).catch((error: unknown) => log(events, `team: could not announce ${message.kind}: ${messageOf(error)}`));
  };
  const logs = coalesceLogs(send);
  const offs = [
    ...RUN_EVENTS.map((name) =>
      events.on(name, (run: RunSummary) => {
        if (events.relayed) return;
        heard.localRun(run);
        send({ kind: "run", event: eventKind(name), runId: run.id, run });
      }),
    ),
    events.on("run:step", (s) => send({ kind: "step", runId: s.runId, index: s.step.index, step: s.step })),
    events.on("run:log", (chunk) => {
      if (!events.relayed) logs.add(chunk);
    }),
    events.on("run:cancelRequested", (c) => send({ kind: "cancel", runId: c.runId })),
  ];
  // Messages are handled one after another, so a run's events keep their order.
  let chain: Promise<void> = Promise.resolve();
  const unsubscribe = await team.subscribe((message) => {
    chain = chain
      .then(() => receive(deps, heard, message))
      .catch((error: unknown) => log(events, `team: ${message.kind} from another agent: ${messageOf(error)}`));
  });
  return async () => {
    offs.forEach((off) => off());
    logs.stop();
    await unsubscribe();
    await chain;
  };
}

const eventKind = (name: (typeof RUN_EVENTS)[number]) => name.slice(4) as "queued" | "started" | "finished";

async function receive(deps: TeamRelayDeps, heard: RunsHeard, message: TeamMessage): Promise<void> {
  const { store, events } = deps;
  switch (message.kind) {
    case "triggers":
      return events.emitRelayed("triggers:changed", { names: message.names });
    case "resync": {
      // Changes announced while this agent was not listening were missed: every trigger may have changed.
      const names = (await store.triggers.rows()).map((row) => row.name);
      events.emitRelayed("triggers:changed", { names });
      // And so were runs' progress: the clients hear it from the store now.
      await heard.catchUp(store, events, message.lostAt);
      // And cancels asked for this agent's runs: each is kept with its run.
      for (const runId of await store.runs.cancelsRequested(heard.localRuns())) {
        deps.cancelLocal(runId);
        events.emitRelayed("run:cancelRequested", { runId });
      }
      return deps.onQueueMoved();
    }
    case "run": {
      const run = message.run ?? (await store.runs.getSummary(message.runId));
      if (run) {
        heard.remoteRun(run);
        events.emitRelayed(`run:${message.event}`, run);
      }
      if (message.event !== "started") deps.onQueueMoved();
      return;
    }
    case "step": {
      const step = message.step ?? (await store.runs.getSteps(message.runId)).find((s) => s.index === message.index);
      if (step) events.emitRelayed("run:step", { runId: message.runId, step });
      return;
    }
    case "log": {
      const chunks = message.chunks ?? (await store.runs.logsAfter(message.runId, message.afterSeq, Math.max(1, message.lastSeq - message.afterSeq))).filter(
        (chunk) => chunk.seq <= message.lastSeq,
      );
      for (const chunk of heard.freshChunks(message.runId, chunks)) events.emitRelayed("run:log", chunk);
      return;
    }
    case "cancel":
      deps.cancelLocal(message.runId);
      return events.emitRelayed("run:cancelRequested", { runId: message.runId });
  }
}

/** Log lines become one message per run per turn of the event loop: the receiver reads them all after the first one's seq. */
function coalesceLogs(send: (message: TeamMessage) => void): { add(chunk: LogChunk): void; stop(): void } {
  const range = new Map<string, { first: number; last: number; chunks: LogChunk[] }>();
  let flush: NodeJS.Immediate | undefined;
  return {
    add(chunk) {
      const seen = range.get(chunk.runId);
      if (seen) {
        seen.last = Math.max(seen.last, chunk.seq);
        seen.chunks.push(chunk);
      } else range.set(chunk.runId, { first: chunk.seq, last: chunk.seq, chunks: [chunk] });
      flush ??= setImmediate(() => {
        flush = undefined;
        for (const [runId, { first, last, chunks }] of range) send({ kind: "log", runId, afterSeq: first - 1, lastSeq: last, chunks });
        range.clear();
      });
    },
    stop() {
      if (flush) clearImmediate(flush);
    },
  };
}

/** PostgreSQL refuses notifications of 8000 bytes or more; a message too big for one goes without its records, which the receiver then reads. */
const PAYLOAD_BUDGET = 7000;

function withinLimit(message: TeamMessage): TeamMessage {
  if (Buffer.byteLength(JSON.stringify(message)) <= PAYLOAD_BUDGET) return message;
  if (message.kind === "run") return { kind: "run", event: message.event, runId: message.runId };
  if (message.kind === "step") return { kind: "step", runId: message.runId, index: message.index };
  if (message.kind === "log") return { kind: "log", runId: message.runId, afterSeq: message.afterSeq, lastSeq: message.lastSeq };
  return message;
}

function log(events: Events, message: string): void {
  events.emit("agent:log", { level: "warn", message });
}
