// Team mode as a part of the agent: on a store several agents share
// (store.team, PostgreSQL), the relay of run events and trigger changes
// (teamRelay.ts) and the shared queue with its leases (teamQueue.ts).
// On SQLite there is no team, and nothing here starts.
import type { Events } from "../events";
import { thisHost } from "../store/host";
import { isPidAlive } from "./lock";
import type { Owner, Store, TeamStore } from "../store";
import type { RunControl } from "./runControl";
import type { RunPool } from "./runPool";
import { startTeamQueue } from "./teamQueue";
import { startTeamRelay } from "./teamRelay";

export interface TeamModeParts {
  store: Store;
  events: Events;
  pool: RunPool;
  runControl: RunControl;
  owner: Owner;
  isStopping(): boolean;
  lease: { leaseMs: number; beatEveryMs: number };
}

/**
 * Whether the owner of a run is alive to be asked to cancel it, in team
 * mode: an agent while its heartbeat is within the lease (wherever it runs),
 * a `clockwork run` on this host while its pid lives; one on another host
 * is asked through its agent and presumed alive.
 */
export function teamOwnerAlive(store: Store, leaseMs: number): (owner: Owner) => Promise<boolean> {
  return async (owner) => {
    if (owner.id.startsWith("agent:")) {
      const beat = await store.agents.get(owner.id);
      return beat !== undefined && Date.now() - beat.beatAt <= leaseMs;
    }
    return owner.host === "" || owner.host === thisHost() ? isPidAlive(owner.pid) : true;
  };
}

/** Starts team mode when the store is shared; returns the function that stops it (a no-op otherwise). */
export async function startTeamMode(parts: TeamModeParts): Promise<() => Promise<void>> {
  const team: TeamStore | undefined = parts.store.team;
  if (!team) return async () => undefined;
  const { events, pool, runControl, owner, isStopping, lease } = parts;
  const queue = startTeamQueue({
    team,
    runs: parts.store.runs,
    events,
    pool,
    owner,
    // The run's stored serial key is the store's to enforce (markRunning);
    // locally its trigger's policy orders what this agent took.
    resume: (run) => runControl.resume(run, null),
    isStopping,
    leaseMs: lease.leaseMs,
    checkEveryMs: lease.beatEveryMs,
  });
  let stopRelay: () => Promise<void>;
  try {
    stopRelay = await startTeamRelay({
      team,
      store: parts.store,
      events,
      cancelLocal: (runId) => void pool.cancel(runId, "requested by a client"),
      onQueueMoved: () => queue.nudge(),
    });
  } catch (error) {
    queue.stop();
    throw error;
  }
  return async () => {
    queue.stop();
    await stopRelay();
  };
}
