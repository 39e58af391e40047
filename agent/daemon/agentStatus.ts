// The agent's status (`clockwork status`, the editors' status bars): what
// the store counts, plus what only the running agent knows, and the
// `agent:status` notification that keeps every client's copy current.
import type { Config } from "../config";
import { VERSION } from "../config";
import type { Events } from "../events";
import type { AgentPeer, AgentStatus } from "../protocol";
import type { AgentBeat, Store } from "../store";

/** What the agent is going through that no store row records; the status, the services and the stop share it. */
export interface AgentState {
  /** The HTTP server's address, or why it is off (AgentServices.setHttp). */
  http: { url: string | null; error: string | null };
  /** True from the first stop request on: no new triggers are accepted. */
  stopping: boolean;
  /** Set when the store file vanished from under the agent (storeWatch.ts). */
  storeError: string | null;
}

export interface StatusSources {
  /** This agent's id, to mark itself among the agents. */
  agentId: string;
  /** A heartbeat older than this is not alive. */
  leaseMs: number;
  config: Config;
  store: Store;
  state: AgentState;
  pid: number;
  socketPath: string;
  startedAt: number;
  now: () => number;
}

/** Reads the status afresh on every call. */
export function statusReader(sources: StatusSources): () => Promise<AgentStatus> {
  const { config, store, state, pid, socketPath, startedAt, now } = sources;
  return async (): Promise<AgentStatus> => {
    // Counted on an index, not read: the status follows every run change.
    const [active, next, counts, beats] = await Promise.all([
      store.runs.countActive(),
      store.triggers.earliestFire(),
      store.triggers.counts(),
      store.agents.list(),
    ]);
    const { http, stopping, storeError } = state;
    return {
      pid,
      version: VERSION,
      startedAt: new Date(startedAt).toISOString(),
      uptimeMs: now() - startedAt,
      home: config.home,
      socket: socketPath,
      httpUrl: http.url,
      httpError: http.error,
      counts: {
        ...counts,
        running: active.running,
        queued: active.queued,
      },
      nextFire: next ? { trigger: next.name, at: new Date(next.at).toISOString() } : null,
      stopping,
      ...(storeError === null ? {} : { storeError }),
      store: { ...store.backend },
      // Heartbeats are written on the wall clock (heartbeat.ts), so they are read against it too.
      agents: beats.map((beat) => peer(beat, Date.now(), sources)),
    };
  };
}

function peer(beat: AgentBeat, wallNow: number, sources: StatusSources): AgentPeer {
  return {
    id: beat.id,
    host: beat.host,
    pid: beat.pid,
    version: beat.version,
    http: beat.http,
    beatAt: new Date(beat.beatAt).toISOString(),
    alive: beat.id === sources.agentId || wallNow - beat.beatAt <= sources.leaseMs,
    self: beat.id === sources.agentId,
  };
}

/**
 * Counts and the next fire change with every trigger edit and run; the
 * clients' status bars follow `agent:status`. Coalesced to at most one per
 * STATUS_EVERY_MS so a burst of webhooks (thousands of run changes a second)
 * does not become a burst of status queries. Returns the unsubscribe.
 */
export function publishStatusOnChange(events: Events, status: () => Promise<AgentStatus>): () => void {
  const STATUS_EVERY_MS = 100;
  let statusTimer: NodeJS.Timeout | undefined;
  let lastStatusAt = 0;
  const statusSoon = () => {
    if (statusTimer) return;
    const wait = Math.max(0, lastStatusAt + STATUS_EVERY_MS - Date.now());
    statusTimer = setTimeout(() => {
      statusTimer = undefined;
      lastStatusAt = Date.now();
      announceStatus(events, status);
    }, wait);
  };
  const offs = (["triggers:changed", "run:queued", "run:started", "run:finished", "schedule:fired"] as const).map((name) =>
    events.on(name, statusSoon),
  );
  return () => {
    for (const off of offs) off();
    clearTimeout(statusTimer);
  };
}

/** Reads the status and tells every client; a status the store could not answer is not worth announcing, the next change will be. */
export function announceStatus(events: Events, status: () => Promise<AgentStatus>): void {
  void status().then(
    (current) => events.emit("agent:status", current),
    () => undefined,
  );
}
