// Writes the agent's heartbeat row every few seconds. A live agent whose row
// stops moving is hung (its event loop is blocked), which `clockwork status`
// reports as unhealthy.
import { messageOf } from "../errors";
import type { Heartbeat, HeartbeatStore } from "../store/heartbeats";

export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A heartbeat older than this means the agent is not keeping up. */
export const HEARTBEAT_STALE_MS = 4 * HEARTBEAT_INTERVAL_MS;

export interface HeartbeatHandle {
  stop(): void;
}

export function startHeartbeat(
  store: HeartbeatStore,
  info: () => Omit<Heartbeat, "beatAt">,
  onError: (message: string) => void,
  intervalMs = HEARTBEAT_INTERVAL_MS,
  now: () => number = Date.now,
): HeartbeatHandle {
  const beat = () => {
    try {
      store.beat({ ...info(), beatAt: now() });
    } catch (error) {
      onError(`heartbeat: ${messageOf(error)}`);
    }
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      try {
        store.remove(info().pid);
      } catch {
        // The store may already be closing; a leftover row is harmless.
      }
    },
  };
}
