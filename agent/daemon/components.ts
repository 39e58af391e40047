// Starting and stopping the agent's components (services.ts: AgentComponent),
// the parts with a lifetime of their own that accept triggers.
import { messageOf } from "../errors";
import type { AgentLogger } from "./agentLog";
import type { AgentComponent, AgentServices } from "./services";

interface Started {
  name: string;
  afterRuns: boolean;
  stop(): Promise<void> | void;
}

/** The components that started, stopped in two groups around the runs' grace period. */
export interface StartedComponents {
  /** Stops those that must not accept anything new once the agent is stopping. */
  stopBeforeRuns(): Promise<void>;
  /** Stops those that keep answering while runs finish (AgentComponent.stopAfterRuns). */
  stopAfterRuns(): Promise<void>;
}

export async function startComponents(components: AgentComponent[], services: AgentServices, log: AgentLogger): Promise<StartedComponents> {
  const stops: Started[] = [];
  for (const component of components) {
    try {
      const handle = await component.start(services);
      if (handle) stops.push({ name: component.name, afterRuns: component.stopAfterRuns === true, stop: () => handle.stop() });
    } catch (error) {
      // One part failing (a port in use) must not keep schedules from firing.
      log("error", `${component.name} did not start: ${messageOf(error)}`);
    }
  }
  // In the reverse of the order they started in; one that fails to stop
  // does not keep the others running.
  const stopParts = async (parts: Started[]) => {
    for (const part of parts.reverse()) {
      try {
        await part.stop();
      } catch (error) {
        log("warn", `${part.name} did not stop cleanly: ${messageOf(error)}`);
      }
    }
  };
  return {
    stopBeforeRuns: () => stopParts(stops.filter((part) => !part.afterRuns)),
    stopAfterRuns: () => stopParts(stops.filter((part) => part.afterRuns)),
  };
}
