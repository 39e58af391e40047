// Turns the agent's typed events into log lines: one line per thing a person
// reading the log after the fact wants to know (runs queued, started and
// finished, schedules fired or skipped, trigger changes, problems). Step
// output is not copied here: it lives in the run store, and it may hold
// values that have no business in a log file.
import { iso } from "../core/iso";
import type { Events } from "../events";

/** Receives one or more whole lines at a time. */
export type LogSink = (lines: string) => void;

/** How the agent's own parts write a line of their own to its log (an `agent:log` event). */
export type AgentLogger = (level: "info" | "warn" | "error", message: string) => void;

export function attachAgentLog(events: Events, sinks: LogSink[], now: () => number = Date.now): () => void {
  // Lines of one event-loop turn go out together: under a burst of webhooks
  // each run logs three lines, and one write per line was a tenth of what
  // the agent spent. Whatever is pending is written before the process exits.
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    for (const sink of sinks) sink(text);
  };
  const write = (level: "info" | "warn" | "error", message: string) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push(`${iso(now())} ${level.padEnd(5)} ${message}\n`);
  };
  process.on("exit", flush);
  const offs = [
    events.on("agent:log", (e) => write(e.level, e.message)),
    // Another agent's runs (team mode) are in that agent's log.
    events.on("run:queued", (r) =>
      events.relayed ? undefined : write("info", `run ${r.id} queued: ${r.workflowName} (${r.triggerKind}${r.triggerName ? ` ${r.triggerName}` : ""})`),
    ),
    events.on("run:started", (r) => (events.relayed ? undefined : write("info", `run ${r.id} started: ${r.workflowName}`))),
    events.on("run:finished", (r) =>
      events.relayed ? undefined : write(
        r.status === "failed" ? "warn" : "info",
        `run ${r.id} ${r.status}: ${r.workflowName}${r.error ? ` — ${firstLine(r.error)}` : ""}`,
      ),
    ),
    events.on("schedule:fired", (e) => write("info", `schedule ${e.trigger} fired for ${e.scheduledFor} → run ${e.runId}`)),
    events.on("schedule:skipped", (e) =>
      write("info", `schedule ${e.trigger} skipped ${e.scheduledFor}: ${e.reason}`),
    ),
    events.on("triggers:changed", (e) => write("info", `triggers changed: ${someNames(e.names)}`)),
    events.on("webhook:rejected", (e) => write("warn", `webhook ${e.name} rejected (${e.status}): ${e.reason}`)),
    events.on("watcher:error", (e) => write("warn", `watcher ${e.trigger}: ${e.error}`)),
    events.on("watcher:recovered", (e) => write("info", `watcher ${e.trigger} recovered`)),
  ];
  return () => {
    offs.forEach((off) => off());
    flush();
    process.off("exit", flush);
  };
}

/** A bulk registration changes thousands of triggers at once: its log line names a few and counts the rest. */
function someNames(names: readonly string[]): string {
  const SHOWN = 10;
  if (names.length <= SHOWN) return names.join(", ");
  return `${names.length} triggers: ${names.slice(0, SHOWN).join(", ")} and ${names.length - SHOWN} more`;
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
