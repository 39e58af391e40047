// Which of the agent's events reaches socket clients as which notification.
// Every change a client's views show arrives through here (ARCHITECTURE.md:
// every view is derived from the agent's events).
import type { NotificationType } from "vscode-languageserver/node";
import * as P from "../protocol";
import type { AgentServices } from "./services";
import { watchTriggerActivity } from "./triggerActivity";

export type Broadcast = <T>(type: NotificationType<T>, payload: T) => void;

/**
 * Sends each event to the clients through `broadcast`; `wanted` says whether
 * any client listens (trigger records are read from the store only then).
 * Returns the function that stops it.
 */
export function broadcastAgentEvents(services: AgentServices, broadcast: Broadcast, wanted: () => boolean): () => void {
  const offs = [
    services.events.on("run:queued", (r) => broadcast(P.RunChanged, r)),
    services.events.on("run:started", (r) => broadcast(P.RunChanged, r)),
    services.events.on("run:finished", (r) => broadcast(P.RunChanged, r)),
    services.events.on("run:step", (s) => broadcast(P.StepChanged, s)),
    services.events.on("run:log", (c) => broadcast(P.RunLog, c)),
    services.events.on("run:cancelRequested", (c) => broadcast(P.RunCancelRequested, c)),
    services.events.on("triggers:changed", (t) => broadcast(P.TriggersChanged, t)),
    services.events.on("agent:status", (s) => broadcast(P.AgentStatusChanged, s)),
    watchTriggerActivity({
      store: services.store,
      events: services.events,
      wanted,
      send: (triggers) => broadcast(P.TriggerStateChanged, { triggers }),
    }),
  ];
  return () => offs.forEach((off) => off());
}
