// Registering many schedules in one call (`clockwork/triggers/registerSchedules`,
// `clockwork register --from-file`). Every entry is checked before anything
// is stored: each distinct workflow file is loaded once, each distinct
// (cron, zone) parsed once, names checked against each other; then the
// store writes them all in one transaction. All or nothing: one problem and
// nothing is stored, and the error lists the problems by entry index (from
// 0, as in the JSON array) and field.
import { checkSchedule, type CronSpec } from "../core/cron";
import { nothingRegistered } from "../core/problemList";
import { triggerNameProblem } from "../core/triggerNames";
import { conflict, invalid, messageOf } from "../errors";
import type { RegisterScheduleParams, ScheduleConfig } from "../protocol";
import type { NewTrigger, TakenName, TriggerRepository } from "../store";

/**
 * Distinct (cron, zone) pairs kept parsed during one batch, so that repeated
 * cadences parse once (checking a cron is most of what a bulk registration
 * costs). What is kept is the outcome, a few hundred bytes, not the parsed
 * pattern: bounded at about 2 MB.
 */
const PARSED_LIMIT = 10_000;

export interface Workflow {
  file: string;
  name: string;
}

/** The stored form of one schedule registration, its cron already checked (`spec`) and its first fire computed. */
export function newSchedule(
  name: string,
  workflow: Workflow,
  spec: CronSpec,
  nextFireAt: number | null,
  p: Pick<RegisterScheduleParams, "overlap" | "catchup">,
  pinnedHost: string | null = null,
): NewTrigger {
  const config: ScheduleConfig = { cron: spec.expression, timezone: spec.timezone, overlap: p.overlap ?? "skip", catchup: p.catchup ?? "once" };
  return { name, type: "schedule", workflowFile: workflow.file, workflowName: workflow.name, config, nextFireAt, pinnedHost };
}

export interface ScheduleBatchDeps {
  triggers: TriggerRepository;
  /** The workflow a trigger would run, or an Invalid error saying why the file does not load. */
  loadWorkflow(file: string): Promise<Workflow>;
  /** The host an entry is pinned to (null: none), or an Invalid error saying why it cannot be pinned. */
  pin?(host: string | undefined): string | null;
  now: number;
}

/** What is wrong with one entry: its index (from 0) and "field: what"; `sharedBy` other entries have the same problem (their workflow file). */
interface Problem {
  index: number;
  text: string;
  sharedBy?: number;
}

/** Checks and stores every entry, or none; resolves with the names given, in entry order. */
export async function registerScheduleBatch(entries: readonly RegisterScheduleParams[], deps: ScheduleBatchDeps): Promise<string[]> {
  const workflows = await loadEach(entries, deps.loadWorkflow);
  const problems: Problem[] = [...workflows.problems];
  const parsed = new ParsedCrons(deps.now);
  const firstWithName = new Map<string, number>();
  const triggers: NewTrigger[] = [];
  entries.forEach((entry, index) => {
    const workflow = workflows.byFile.get(entry.file);
    const compiled = parsed.get(entry);
    if (!compiled.ok) problems.push({ index, text: compiled.message });
    if (workflow === undefined) return;
    const name = entry.name ?? workflow.name;
    const nameProblem = checkName(name, index, entry.name === undefined, firstWithName);
    if (nameProblem !== undefined) problems.push(nameProblem);
    const pinned = pinOf(entry, index, deps.pin);
    if (!pinned.ok) problems.push(pinned.problem);
    if (compiled.ok && pinned.ok && problems.length === 0) triggers.push(newSchedule(name, workflow, compiled.spec, compiled.next, entry, pinned.host));
  });
  if (problems.length > 0) throw invalid(listed(problems));
  const taken = await deps.triggers.createMany(triggers);
  if (taken.length > 0) throw conflict(listed(taken.map(takenProblem)));
  return triggers.map((t) => t.name);
}

function pinOf(
  entry: RegisterScheduleParams,
  index: number,
  pin: ScheduleBatchDeps["pin"],
): { ok: true; host: string | null } | { ok: false; problem: Problem } {
  if (entry.host === undefined || pin === undefined) return { ok: true, host: entry.host ?? null };
  try {
    return { ok: true, host: pin(entry.host) };
  } catch (error) {
    return { ok: false, problem: { index, text: `host: ${messageOf(error)}` } };
  }
}

/** The problems in entry order, whichever check found them (a file's problem is found first). */
function listed(problems: Problem[]): string {
  const ordered = [...problems].sort((a, b) => a.index - b.index);
  return nothingRegistered(ordered.map(({ index, text, sharedBy }) => `entry ${index}${also(sharedBy)}: ${text}`));
}

function also(others = 0): string {
  if (others === 0) return "";
  return ` (and ${others} other ${others === 1 ? "entry" : "entries"} with this file)`;
}

/** Loads each distinct file once; a file that does not load is one problem, at the first entry naming it. */
async function loadEach(
  entries: readonly RegisterScheduleParams[],
  load: (file: string) => Promise<Workflow>,
): Promise<{ byFile: Map<string, Workflow>; problems: Problem[] }> {
  const users = new Map<string, number[]>();
  entries.forEach((entry, index) => {
    const list = users.get(entry.file);
    if (list) list.push(index);
    else users.set(entry.file, [index]);
  });
  const byFile = new Map<string, Workflow>();
  const problems: Problem[] = [];
  await Promise.all(
    [...users].map(async ([file, indexes]) => {
      try {
        byFile.set(file, await load(file));
      } catch (error) {
        const message = messageOf(error);
        const text = message.startsWith("file:") ? message : `file: ${message}`;
        problems.push({ index: indexes[0]!, text, sharedBy: indexes.length - 1 });
      }
    }),
  );
  return { byFile, problems };
}

/** A name problem of entry `index`, or undefined; remembers the name for the entries after it. */
function checkName(name: string, index: number, defaulted: boolean, firstWithName: Map<string, number>): Problem | undefined {
  const invalidName = triggerNameProblem(name);
  if (invalidName !== undefined) return { index, text: invalidName };
  const first = firstWithName.get(name);
  if (first === undefined) {
    firstWithName.set(name, index);
    return undefined;
  }
  const why = defaulted ? ` (the workflow's name, as the entry has none; give each entry its own "name")` : "";
  return { index, text: `name: "${name}" is also the name of entry ${first}${why}` };
}

function takenProblem(t: TakenName): Problem {
  return { index: t.index, text: `name: a trigger named "${t.name}" already exists (a ${t.type}); choose another name or unregister it first` };
}

type Parsed = { ok: true; spec: CronSpec; next: number } | { ok: false; message: string };

/** Each distinct (cron, zone) of a batch parsed once, its first fire after the batch's `now` with it, within a bounded memory. */
class ParsedCrons {
  private readonly parsed = new Map<string, Parsed>();

  constructor(private readonly now: number) {}

  get(entry: Pick<RegisterScheduleParams, "cron" | "timezone">): Parsed {
    const key = `${entry.cron}\u0000${entry.timezone ?? ""}`;
    let outcome = this.parsed.get(key);
    if (outcome === undefined) {
      outcome = this.parse(entry);
      if (this.parsed.size >= PARSED_LIMIT) this.parsed.clear();
      this.parsed.set(key, outcome);
    }
    return outcome;
  }

  private parse(entry: Pick<RegisterScheduleParams, "cron" | "timezone">): Parsed {
    try {
      return { ok: true, ...checkSchedule(entry.cron, entry.timezone, this.now) };
    } catch (error) {
      return { ok: false, message: messageOf(error) };
    }
  }
}
