// Schedules and the commands that work on any trigger by name:
//   clockwork register <file> --cron EXPR [--tz] [--name] [--overlap] [--catchup]
//   clockwork register --from-file schedules.json
//   clockwork list [--type] [--json]
//   clockwork pause|resume|unregister <name>
//   clockwork update <name> [--cron] [--tz] [--overlap] [--catchup]
// Each goes through the agent when one answers (the change takes effect at
// once), else straight to the store (the agent picks it up when it starts).
import { resolve } from "node:path";
import { Command, Option } from "commander";
import { loadConfig } from "../../config";
import { TRIGGER_TYPES } from "../../core/triggerKinds";
import { webhookPath } from "../../core/webhookPolicy";
import type { CatchupPolicy, MissedReport, OverlapPolicy, TriggerRecord, TriggerType } from "../../protocol";
import {
  ListTriggers,
  RegisterSchedule,
  RegisterSchedules,
  type RegisterSchedulesResult,
  SetTriggerPaused,
  UnregisterTrigger,
  UpdateTrigger,
  type UpdateTriggerParams,
} from "../../protocol";
import { ClockworkError, invalid } from "../../errors";
import { withAgentOrStore } from "../client";
import { readScheduleFile } from "../scheduleFile";
import { colour, printJson, table } from "../output";
import { backfillHint, missedText } from "../runFormat";
import { thisHost } from "../../store/host";

const overlapOption = () =>
  new Option("--overlap <policy>", "while the previous run is still going: skip it (recorded as skipped), queue one, or run in parallel").choices([
    "skip",
    "queue",
    "parallel",
  ]);
const catchupOption = () =>
  new Option("--catchup <policy>", "after downtime or sleep: fire once for the missed time (within 24 h), or skip").choices([
    "once",
    "skip",
  ]);

const NO_AGENT_NOTE = "no agent is running: saved to the store; `clockwork agent start` to have it fire";

export function scheduleCommands(program: Command): void {
  registerCommand(program);
  listCommand(program);
  pauseResumeCommands(program);
  unregisterCommand(program);
  updateCommand(program);
}

/** `clockwork register <file> --cron …`, or `clockwork register --from-file schedules.json` */
function registerCommand(program: Command): void {
  program
    .command("register")
    .description("Run a workflow on a cron schedule (or register many schedules from a JSON file)")
    .argument("[file]", "workflow file (*.workflow.ts, .js or .mjs)")
    .option("--cron <expr>", 'cron expression: 5 fields, 6 with seconds first, or a nickname (@daily); quote it')
    .option("--tz <zone>", "IANA timezone the schedule runs in (default: this machine's zone, stored explicitly)")
    .option("--name <name>", "name of the schedule (default: the workflow's name); unique across all triggers")
    .addOption(overlapOption().default("skip"))
    .addOption(catchupOption().default("once"))
    .option("--pin [host]", "team mode: only agents of this host run it (default: this machine), e.g. for shell steps that need its files")
    .option("--from-file <json>", "register every schedule in this JSON array, all or none (see docs/schedules.md)")
    .option("--json", "print the registered trigger (with --from-file: the count and names) as JSON")
    .addHelpText(
      "after",
      `
Examples:
  clockwork register digest.workflow.ts --cron "0 9 * * 1-5" --tz Europe/Berlin
  clockwork register backup.workflow.ts --cron @daily --name nightly-backup --overlap queue
  clockwork register --from-file schedules.json

A schedules file is a JSON array of {"file", "cron", "timezone"?, "name"?, "overlap"?, "catchup"?, "host"?};
relative files are read from the JSON file's folder. Check an expression first with
\`clockwork cron "<expr>"\`. See docs/schedules.md.`,
    )
    .action(async (file: string | undefined, o: RegisterOptions, command: Command) => {
      if (o.fromFile !== undefined) return registerFromFile(o.fromFile, file, o, command);
      if (file === undefined || o.cron === undefined) {
        throw invalid("give a workflow file and --cron (clockwork register <file> --cron EXPR), or --from-file <json>");
      }
      await registerOne(file, { ...o, cron: o.cron });
    });
}

