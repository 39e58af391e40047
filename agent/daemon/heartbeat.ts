// Writes the agent's heartbeat row every few seconds. A live agent whose row
// stops moving is hung (its event loop is blocked), which `clockwork status`
// reports as unhealthy.
import { invalid, messageOf } from "../errors";
import type { AgentBeat, AgentRepository } from "../store";

export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A heartbeat older than this means the agent is not keeping up. */
export const HEARTBEAT_STALE_MS = 4 * HEARTBEAT_INTERVAL_MS;

/**
 * The lease of an agent in team mode (CLOCKWORK_AGENT_LEASE_MS, default
 * HEARTBEAT_STALE_MS): an agent whose heartbeat is older is lost, and the
 * others take over its work. It beats a few times per lease, so one slow
 * beat never loses it.
 */
export function leaseFromEnv(env: NodeJS.ProcessEnv = process.env): { leaseMs: number; beatEveryMs: number } {
  const raw = env.CLOCKWORK_AGENT_LEASE_MS;
  const value = raw === undefined || raw === "" ? HEARTBEAT_STALE_MS : Number(raw);
  if (!Number.isInteger(value) || value < 1000) {
    throw invalid(`CLOCKWORK_AGENT_LEASE_MS must be a whole number of milliseconds, at least 1000, got "${raw}"`);
  }
  return { leaseMs: value, beatEveryMs: Math.min(HEARTBEAT_INTERVAL_MS, Math.floor(value / 4)) };
}

export interface HeartbeatHandle {
  stop(): Promise<void>;
}

export function startHeartbeat(
  agents: AgentRepository,
  info: () => Omit<AgentBeat, "beatAt">,
  onError: (message: string) => void,
  intervalMs = HEARTBEAT_INTERVAL_MS,
  now: () => number = Date.now,
): HeartbeatHandle {
  const beat = () => agents.beat({ ...info(), beatAt: now() }).catch((error: unknown) => onError(`heartbeat: ${messageOf(error)}`));
  void beat();
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      // The store may already be closing; a leftover row is harmless.
      await agents.remove(info().id).catch(() => undefined);
    },
  };
}
