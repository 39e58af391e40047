// `clockwork history`: the latest runs, newest first, from the run store.
import type { Command } from "commander";
import { loadConfig } from "../../config";
import { terminalDuration } from "../../core/durationText";
import { invalid } from "../../errors";
import type { RunStatus, RunSummary } from "../../protocol";
import { failOrphanRuns } from "../../runner/orphans";
import { connectStore } from "../../store";
import { printJson, table } from "../output";
import { elapsed, localTime, originLabel, paintStatus } from "../runFormat";

const STATUSES: RunStatus[] = ["queued", "running", "success", "failed", "cancelled", "skipped"];

interface HistoryOptions {
  workflow?: string;
  trigger?: string;
  status?: string;
  limit: string;
  json?: boolean;
}

export function historyCommands(program: Command): void {
  program
    .command("history")
    .description("List recent runs, newest first")
    .option("--workflow <name>", "only runs of this workflow")
    .option("--trigger <name>", "only runs started by this registered trigger")
    .option("--status <status>", `only runs with this status: ${STATUSES.join(", ")}`)
    .option("--limit <n>", "how many runs to list", "20")
    .option("--json", "print the runs as a JSON array")
    .addHelpText(
      "after",
      `
Examples:
  clockwork history
  clockwork history --workflow daily-digest --status failed
  clockwork history --limit 5 --json

Show one run in full with: clockwork show <run id or a unique prefix of it>`,
    )
    .action(async (options: HistoryOptions) => {
      if (!/^\d+$/.test(options.limit) || Number(options.limit) < 1) {
        throw invalid(`--limit: "${options.limit}" is not a positive whole number`);
      }
      if (options.status !== undefined && !STATUSES.includes(options.status as RunStatus)) {
        throw invalid(`--status: "${options.status}" is not a status; use one of ${STATUSES.join(", ")}`);
      }
      const store = await connectStore(loadConfig());
      let runs: RunSummary[];
      try {
        await failOrphanRuns(store.runs, { team: store.team !== undefined });
        runs = await store.runs.listRuns({
          workflow: options.workflow,
          trigger: options.trigger,
          status: options.status as RunStatus | undefined,
          limit: Number(options.limit),
        });
      } finally {
        await store.close();
      }
      if (options.json) printJson(runs);
      else process.stdout.write(historyTable(runs, options));
    });
}

export function historyTable(runs: RunSummary[], filtered: { workflow?: string; trigger?: string; status?: string } = {}): string {
  if (runs.length === 0) {
    const any = filtered.workflow || filtered.trigger || filtered.status;
    return any ? "No runs match.\n" : "No runs yet. Start one with: clockwork run <file.workflow.ts>\n";
  }
  const rows = runs.map((run) => {
    const took = elapsed(run.startedAt, run.finishedAt);
    return [
      run.id,
      run.workflowName,
      originLabel(run),
      // A skipped row that carries missed instants is the record of a schedule's missed fires.
      paintStatus(run.status, run.missed && run.status === "skipped" ? `missed ${run.missed.count}` : run.status),
      localTime(run.startedAt ?? run.createdAt),
      took === undefined ? (run.status === "running" ? "running" : "–") : terminalDuration(took),
    ];
  });
  return table(["ID", "WORKFLOW", "TRIGGER", "STATUS", "STARTED", "DURATION"], rows);
}