interface RegisterOptions {
  cron?: string;
  tz?: string;
  name?: string;
  overlap: OverlapPolicy;
  catchup: CatchupPolicy;
  pin?: string | true;
  fromFile?: string;
  json?: boolean;
}

async function registerOne(file: string, o: RegisterOptions & { cron: string }): Promise<void> {
  const params = {
    ...pinParam(o.pin),
    file: resolve(file),
    cron: o.cron,
    overlap: o.overlap,
    catchup: o.catchup,
    ...(o.tz === undefined ? {} : { timezone: o.tz }),
    ...(o.name === undefined ? {} : { name: o.name }),
  };
  const { result, viaAgent } = await withAgentOrStore(
    loadConfig(),
    (client) => client.request(RegisterSchedule, params),
    (local) => local.triggerOps.registerSchedule(params),
  );
  if (o.json) return printJson(result);
  const s = result.schedule!;
  process.stdout.write(
    `${colour.green("registered")} schedule ${colour.bold(result.name)}: ${s.description} (${s.timezone})\n` +
      `  next fire ${s.nextFireAt ?? "never"}\n` +
      (viaAgent ? "" : `  ${colour.yellow(NO_AGENT_NOTE)}\n`),
  );
}

/** `--from-file`: one request for the whole file, so it is registered all or none. */
async function registerFromFile(path: string, file: string | undefined, o: RegisterOptions, command: Command): Promise<void> {
  // Settings on the command line would silently apply to some entries and not others: each entry carries its own.
  const given = ["cron", "tz", "name", "overlap", "catchup", "pin"].filter((key) => command.getOptionValueSource(key) === "cli");
  if (file !== undefined || given.length > 0) {
    const extra = [...(file === undefined ? [] : [file]), ...given.map((key) => `--${key}`)].join(", ");
    throw invalid(`--from-file takes everything from the file; drop ${extra} (each entry has file, cron, timezone, name, overlap, catchup, host)`);
  }
  const schedules = readScheduleFile(path);
  let outcome: { result: RegisterSchedulesResult; viaAgent: boolean };
  try {
    outcome = await withAgentOrStore(
      loadConfig(),
      (client) => client.request(RegisterSchedules, { schedules }),
      (local) => local.triggerOps.registerSchedules(schedules),
    );
  } catch (error) {
    // The problems name entries by index; the file they are in goes first.
    if (error instanceof ClockworkError) throw new ClockworkError(error.kind, `${path}: ${error.message}`);
    throw error;
  }
  const { result, viaAgent } = outcome;
  if (o.json) return printJson(result);
  const count = result.registered === 1 ? "1 schedule" : `${result.registered} schedules`;
  process.stdout.write(
    `${colour.green("registered")} ${count} from ${path}\n` + (viaAgent ? "" : `  ${colour.yellow(NO_AGENT_NOTE)}\n`),
  );
}

/** `--pin` alone pins to the host this command runs on (CLOCKWORK_HOST or the machine's name). */
export function pinParam(pin: string | true | undefined): { host?: string } {
  if (pin === undefined) return {};
  return { host: pin === true ? thisHost() : pin };
}

/** `clockwork list [--type] [--json]` */
function listCommand(program: Command): void {
  program
    .command("list")
    .description("List registered triggers (schedules, webhooks, watchers, run triggers) with their state, last run and next fire")
    .addOption(new Option("--type <type>", "only this kind").choices(TRIGGER_TYPES))
    .option("--json", "print the trigger records as JSON")
    .action(async (o: { type?: TriggerType; json?: boolean }) => {
      const params = o.type === undefined ? {} : { type: o.type };
      const { result } = await withAgentOrStore(
        loadConfig(),
        (client) => client.request(ListTriggers, params),
        (local) => local.triggerOps.list(o.type),
      );
      if (o.json) return printJson(result);
      process.stdout.write(formatTriggers(result, Date.now()));
    });
}

