// The connection states the extension can be in, and what the status-bar
// item says in each. Pure, so every state's wording is tested.
import type { AgentStatus } from "../agent/protocol";
import { nextChangeIn, relativeTime, shortTime } from "../agent/core/relativeTime";
import { triggerCountsText } from "../agent/core/triggerKinds";

export type ConnectionState =
  /** Looking for an agent on the socket. */
  | { kind: "connecting" }
  /** No agent answered; this window started one and waits for its socket. */
  | { kind: "starting" }
  | { kind: "connected"; status: AgentStatus }
  /** No agent, and none will be started without the user asking. */
  | { kind: "stopped"; reason: string }
  /** Starting or talking to the agent failed in a way the user should look at. */
  | { kind: "error"; message: string };

export interface StatusBarView {
  text: string;
  tooltip: string;
  /** A command id to run on click. */
  command: string;
  background?: "warning" | "error";
}

export function statusBarView(state: ConnectionState, nowMs: number): StatusBarView {
  switch (state.kind) {
    case "connecting":
      return { text: "$(sync~spin) Clockwork", tooltip: "Clockwork: connecting to the agent…", command: "clockwork.showLog" };
    case "starting":
      return { text: "$(sync~spin) Clockwork", tooltip: "Clockwork: starting the agent…", command: "clockwork.showLog" };
    case "stopped":
      return {
        text: "$(debug-disconnect) Clockwork",
        tooltip: `Clockwork: the agent is not running. ${state.reason}\nClick to start it.`,
        command: "clockwork.startAgent",
        background: "warning",
      };
    case "error":
      return {
        text: "$(error) Clockwork",
        tooltip: `Clockwork: ${state.message}\nClick to show the agent log.`,
        command: "clockwork.showAgentLog",
        background: "error",
      };
    case "connected":
      return connectedView(state.status, nowMs);
  }
}

function connectedView(status: AgentStatus, nowMs: number): StatusBarView {
  const running = status.counts.running;
  const icon = running > 0 ? "$(sync~spin)" : "$(watch)";
  let text = `${icon} Clockwork`;
  if (running > 0) text += ` · ${running} running`;
  else if (status.nextFire) text += ` · ${status.nextFire.trigger} ${relativeTime(Date.parse(status.nextFire.at), nowMs)}`;
  const c = status.counts;
  // From startedAt and the time of rendering, not the status's uptimeMs,
  // which was true only when the agent sent it.
  const started = Date.parse(status.startedAt);
  const lines = [
    `Clockwork agent ${status.version} · pid ${status.pid} · started ${shortTime(started, nowMs)} (${relativeTime(started, nowMs)})`,
    triggerCountsText(c),
    `${c.running} running, ${c.queued} queued`,
  ];
  if (status.nextFire) {
    const at = Date.parse(status.nextFire.at);
    lines.push(`Next fire: ${status.nextFire.trigger} at ${new Date(at).toLocaleString()} (${relativeTime(at, nowMs)})`);
  }
  if (status.httpUrl) lines.push(`HTTP: ${status.httpUrl}`);
  if (status.httpError) lines.push(`HTTP server: ${status.httpError}`);
  if (status.stopping) lines.push("Stopping: finishing running runs.");
  return {
    text,
    tooltip: lines.join("\n"),
    command: "clockwork.focus",
    background: status.httpError || status.stopping ? "warning" : undefined,
  };
}

/**
 * How long the item may stay as it is before its words change (the next
 * fire's countdown, the agent's age), or null when nothing depends on the
 * clock.
 */
export function statusBarRefreshIn(state: ConnectionState, nowMs: number): number | null {
  if (state.kind !== "connected") return null;
  const started = nextChangeIn(Date.parse(state.status.startedAt), nowMs);
  const next = state.status.nextFire ? nextChangeIn(Date.parse(state.status.nextFire.at), nowMs) : Infinity;
  return Math.min(started, next);
}
