// clockwork register-on-run <file> --workflow NAME[,NAME…] [--status failed,cancelled,skipped,success] [--name N]
//
// A run trigger: runs <file> when a run of one of the named workflows
// finishes with one of the statuses. What the registration was warned about
// (a name nothing has used yet, a cycle) goes to standard error, and into
// the JSON with --json.
import { resolve } from "node:path";
import { Command } from "commander";
import { loadConfig } from "../../config";
import { MAX_CHAIN_DEPTH } from "../../core/runTriggers";
import { invalid } from "../../errors";
import { RegisterRunTrigger, RUN_OUTCOMES, type FinishedStatus, type RegisterRunTriggerParams } from "../../protocol";
import { withAgentOrStore } from "../client";
import { colour, printJson } from "../output";

/** "a,b" given once or several times: every name, in order. */
function commaList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(",").map((v) => v.trim()).filter((v) => v !== "")];
}

export function parseStatuses(text: string): FinishedStatus[] {
  const statuses = commaList(text, []);
  const unknown = statuses.filter((s) => !(RUN_OUTCOMES as readonly string[]).includes(s));
  if (statuses.length === 0 || unknown.length > 0) {
    throw invalid(`--status: choose from ${RUN_OUTCOMES.join(", ")} (comma-separated)${unknown.length ? `; got ${unknown.join(", ")}` : ""}`);
  }
  return [...new Set(statuses)] as FinishedStatus[];
}

export function runTriggerCommands(program: Command): void {
  program
    .command("register-on-run")
    .description("Run a workflow when a run of another workflow finishes (failed, by default)")
    .argument("<file>", "workflow file (*.workflow.ts, .js or .mjs) to run")
    .option("--workflow <names>", "required: the workflow(s) whose runs it reacts to, by name (comma-separated or repeated)", commaList)
    .option("--status <list>", `which outcomes start it: ${RUN_OUTCOMES.join(", ")} (comma-separated)`, "failed")
    .option("--name <name>", "name of the run trigger (default: the workflow's name); unique across all triggers")
    .option("--json", "print {trigger, warnings} as JSON")
    .addHelpText(
      "after",
      `
The run sees the finished run as {trigger.run.id}, {trigger.run.workflow},
{trigger.run.status}, {trigger.run.error} and {trigger.run.trigger_kind}.
A run trigger never reacts to a run it started itself, and a chain of run
triggers stops after ${MAX_CHAIN_DEPTH} runs (the next is recorded as skipped, with the
reason), so workflows that start each other cannot loop.

Examples:
  clockwork register-on-run notify.workflow.ts --workflow nightly-backup,deploy
  clockwork register-on-run cleanup.workflow.ts --workflow ingest --status failed,cancelled --name ingest-cleanup

See docs/run-triggers.md.`,
    )
    .action(async (file: string, o: { workflow?: string[]; status: string; name?: string; json?: boolean }) => {
      if (!o.workflow?.length) throw invalid("--workflow: name at least one workflow whose runs start this one (--workflow NAME[,NAME…])");
      const params: RegisterRunTriggerParams = { file: resolve(file), workflows: o.workflow, statuses: parseStatuses(o.status) };
      if (o.name !== undefined) params.name = o.name;
      const { result, viaAgent } = await withAgentOrStore(
        loadConfig(),
        (client) => client.request(RegisterRunTrigger, params),
        (local) => local.triggerOps.registerRunTrigger(params),
      );
      for (const warning of result.warnings) process.stderr.write(`${colour.yellow("warning:")} ${warning}\n`);
      if (o.json) return printJson(result);
      const r = result.trigger.run!;
      const lines = [
        `${colour.green("registered")} run trigger ${colour.bold(result.trigger.name)} → ${result.trigger.workflowName}`,
        `  when a run of  ${r.workflows.join(", ")}`,
        `  ends           ${r.statuses.join(" or ")}`,
      ];
      if (!viaAgent) lines.push(colour.yellow("  no agent is running: saved to the store; it reacts to runs that finish while an agent runs (`clockwork agent start`)"));
      process.stdout.write(lines.join("\n") + "\n");
    });
}
