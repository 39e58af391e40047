// `clockwork backfill <schedule> --from T1 --to T2`: do now what the
// schedule would have done over a past range. Every instant its cron and
// zone give in [T1, T2) becomes a cron run with that `scheduled_for`,
// oldest first, marked backfill; an instant that already has a successful
// run is left alone unless --reprocess says otherwise. --dry-run lists the
// instants and what would happen to each. With no agent running, the runs
// are queued in the store and run when the agent starts.
import { Command, InvalidArgumentError, Option } from "commander";
import { loadConfig } from "../../config";
import { MAX_BACKFILL_INSTANTS, REPROCESS_CHOICES } from "../../core/backfill";
import { backfill } from "../../daemon/backfill";
import { Backfill, type BackfillParams, type BackfillResult, type Reprocess } from "../../protocol";
import { withAgentOrStore } from "../client";
import { colour, printJson, table } from "../output";

interface BackfillOptions {
  from: string;
  to: string;
  dryRun?: boolean;
  reprocess: Reprocess;
  maxParallel?: number;
  json?: boolean;
}

export function backfillCommands(program: Command): void {
  program
    .command("backfill")
    .description("Run a schedule's past instants in a range, oldest first, each with its own {run.scheduled_for}; --dry-run lists them first")
    .argument("<schedule>", "the schedule's name (see clockwork list)")
    .requiredOption("--from <time>", "start of the range, inclusive: 2027-03-14T00:00:00Z, or a date or date-time in the schedule's zone (2027-03-14, 2027-03-14T06:00)")
    .requiredOption("--to <time>", "end of the range, exclusive: same forms, or now")
    .option("--dry-run", "list the instants and what would happen to each; start nothing")
    .addOption(
      new Option("--reprocess <which>", "instants that already have runs: none (default: only those that never ran), failed (and those), all").choices(REPROCESS_CHOICES).default("none"),
    )
    .option("--max-parallel <n>", "run up to n at once instead of following the schedule's overlap policy", positiveInteger)
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
Examples:
  clockwork backfill nightly --from 2027-03-01 --to 2027-03-08 --dry-run
  clockwork backfill hourly-report --from 2027-03-14 --to 2027-03-15
  clockwork backfill hourly-report --from 2027-03-14 --to 2027-03-15 --reprocess failed
  clockwork backfill sync --from 2027-03-01T00:00:00Z --to now --max-parallel 4

Times without an offset are read in the schedule's own zone, so a date is
that day there (23 or 25 hours on a DST change). An instant that never ran
(or was only skipped or missed) runs; one that failed runs again with
--reprocess failed; one that succeeded only with --reprocess all; one whose
run is queued or running never gets a second. Running the same backfill
again therefore starts nothing new. At most ${MAX_BACKFILL_INSTANTS} instants per backfill.
Runs follow the schedule's overlap policy (skip or queue: one at a time;
parallel: as many as the agent runs at once) unless --max-parallel is given.
A paused schedule can be backfilled; it stays paused. See docs/backfill.md.`,
    )
    .action(async (name: string, o: BackfillOptions) => {
      const params: BackfillParams = { name, from: o.from, to: o.to, reprocess: o.reprocess };
      if (o.dryRun) params.dryRun = true;
      if (o.maxParallel !== undefined) params.maxParallel = o.maxParallel;
      const { result, viaAgent } = await withAgentOrStore(
        loadConfig(),
        (client) => client.request(Backfill, params),
        (local) =>
          backfill({ store: local.store, now: Date.now, owner: null, checkWorkflow: (file) => local.triggerOps.loadTriggerWorkflow(file) }, params),
      );
      if (o.json) return printJson(result);
      process.stdout.write(formatBackfill(result, viaAgent));
    });
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) {
    throw new InvalidArgumentError(`"${value}" is not a whole number from 1 to 1000`);
  }
  return Number(value);
}

/** The result as a user reads it: what was (or would be) done, then every instant in the schedule's zone. */
export function formatBackfill(result: BackfillResult, viaAgent = true): string {
  const kept = result.instants.length - result.toRun;
  const how =
    result.concurrency.kind === "serial" ? "one at a time" : result.concurrency.kind === "limited" ? `at most ${result.concurrency.max} at once` : "in parallel";
  const head = `${colour.bold(result.schedule)} (${result.cron}, ${result.timezone}): ${result.instants.length} instant${result.instants.length === 1 ? "" : "s"} in [${result.from}, ${result.to})`;
  const lines = [head];
  if (result.dryRun) lines.push(`dry run: ${result.toRun} would run (${how}, oldest first), ${kept} kept; nothing started`);
  else lines.push(`queued ${result.toRun} backfill run${result.toRun === 1 ? "" : "s"} (${how}, oldest first), ${kept} kept`);
  if (result.paused) lines.push(colour.yellow("the schedule is paused: the backfill runs anyway; its own fires stay paused"));
  if (!viaAgent && !result.dryRun && result.toRun > 0) lines.push(colour.yellow("no agent is running: the runs are queued in the store and run when it starts (clockwork agent start)"));
  const rows = result.instants.map((i) => [
    zoneTime(i.scheduledFor, result.timezone),
    i.state,
    i.action === "run" ? colour.green(result.dryRun ? "run" : `run ${i.runId}`) : colour.dim(`keep${i.runId ? ` (${i.runId})` : ""}: ${i.reason ?? ""}`),
  ]);
  return `${lines.join("\n")}\n\n${table([`INSTANT (${result.timezone})`, "HAS", result.dryRun ? "WOULD" : "DONE"], rows)}`;
}

/** "2027-03-14 03:00 EDT": an instant as the schedule's zone reads it. */
export function zoneTime(isoText: string, zone: string): string {
  const at = new Date(isoText);
  const date = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
  const time = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "2-digit", minute: "2-digit", second: at.getUTCSeconds() ? "2-digit" : undefined, hourCycle: "h23", timeZoneName: "short" }).format(at);
  return `${date} ${time}`;
}
