// Writes the agent's heartbeat row every few seconds. A live agent whose row
// stops moving is hung (its event loop is blocked), which `clockwork status`
// reports as unhealthy.
import { messageOf } from "../errors";
import type { AgentBeat, AgentRepository } from "../store";

export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A heartbeat older than this means the agent is not keeping up. */
export const HEARTBEAT_STALE_MS = 4 * HEARTBEAT_INTERVAL_MS;

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
