// The agent's stop, in the reverse order of its start: no new triggers, the
// components that accept them stopped, a grace period for running runs,
// then the rest. A second request while stopping cuts the grace short.
import type { Events } from "../events";
import type { AgentStatus } from "../protocol";
import type { AgentLogger } from "./agentLog";
import { announceStatus, type AgentState } from "./agentStatus";
import type { StartedComponents } from "./components";
import type { RunPool } from "./runPool";
import type { Scheduler } from "./scheduler";
import type { SocketServer } from "./socketServer";
import { graceCutShortReason, graceEndedReason } from "./stopReasons";

export interface StopParts {
  state: AgentState;
  events: Events;
  log: AgentLogger;
  status: () => Promise<AgentStatus>;
  scheduler: Scheduler;
  components: StartedComponents;
  pool: RunPool;
  socket: SocketServer;
  graceMs: number;
  /** Releases everything else the start acquired (store, log, lock), last. */
  cleanup: () => void;
}

/**
 * The agent's `stop(cause)`: `cause` (a signal's name, what happened to the
 * store) is named in the log and in the outcome of runs it cancels. Every
 * call returns the same promise.
 */
export function gracefulStop(parts: StopParts): (cause?: string) => Promise<void> {
  const { state, events, log, status, scheduler, components, pool, socket, graceMs, cleanup } = parts;
  let stopped: Promise<void> | undefined;
  let hurry: ((second: string) => void) | undefined;
  return (cause = "asked to stop"): Promise<void> => {
    if (stopped) {
      hurry?.(cause);
      return stopped;
    }
    stopped = (async () => {
      state.stopping = true;
      scheduler.stop();
      // Runs of a store that is gone cannot be recorded: no grace then.
      const grace = state.storeError === null ? graceMs : 0;
      log("info", `agent stopping (${cause}): no new triggers; running runs get ${grace} ms to finish`);
      announceStatus(events, status);
      await components.stopBeforeRuns();
      const startedStopping = Date.now();
      const cutShort = new Promise<string>((resolve) => {
        hurry = (second) => resolve(graceCutShortReason(cause, second, Date.now() - startedStopping, grace));
      });
      const kept = await pool.drain(grace, cutShort, graceEndedReason(cause, grace));
      if (kept > 0) log("info", `${kept} queued run(s) that had not started stay queued and run when the agent starts again`);
      await components.stopAfterRuns();
      await socket.close();
      log("info", "agent stopped");
      cleanup();
    })();
    return stopped;
  };
}