/** `clockwork pause|resume <name>`: any kind */
function pauseResumeCommands(program: Command): void {
  for (const [command, paused, verb] of [
    ["pause", true, "paused"],
    ["resume", false, "resumed"],
  ] as const) {
    program
      .command(command)
      .description(
        paused
          ? "Pause a trigger by name (any kind): it stops firing until resumed"
          : "Resume a paused trigger; a schedule continues at its next regular time, with no backlog",
      )
      .argument("<name>", "trigger name (see `clockwork list`)")
      .option("--json", "print the trigger as JSON")
      .action(async (name: string, o: { json?: boolean }) => {
        const { result, viaAgent } = await withAgentOrStore(
          loadConfig(),
          (client) => client.request(SetTriggerPaused, { name, paused }),
          (local) => local.triggerOps.setPaused(name, paused),
        );
        if (o.json) return printJson(result);
        const next = result.schedule && !paused ? `; next fire ${result.schedule.nextFireAt ?? "never"}` : "";
        process.stdout.write(`${verb} ${result.type} ${colour.bold(result.name)}${next}\n${viaAgent ? "" : `  ${colour.yellow(NO_AGENT_NOTE)}\n`}`);
      });
  }
}

/** `clockwork unregister <name>`: any kind */
function unregisterCommand(program: Command): void {
  program
    .command("unregister")
    .description("Remove a trigger by name (any kind); its past runs stay in history")
    .argument("<name>", "trigger name (see `clockwork list`)")
    .action(async (name: string) => {
      const { viaAgent } = await withAgentOrStore(
        loadConfig(),
        (client) => client.request(UnregisterTrigger, { name }),
        (local) => local.triggerOps.unregister(name),
      );
      process.stdout.write(`unregistered ${colour.bold(name)}\n${viaAgent ? "" : `  ${colour.yellow("no agent is running: removed from the store")}\n`}`);
    });
}

/** `clockwork update <name> …`: a schedule in place */
function updateCommand(program: Command): void {
  program
    .command("update")
    .description("Change a schedule in place; a new cadence recomputes the next fire")
    .argument("<name>", "schedule name (see `clockwork list`)")
    .option("--cron <expr>", "new cron expression")
    .option("--tz <zone>", "new IANA timezone")
    .addOption(overlapOption())
    .addOption(catchupOption())
    .option("--json", "print the trigger as JSON")
    .action(async (name: string, o: { cron?: string; tz?: string; overlap?: OverlapPolicy; catchup?: CatchupPolicy; json?: boolean }) => {
      const params: UpdateTriggerParams = { name };
      if (o.cron !== undefined) params.cron = o.cron;
      if (o.tz !== undefined) params.timezone = o.tz;
      if (o.overlap !== undefined) params.overlap = o.overlap;
      if (o.catchup !== undefined) params.catchup = o.catchup;
      const { result, viaAgent } = await withAgentOrStore(
        loadConfig(),
        (client) => client.request(UpdateTrigger, params),
        (local) => local.triggerOps.update(params),
      );
      if (o.json) return printJson(result);
      const s = result.schedule;
      process.stdout.write(
        `${colour.green("updated")} ${result.type} ${colour.bold(result.name)}` +
          (s ? `: ${s.cron} — ${s.description} (${s.timezone}), overlap ${s.overlap}, catchup ${s.catchup}; next fire ${result.paused ? "none while paused" : (s.nextFireAt ?? "never")}` : "") +
          `\n${viaAgent ? "" : `  ${colour.yellow(NO_AGENT_NOTE)}\n`}`,
      );
    });
}

