// Registering and editing triggers: the checks before anything is stored (the
// cron expression, the zone, the workflow file must load, the name must be
// free) and the store writes after. The agent's socket handlers call this, and
// so do CLI commands when no agent answers; with an `events` bus each change
// is announced (`triggers:changed`) so the scheduler re-arms at once and every
// client lists again.
import { existsSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { checkSchedule, describeCron, nextFireAfter, parseCron, type CronSpec } from "../core/cron";
import { checkRunTriggerConfig, registrationWarnings, type RunTriggerEdge } from "../core/runTriggers";
import { nextOnResume } from "../core/schedulePolicy";
import { TRIGGER_KINDS } from "../core/triggerKinds";
import { triggerNameProblem } from "../core/triggerNames";
import { unreachable } from "../core/unreachable";
import { webhookUrl } from "../core/webhookPolicy";
import { conflict, invalid, messageOf } from "../errors";
import type { Events } from "../events";
import type {
  FileEvent,
  RegisterRunTriggerParams,
  RegisterScheduleParams,
  RegisterSchedulesResult,
  RegisterWatcherParams,
  RegisterWebhookParams,
  ScheduleConfig,
  TriggerRecord,
  TriggerType,
  UpdateTriggerParams,
  WatcherConfig,
} from "../protocol";
import type { RunRepository, TriggerRepository, TriggerRow } from "../store";
import type { WorkflowLoader } from "../workflow/load";
import { newSchedule, registerScheduleBatch } from "./scheduleBatch";

const ALL_FILE_EVENTS: FileEvent[] = ["created", "modified", "deleted"];

/** A webhook registration after the webhook policy's checks: every setting present, the secret made. */
export type CheckedWebhook = Required<Pick<RegisterWebhookParams, "file" | "headers" | "maxBodyBytes" | "secret">> &
  Pick<RegisterWebhookParams, "name">;

/** The settings `clockwork/triggers/update` can change on each kind; a webhook is registered again instead. */
const UPDATABLE: { [K in TriggerType]: ReadonlyArray<Exclude<keyof UpdateTriggerParams, "name">> } = {
  schedule: ["cron", "timezone", "overlap", "catchup"],
  webhook: [],
  watcher: ["path", "events", "recursive", "glob"],
  run: [],
};
const ALL_UPDATABLE = Object.values(UPDATABLE).flat();

export interface TriggerOpsDeps {
  triggers: TriggerRepository;
  /** Run history, to tell whether a workflow a run trigger names has ever run (a warning, not a refusal). */
  runs?: Pick<RunRepository, "listRuns">;
  /** Checks that a workflow file loads before a trigger points at it (evaluated in an executor). */
  loader: WorkflowLoader;
  events?: Events;
  now?: () => number;
  /** True when several agents share the store (team mode): only then can a trigger be pinned to a host. */
  shared?: boolean;
}

/** The human-readable cadence stored schedules show (the TriggerStore's `describeSchedule`). */
export function describeSchedule(config: ScheduleConfig): string {
  return describeCron(config.cron);
}

export function scheduleSpec(config: ScheduleConfig): CronSpec {
  return { expression: config.cron, timezone: config.timezone };
}

export class TriggerOps {
  private readonly triggers: TriggerRepository;
  private readonly now: () => number;

  constructor(private readonly deps: TriggerOpsDeps) {
    this.triggers = deps.triggers;
    this.now = deps.now ?? Date.now;
  }

  /** The host a new trigger is pinned to; pinning means something only where agents share the store. */
  private pin(host: string | undefined): string | null {
    if (host === undefined) return null;
    if (!this.deps.shared) {
      throw invalid(`pinning to host "${host}" needs team mode: set CLOCKWORK_DATABASE_URL (docs/team.md); one agent on SQLite runs everything on its own host`);
    }
    return host;
  }

  list(type?: TriggerRecord["type"]): Promise<TriggerRecord[]> {
    return this.triggers.list(type);
  }

  async registerSchedule(p: RegisterScheduleParams): Promise<TriggerRecord> {
    const { spec, next } = checkSchedule(p.cron, p.timezone, this.now());
    const workflow = await this.loadTriggerWorkflow(p.file);
    const name = await this.freeName(p.name ?? workflow.name);
    const row = await this.triggers.create(newSchedule(name, workflow, spec, next, p, this.pin(p.host)));
    return this.changed(row);
  }

  /**
   * Registers every schedule or none (scheduleBatch.ts); one
   * `triggers:changed` names them all. Resolves with their names in entry
   * order.
   */
  async registerSchedules(entries: readonly RegisterScheduleParams[]): Promise<RegisterSchedulesResult> {
    const names = await registerScheduleBatch(entries, {
      triggers: this.triggers,
      loadWorkflow: (file) => this.loadTriggerWorkflow(file),
      pin: (host) => this.pin(host),
      now: this.now(),
    });
    if (names.length > 0) this.deps.events?.emit("triggers:changed", { names });
    return { registered: names.length, names };
  }

  /**
   * Stores a new webhook whose settings the webhook policy already checked
   * (daemon/webhooks.ts `registerWebhook`, which also decides rotation and
   * makes the secret).
   */
  async createWebhook(
    p: CheckedWebhook & { host?: string },
    httpUrl: string | null = null,
  ): Promise<{ trigger: TriggerRecord; url: string | null }> {
    const pinnedHost = this.pin(p.host);
    const workflow = await this.loadTriggerWorkflow(p.file);
    const name = await this.freeName(p.name ?? workflow.name);
    const row = await this.triggers.create({
      name,
      type: "webhook",
      workflowFile: workflow.file,
      workflowName: workflow.name,
      config: { headers: p.headers, maxBodyBytes: p.maxBodyBytes },
      secret: p.secret,
      pinnedHost,
    });
    const trigger = await this.changed(row);
    return { trigger, url: webhookUrl(httpUrl, name) ?? trigger.webhook?.url ?? null };
  }

  async registerWatcher(p: RegisterWatcherParams): Promise<TriggerRecord> {
    const config = checkWatcher({
      path: p.path,
      events: p.events ?? ALL_FILE_EVENTS,
      recursive: p.recursive ?? true,
      glob: p.glob ?? null,
    });
    const workflow = await this.loadTriggerWorkflow(p.file);
    const name = await this.freeName(p.name ?? workflow.name);
    const row = await this.triggers.create({ name, type: "watcher", workflowFile: workflow.file, workflowName: workflow.name, config });
    return this.changed(row);
  }

  /**
   * A run trigger: runs `file` when a run of one of `workflows` finishes
   * with one of `statuses`. Workflow names nothing has used yet, a trigger
   * watching its own workflow and cycles are accepted with a warning: the
   * chain depth limit (core/runTriggers.ts) keeps every chain finite.
   */
  async registerRunTrigger(p: RegisterRunTriggerParams): Promise<{ trigger: TriggerRecord; warnings: string[] }> {
    const config = checkRunTriggerConfig(p);
    const workflow = await this.loadTriggerWorkflow(p.file);
    const name = await this.freeName(p.name ?? workflow.name);
    const all = await this.triggers.rows();
    const others: RunTriggerEdge[] = all.flatMap((row) => (row.type === "run" ? [row] : []));
    const known = new Set(all.map((row) => row.workflowName));
    for (const w of config.workflows) {
      if (!known.has(w) && (await this.deps.runs?.listRuns({ workflow: w, limit: 1 }))?.length) known.add(w);
    }
    known.add(workflow.name);
    const warnings = registrationWarnings({ name, workflowName: workflow.name, config }, others, (w) => known.has(w));
    const row = await this.triggers.create({ name, type: "run", workflowFile: workflow.file, workflowName: workflow.name, config });
    return { trigger: await this.changed(row), warnings };
  }

  /** Edits in place; a schedule's next fire is recomputed from now when its cadence changes. */
  async update(p: UpdateTriggerParams): Promise<TriggerRecord> {
    const row = await this.triggers.require(p.name);
    const given = ALL_UPDATABLE.filter((k) => p[k] !== undefined);
    const misplaced = given.filter((k) => !UPDATABLE[row.type].includes(k));
    if (misplaced.length > 0) {
      throw invalid(`"${row.name}" is a ${TRIGGER_KINDS[row.type].words[0]}; ${misplaced.join(", ")} cannot be changed on it`);
    }
    if (given.length === 0) {
      throw invalid(`nothing to change on "${row.name}": give at least one setting to update`);
    }
    const now = this.now();
    switch (row.type) {
      case "schedule": {
        const cadenceChanged = p.cron !== undefined || p.timezone !== undefined;
        const spec = parseCron(p.cron ?? row.config.cron, p.timezone ?? row.config.timezone);
        const config: ScheduleConfig = {
          cron: spec.expression,
          timezone: spec.timezone,
          overlap: p.overlap ?? row.config.overlap,
          catchup: p.catchup ?? row.config.catchup,
        };
        const patch = cadenceChanged && !row.paused ? { config, nextFireAt: nextFireAfter(spec, now) } : { config };
        return this.changed(await this.triggers.update(row.name, patch));
      }
      case "watcher": {
        const config = checkWatcher({
          path: p.path ?? row.config.path,
          events: p.events ?? row.config.events,
          recursive: p.recursive ?? row.config.recursive,
          glob: p.glob !== undefined ? p.glob : row.config.glob,
        });
        return this.changed(await this.triggers.update(row.name, { config, stateError: null }));
      }
      case "webhook":
        throw invalid(`"${row.name}" is a webhook; re-register it to change its settings`);
      case "run":
        throw invalid(`"${row.name}" is a run trigger; unregister it and register it again to change its settings`);
      default:
        return unreachable(row, "trigger kind");
    }
  }

  /** Pause clears the next fire; resume recomputes it from now, keeping the cadence (no backlog). */
  async setPaused(name: string, paused: boolean): Promise<TriggerRecord> {
    const row = await this.triggers.require(name);
    if (row.paused === paused) return this.triggers.toRecord(row);
    const next = !paused && row.type === "schedule" ? nextOnResume(scheduleSpec(row.config), this.now()) : null;
    return this.changed(await this.triggers.setPaused(name, paused, next));
  }

  async unregister(name: string): Promise<{ name: string }> {
    const row = await this.triggers.remove(name);
    this.deps.events?.emit("triggers:changed", { names: [row.name] });
    return { name: row.name };
  }

  private changed(row: TriggerRow): Promise<TriggerRecord> {
    this.deps.events?.emit("triggers:changed", { names: [row.name] });
    return this.triggers.toRecord(row);
  }

  private async freeName(name: string): Promise<string> {
    const problem = triggerNameProblem(name);
    if (problem !== undefined) throw invalid(`${problem}; pass --name`);
    const existing = await this.triggers.get(name);
    if (existing) {
      throw conflict(`a trigger named "${name}" already exists (a ${TRIGGER_KINDS[existing.type].words[0]}); choose another --name or unregister it first`);
    }
    return name;
  }

  /** The workflow a trigger would run, or an Invalid error saying why the file does not load. */
  async loadTriggerWorkflow(file: string): Promise<{ file: string; name: string }> {
    if (!isAbsolute(file)) throw invalid(`file: "${file}" must be an absolute path`);
    if (!existsSync(file)) throw invalid(`workflow file not found: ${file}`);
    try {
      const workflow = await this.deps.loader.load(file);
      return { file: workflow.file, name: workflow.name };
    } catch (error) {
      throw invalid(`workflow does not load: ${messageOf(error)}`);
    }
  }
}

function checkWatcher(config: WatcherConfig): WatcherConfig {
  if (!isAbsolute(config.path)) throw invalid(`path: "${config.path}" must be an absolute path`);
  try {
    statSync(config.path);
  } catch {
    throw invalid(`path: ${config.path} does not exist`);
  }
  const events = [...new Set(config.events)];
  if (events.length === 0 || events.some((e) => !ALL_FILE_EVENTS.includes(e))) {
    throw invalid(`events: choose one or more of ${ALL_FILE_EVENTS.join(", ")}`);
  }
  const glob = config.glob === null || config.glob.trim() === "" ? null : config.glob.trim();
  return { path: config.path, events, recursive: config.recursive, glob };
}
