// Team mode, part two: the shared run queue and the leases. Any agent may
// execute any queued run that is not pinned to another host: when this one
// has free slots it takes the oldest queued runs (TeamStore.takeQueued, with
// SKIP LOCKED, so two agents never take the same one) and hands them to its
// pool, which starts each only if the store still lets it (markRunning: not
// started elsewhere meanwhile, its serial key free). It looks when another
// agent announces a queued or finished run, when one of its own runs ends,
// and every second regardless.
//
// Leases: an agent whose heartbeat is older than the lease is lost. Each
// agent looks for lost ones every heartbeat; exactly one takes each over:
// the lost agent's started runs fail with a reason naming it, its queued
// runs go back to the shared queue, and its heartbeat row goes.
import { messageOf } from "../errors";
import type { Events } from "../events";
import type { RunSummary } from "../protocol";
import type { AgentBeat, Owner, RunRepository, TeamStore } from "../store";
import type { RunPool } from "./runPool";

export interface TeamQueueDeps {
  team: TeamStore;
  /** Where cancels asked of an agent that did not hear them are kept. */
  runs: Pick<RunRepository, "cancelsRequested" | "finishRun">;
  events: Events;
  pool: RunPool;
  owner: Owner;
  /** Hands a queued run this agent took to its pool, under its trigger's overlap policy. */
  resume(run: RunSummary): Promise<void>;
  isStopping(): boolean;
  leaseMs: number;
  /** How often to look for lost agents (the heartbeat's period). */
  checkEveryMs: number;
  /** How often to look at the queue when nothing announces anything. */
  pollEveryMs?: number;
}

/** A look at the queue asked for by another agent's announcement waits this long: the agent that queued a run usually starts it itself. */
const REMOTE_NUDGE_MS = 200;

export function startTeamQueue(deps: TeamQueueDeps): { nudge(delayMs?: number): void; stop(): void } {
  let polling: Promise<void> | undefined;
  let again = false;
  let nudgeTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const poll = (): void => {
    if (stopped || deps.isStopping()) return;
    if (polling) {
      again = true;
      return;
    }
    polling = takeQueued(deps)
      .catch((error: unknown) => log(deps.events, "warn", `team: could not take queued runs: ${messageOf(error)}`))
      .finally(() => {
        polling = undefined;
        if (again) {
          again = false;
          poll();
        }
      });
  };
  const nudge = (delayMs = 0) => {
    if (nudgeTimer) return;
    nudgeTimer = setTimeout(() => {
      nudgeTimer = undefined;
      poll();
    }, delayMs);
  };
  const offFinished = deps.events.on("run:finished", () => nudge());
  const pollTimer = setInterval(poll, deps.pollEveryMs ?? 1000);
  const leaseTimer = setInterval(() => {
    if (stopped || deps.isStopping()) return;
    takeOverLost(deps).then(
      (took) => took && nudge(),
      (error: unknown) => log(deps.events, "warn", `team: could not check other agents' leases: ${messageOf(error)}`),
    );
  }, deps.checkEveryMs);
  pollTimer.unref();
  leaseTimer.unref();
  poll();
  return {
    nudge: (delayMs = REMOTE_NUDGE_MS) => nudge(delayMs),
    stop() {
      stopped = true;
      offFinished();
      clearInterval(pollTimer);
      clearInterval(leaseTimer);
      clearTimeout(nudgeTimer);
    },
  };
}

async function takeQueued(deps: TeamQueueDeps): Promise<void> {
  const free = deps.pool.free;
  if (free <= 0) return;
  const runs = await deps.team.takeQueued(deps.owner, free, deps.pool.ids());
  // A cancel asked while the run sat with an agent that did not hear it
  // (cut off, then taken over) is kept with the run: it ends here, unstarted.
  const asked = new Set(runs.length > 0 ? await deps.runs.cancelsRequested(runs.map((r) => r.id)) : []);
  for (const run of runs) {
    if (deps.pool.has(run.id)) continue;
    if (!asked.has(run.id)) {
      await deps.resume(run);
      continue;
    }
    const cancelled = await deps.runs.finishRun(run.id, "cancelled", "cancelled by request before it started");
    if (cancelled) deps.events.emit("run:finished", cancelled);
  }
}

/** Takes over every lost agent another agent has not; true when it took any. */
async function takeOverLost(deps: TeamQueueDeps): Promise<boolean> {
  // Heartbeats are written on the wall clock (heartbeat.ts).
  const staleBefore = Date.now() - deps.leaseMs;
  let took = false;
  for (const agent of await deps.team.lostAgents(staleBefore)) {
    if (agent.id === deps.owner.id) continue;
    const outcome = await deps.team.takeOver(agent.id, staleBefore, lostReason(agent, deps));
    if (!outcome) continue;
    took = true;
    log(deps.events, "warn", `agent ${agent.id} on ${agent.host} (pid ${agent.pid}) stopped heartbeating: took over (${outcome.failed.length} started run(s) failed, ${outcome.released} queued run(s) back in the shared queue)`);
    for (const run of outcome.failed) deps.events.emit("run:finished", run);
  }
  return took;
}

export function lostReason(agent: AgentBeat, deps: Pick<TeamQueueDeps, "owner" | "leaseMs">): string {
  return (
    `interrupted: agent ${agent.id} on ${agent.host} (pid ${agent.pid}) stopped heartbeating ` +
    `(last beat ${new Date(agent.beatAt).toISOString()}, lease ${Math.round(deps.leaseMs / 1000)} s); ` +
    `taken over by agent ${deps.owner.id} on ${deps.owner.host}`
  );
}

function log(events: Events, level: "info" | "warn", message: string): void {
  events.emit("agent:log", { level, message });
}