/** Listings grouped by kind, one table each, with the columns that kind has. */
export function formatTriggers(triggers: TriggerRecord[], now: number): string {
  if (triggers.length === 0) return "no triggers registered (see `clockwork register --help`)\n";
  const word = (t: TriggerRecord) =>
    t.state === "active" ? colour.green("active") : t.state === "paused" ? colour.yellow("paused") : colour.red("error");
  const cells: CommonCells = {
    // Every kind shows why it is in error (a workflow that no longer loads, a watched folder that is gone).
    state: (t) => (t.error ? `${word(t)}: ${t.error}` : word(t)),
    last: (t) => (t.lastRun ? `${t.lastRun.status} ${relative(Date.parse(t.lastRun.at), now)}` : "—"),
    now,
  };
  const out: string[] = [];
  for (const type of TRIGGER_TYPES) {
    const ofKind = triggers.filter((t) => t.type === type);
    if (ofKind.length === 0) continue;
    const kind = KIND_TABLES[type];
    out.push(table(kind.head, ofKind.map((t) => kind.row(t, cells))));
  }
  const missed = triggers.filter((t) => t.schedule?.missed);
  if (missed.length > 0) out.push(missed.map((t) => missedNote(t.name, t.schedule!.missed!)).join("\n") + "\n");
  return out.join("\n");
}

/** A schedule's outstanding missed instants, and the command that runs them. */
function missedNote(name: string, missed: MissedReport): string {
  const left = missed.outstanding === missed.count ? "" : ` (${missed.outstanding} still without a run)`;
  return `${colour.yellow(`${name} missed ${missedText(missed)}`)}${left}\n  run them with: ${backfillHint(name, missed)}`;
}

interface CommonCells {
  state: (t: TriggerRecord) => string;
  last: (t: TriggerRecord) => string;
  now: number;
}

/** The columns of each kind's table; a kind without one is a compile error. */
const KIND_TABLES: { [K in TriggerType]: { head: string[]; row: (t: TriggerRecord, c: CommonCells) => string[] } } = {
  schedule: {
    head: ["SCHEDULE", "WORKFLOW", "CRON", "WHEN", "ZONE", "STATE", "LAST RUN", "NEXT FIRE", "MISSED"],
    row: (t, c) => [
      t.name,
      t.workflowName,
      t.schedule!.cron,
      t.schedule!.description,
      t.schedule!.timezone,
      c.state(t),
      c.last(t),
      t.schedule!.nextFireAt ? `${t.schedule!.nextFireAt} (${relative(Date.parse(t.schedule!.nextFireAt), c.now)})` : "—",
      t.schedule!.missed ? colour.yellow(String(t.schedule!.missed.outstanding)) : "—",
    ],
  },
  webhook: {
    head: ["WEBHOOK", "WORKFLOW", "URL", "STATE", "LAST RUN"],
    row: (t, c) => [t.name, t.workflowName, t.webhook!.url ?? webhookPath(t.name), c.state(t), c.last(t)],
  },
  watcher: {
    head: ["WATCHER", "WORKFLOW", "PATH", "EVENTS", "STATE", "LAST RUN"],
    row: (t, c) => [
      t.name,
      t.workflowName,
      `${t.watcher!.path}${t.watcher!.glob ? ` (${t.watcher!.glob})` : ""}`,
      t.watcher!.events.join(","),
      c.state(t),
      c.last(t),
    ],
  },
  run: {
    head: ["RUN TRIGGER", "WORKFLOW", "WHEN A RUN OF", "ENDS", "STATE", "LAST RUN"],
    row: (t, c) => [t.name, t.workflowName, t.run!.workflows.join(", "), t.run!.statuses.join(","), c.state(t), c.last(t)],
  },
};

/** "in 5 s", "3 min ago": enough to read a listing at a glance. */
export function relative(at: number, now: number): string {
  const delta = at - now;
  const abs = Math.abs(delta);
  const unit =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  return delta >= 0 ? `in ${unit}` : `${unit} ago`;
}
