// clockwork list-triggers [--json]: schedules, webhooks, watchers and run
// triggers in one table: what it is, its state, its last run, and where it
// fires from (the next fire, the URL, the watched path, the watched runs). Pause, resume and unregister
// work on any of these names (`clockwork pause|resume|unregister <name>`).
import { Command } from "commander";
import { loadConfig } from "../../config";
import { relativeTime } from "../../core/relativeTime";
import { unreachable } from "../../core/unreachable";
import { webhookPath } from "../../core/webhookPolicy";
import { ListTriggers, type TriggerRecord } from "../../protocol";
import { withAgentOrStore } from "../client";
import { colour, printJson, table } from "../output";

export function triggerCommands(program: Command): void {
  program
    .command("list-triggers")
    .description("List every trigger (schedules, webhooks, watchers, run triggers) in one table: state, last run, next fire / URL / path")
    .option("--json", "print the trigger records as JSON (never any secret)")
    .addHelpText("after", "\nManage any of them by name with `clockwork pause|resume|unregister <name>`.")
    .action(async (o: { json?: boolean }) => {
      const { result } = await withAgentOrStore(
        loadConfig(),
        (client) => client.request(ListTriggers, {}),
        (local) => local.triggerOps.list(),
      );
      if (o.json) return printJson(result);
      process.stdout.write(formatTriggerTable(result, Date.now()));
    });
}

/** Where a trigger fires from: the next fire, the webhook URL, the watched path, or the runs it reacts to. */
export function firesFrom(t: TriggerRecord, now: number): string {
  switch (t.type) {
    case "schedule": {
      const at = t.schedule?.nextFireAt;
      return at ? `${at} (${relativeTime(Date.parse(at), now)})` : "—";
    }
    case "webhook":
      if (!t.webhook) return "—";
      return t.webhook.url ?? `${webhookPath(t.name)} (agent not listening)`;
    case "watcher": {
      const w = t.watcher;
      if (!w) return "—";
      return `${w.path}${w.recursive ? "/**" : ""}${w.glob ? ` ${w.glob}` : ""} [${w.events.join(",")}]`;
    }
    case "run":
      return t.run ? `when ${t.run.workflows.join(", ")} ends ${t.run.statuses.join(" or ")}` : "—";
    default:
      return unreachable(t.type, "trigger kind");
  }
}

export function formatTriggerTable(triggers: TriggerRecord[], now: number): string {
  if (triggers.length === 0) {
    return "no triggers registered (see `clockwork register`, `register-webhook`, `register-watcher`, `register-on-run`)\n";
  }
  const state = (t: TriggerRecord) => {
    if (t.state === "active") return colour.green("active");
    if (t.state === "paused") return colour.yellow("paused");
    return colour.red(`error: ${t.error ?? "unknown"}`);
  };
  const rows = triggers.map((t) => [
    t.name,
    t.type,
    t.workflowName,
    state(t),
    t.lastRun ? `${t.lastRun.status} ${relativeTime(Date.parse(t.lastRun.at), now)}` : "—",
    firesFrom(t, now),
  ]);
  return table(["NAME", "KIND", "WORKFLOW", "STATE", "LAST RUN", "FIRES ON"], rows);
}
