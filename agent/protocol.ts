// The one declaration of everything that crosses the agent socket.
//
// The agent implements these requests (agent/daemon/), the CLI and the VS Code
// extension call them. Standard LSP (CodeLens, diagnostics, hover, completion
// for workflow files) runs over the same connection; everything Clockwork
// adds lives under `clockwork/…`. docs/protocol.md documents each entry and a
// test keeps that document and this file in step.
//
// Instants are ISO 8601 strings in UTC; durations are milliseconds.
// This module must stay free of Node-only imports: the extension bundles it.
import { NotificationType, RequestType } from "vscode-languageserver-protocol";
import type { TriggerCounts, TriggerType } from "./core/triggerKinds";
import type { Step, TriggerEvent, TriggeringRun } from "./sdk";

export type { TriggerCounts, TriggerType } from "./core/triggerKinds";

export type RunStatus = "queued" | "running" | "success" | "failed" | "cancelled" | "skipped";
export type StepStatus = "running" | "success" | "failed" | "cancelled" | "skipped";
/** What started a run: the SDK's `TriggerEvent`, which workflow code sees as `ctx.trigger.event`. */
export type RunTriggerKind = TriggerEvent;
/** The kinds of step a workflow declares (agent/steps/stepKinds.ts has what each one does). */
export type StepKind = Step["kind"];
export type OverlapPolicy = "skip" | "queue" | "parallel";
export type CatchupPolicy = "once" | "skip";
export type FileEvent = "created" | "modified" | "deleted";

/** How a run can end, in the order listings give them; what a run trigger listens for. */
export const RUN_OUTCOMES = ["success", "failed", "cancelled", "skipped"] as const satisfies readonly RunStatus[];
export type FinishedStatus = (typeof RUN_OUTCOMES)[number];
export const FINISHED_STATUSES: readonly RunStatus[] = RUN_OUTCOMES;

/** What the trigger handed to the run; the source of `{trigger.*}`. */
export interface TriggerContext {
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body?: unknown;
  /** Allow-listed request headers, lower-case names. */
  headers?: Record<string, string>;
  /** The file of a file-triggered run (absolute). */
  path?: string;
  fileEvent?: FileEvent;
  /** The finished run a run trigger reacted to, and how deep in a chain of run triggers this run is. */
  run?: TriggeringRun;
}

/**
 * Schedule instants that got no run of their own because the agent was off
 * or asleep (or a late fire dropped them): on the catch-up run, or on the
 * `skipped` record `catchup: skip` leaves. The count is exact; the list is
 * capped (MISSED_LIST_LIMIT in core/schedulePolicy.ts).
 */
export interface MissedInstants {
  count: number;
  /** The oldest missed instants, oldest first, at most MISSED_LIST_LIMIT of them. */
  instants: string[];
  /** The latest missed instant (the last of the list only when nothing was cut). */
  last: string;
}

export interface RunSummary {
  id: string;
  workflowName: string;
  workflowFile: string;
  triggerKind: RunTriggerKind;
  /** The registered trigger that started it; null for manual runs of a file. */
  triggerName: string | null;
  status: RunStatus;
  scheduledFor: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /** The run this one replays (`clockwork replay`): same trigger kind and context, or an edited body. */
  replayOf: string | null;
  /** Started by `clockwork backfill` for a past instant (`scheduledFor`). */
  backfill: boolean;
  /** Instants missed before this catch-up run (or this `skipped` missed record); null when none. */
  missed: MissedInstants | null;
}

export interface StepRecord {
  index: number;
  name: string;
  kind: StepKind;
  status: StepStatus;
  output: string | null;
  error: string | null;
  exitCode: number | null;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunRecord extends RunSummary {
  trigger: TriggerContext;
  steps: StepRecord[];
}

export interface LogChunk {
  seq: number;
  runId: string;
  /** Index of the step that wrote it; null for run-level lines. */
  step: number | null;
  stream: "stdout" | "stderr" | "info";
  at: string;
  text: string;
}

export interface ScheduleConfig {
  cron: string;
  /** IANA zone, always stored explicitly. */
  timezone: string;
  overlap: OverlapPolicy;
  catchup: CatchupPolicy;
}

export interface WebhookConfig {
  /** Extra request headers (lower-case) exposed as {trigger.headers.*}. */
  headers: string[];
  maxBodyBytes: number;
}

export interface WatcherConfig {
  /** Absolute file or folder. */
  path: string;
  events: FileEvent[];
  recursive: boolean;
  glob: string | null;
}

export interface RunTriggerConfig {
  /** The workflow names whose finished runs it reacts to. */
  workflows: string[];
  /** The outcomes it reacts to (default failed). */
  statuses: FinishedStatus[];
}

/** The settings each kind stores; a kind without an entry is a compile error here and in the store. */
export interface TriggerConfigs {
  schedule: ScheduleConfig;
  webhook: WebhookConfig;
  watcher: WatcherConfig;
  run: RunTriggerConfig;
}

/** What a trigger's record adds for its kind, under the kind's own name (`record.schedule`). */
/**
 * A schedule's latest missed-instants report while some of its instants
 * still have no run: backfill (or the instants' own runs) picks them up.
 */
export interface MissedReport extends MissedInstants {
  /** The catch-up run, or the `skipped` missed record, that carries the report. */
  runId: string;
  recordedAt: string;
  /** Missed instants that still have no run that started (any outcome). */
  outstanding: number;
}

export interface TriggerDetails {
  schedule: ScheduleConfig & { description: string; nextFireAt: string | null; missed: MissedReport | null };
  webhook: WebhookConfig & { url: string | null };
  watcher: WatcherConfig;
  run: RunTriggerConfig;
}

/** One optional entry per kind; a kind without details above is a compile error here. */
type TriggerDetailsByKind = { [K in TriggerType]?: TriggerDetails[K] };

export interface TriggerRecord extends TriggerDetailsByKind {
  name: string;
  type: TriggerType;
  workflowFile: string;
  workflowName: string;
  paused: boolean;
  /** active, paused, or error (a watcher whose path is gone, a schedule whose file fails to load). */
  state: "active" | "paused" | "error";
  error: string | null;
  lastRun: { id: string; status: RunStatus; at: string } | null;
  createdAt: string;
  updatedAt: string;
  /** Team mode: the host whose agents alone run this trigger's runs (a watcher's always). Absent: any agent. */
  host?: string;
}

export interface AgentStatus {
  pid: number;
  version: string;
  startedAt: string;
  uptimeMs: number;
  home: string;
  socket: string;
  /** e.g. http://127.0.0.1:8787, or null when the HTTP server is off or failed. */
  httpUrl: string | null;
  httpError: string | null;
  /** Registered triggers by kind (`schedules`, `webhooks`, `watchers`), and runs in flight. */
  counts: TriggerCounts & {
    running: number;
    queued: number;
  };
  /** The earliest next fire over all active schedules. */
  nextFire: { trigger: string; at: string } | null;
  /** True while SIGTERM's grace period runs. */
  stopping: boolean;
  /** Present when the agent's store was deleted, replaced or moved while it ran: what happened. The agent accepts no work and is exiting. */
  storeError?: string;
  /** Where triggers and runs are kept: `sqlite` and the file, or `postgres` and the URL without its password (team mode). */
  store?: { kind: "sqlite" | "postgres"; location: string };
  /** Every agent with a heartbeat in the store, newest beat first (several in team mode); `alive` is false once its beat is older than the lease. */
  agents?: AgentPeer[];
}

/** An agent as its heartbeat row shows it. */
export interface AgentPeer {
  id: string;
  host: string;
  pid: number;
  version: string;
  /** Its HTTP address, or null. */
  http: string | null;
  beatAt: string;
  alive: boolean;
  /** True for the agent answering this request. */
  self: boolean;
}

export type CronPreview =
  | { ok: true; expression: string; timezone: string; description: string; next: string[] }
  | {
      ok: false;
      expression: string;
      timezone: string;
      error: string;
      /** Which input is wrong, so an editor shows the message under that field. */
      field: "expression" | "timezone" | "count";
    };

/** The zones the agent accepts, for a picker; `clockwork/cron/timezones`. */
export interface TimezoneList {
  /** IANA names in their current spelling (Asia/Kolkata, Europe/Kyiv), sorted, with UTC. Aliases are accepted too. */
  zones: string[];
  /** The agent machine's zone: what a schedule registered without one gets. */
  defaultZone: string;
}

/** A recent delivery of a webhook, for "Run Now…" with its payload; `clockwork/webhooks/deliveries`. */
export interface WebhookDelivery {
  /** The run the delivery started; `clockwork/runs/get` has its whole body. */
  runId: string;
  receivedAt: string;
  status: RunStatus;
  /** The allow-listed headers it carried (lower-case names). */
  headers: Record<string, string>;
  /** The start of the body as one line (JSON with sorted keys, or the raw text), for a list. */
  preview: string;
  /** The size of that text in bytes. */
  bytes: number;
}

// The JSON-RPC error codes of Clockwork errors live with the errors (agent/errors.ts),
// which processes without the protocol (the executor) use too.
export { ErrorCodes } from "./errors";

// ---- requests ----
export const Status = new RequestType<void, AgentStatus, void>("clockwork/status");

export interface ListTriggersParams {
  type?: TriggerType;
  /** Only these triggers (names that are not registered are left out): what a TriggersChanged names. */
  names?: string[];
}
export const ListTriggers = new RequestType<ListTriggersParams, TriggerRecord[], void>("clockwork/triggers/list");

export interface RegisterScheduleParams {
  file: string;
  cron: string;
  timezone?: string;
  name?: string;
  overlap?: OverlapPolicy;
  catchup?: CatchupPolicy;
  /** Team mode: only agents of this host run it (a shell step that needs that machine's files). */
  host?: string;
}
export const RegisterSchedule = new RequestType<RegisterScheduleParams, TriggerRecord, void>(
  "clockwork/triggers/registerSchedule",
);

/** The most schedules one RegisterSchedules request may carry. */
export const MAX_SCHEDULES_PER_REQUEST = 200_000;

export interface RegisterSchedulesParams {
  /** Each as RegisterSchedule takes it. */
  schedules: RegisterScheduleParams[];
}
export interface RegisterSchedulesResult {
  registered: number;
  /** The names given, in the order of `schedules` (a schedule without a name takes its workflow's). */
  names: string[];
}
/**
 * Registers many schedules at once, all or none: one bad entry (a cron that
 * does not parse, a file that does not load, a name already used) and nothing
 * is registered; the error names each bad entry by its index and field. Each
 * distinct workflow file is loaded once. One TriggersChanged names them all.
 */
export const RegisterSchedules = new RequestType<RegisterSchedulesParams, RegisterSchedulesResult, void>(
  "clockwork/triggers/registerSchedules",
);

export interface RegisterWebhookParams {
  file: string;
  name?: string;
  headers?: string[];
  /** A sender-made secret; when absent the agent makes a 256-bit one. */
  secret?: string;
  maxBodyBytes?: number;
  /** Team mode: only agents of this host run its deliveries (any agent still accepts them). */
  host?: string;
}
/**
 * `secret` is present only when the agent generated it: this is the one time
 * it is shown. Registering an existing webhook's name for the same file
 * rotates its secret (`rotated: true`).
 */
export const RegisterWebhook = new RequestType<
  RegisterWebhookParams,
  { trigger: TriggerRecord; url: string | null; secret?: string; rotated?: boolean },
  void
>("clockwork/triggers/registerWebhook");

export interface RegisterWatcherParams {
  file: string;
  path: string;
  events?: FileEvent[];
  recursive?: boolean;
  glob?: string;
  name?: string;
}
export const RegisterWatcher = new RequestType<RegisterWatcherParams, TriggerRecord, void>(
  "clockwork/triggers/registerWatcher",
);

export interface RegisterRunTriggerParams {
  file: string;
  /** Names of the workflows whose runs it reacts to; a name nothing has used yet is accepted with a warning. */
  workflows: string[];
  /** Default ["failed"]. */
  statuses?: FinishedStatus[];
  name?: string;
}
/** `warnings`: what was accepted but is probably not meant (a workflow name never seen, a cycle of run triggers). */
export const RegisterRunTrigger = new RequestType<RegisterRunTriggerParams, { trigger: TriggerRecord; warnings: string[] }, void>(
  "clockwork/triggers/registerRunTrigger",
);

export interface UpdateTriggerParams {
  name: string;
  cron?: string;
  timezone?: string;
  overlap?: OverlapPolicy;
  catchup?: CatchupPolicy;
  path?: string;
  events?: FileEvent[];
  recursive?: boolean;
  glob?: string | null;
}
export const UpdateTrigger = new RequestType<UpdateTriggerParams, TriggerRecord, void>("clockwork/triggers/update");

export const SetTriggerPaused = new RequestType<{ name: string; paused: boolean }, TriggerRecord, void>(
  "clockwork/triggers/setPaused",
);

export const UnregisterTrigger = new RequestType<{ name: string }, { name: string }, void>(
  "clockwork/triggers/unregister",
);

export interface FireTriggerParams {
  name: string;
  /** Becomes `{trigger.body}`, as with `clockwork/runs/start` (a webhook's payload, say). */
  body?: unknown;
  /** Become `{trigger.headers.*}`: what a webhook delivery's allow-list kept. */
  headers?: Record<string, string>;
}
/** Runs a registered trigger's workflow now, as a manual run. */
export const FireTrigger = new RequestType<FireTriggerParams, { runId: string }, void>("clockwork/triggers/fire");

/** The latest deliveries of a webhook, newest first. */
export const WebhookDeliveries = new RequestType<{ name: string; limit?: number }, WebhookDelivery[], void>(
  "clockwork/webhooks/deliveries",
);

/** Runs a workflow file now (manual). */
export const StartRun = new RequestType<{ file: string; body?: unknown }, { runId: string }, void>(
  "clockwork/runs/start",
);

export interface ListRunsParams {
  workflow?: string;
  trigger?: string;
  status?: RunStatus;
  limit?: number;
}
export const ListRuns = new RequestType<ListRunsParams, RunSummary[], void>("clockwork/runs/list");

/** `id` may be a unique prefix. */
export const GetRun = new RequestType<{ id: string }, RunRecord, void>("clockwork/runs/get");

export const CancelRun = new RequestType<{ id: string }, RunSummary, void>("clockwork/runs/cancel");

export const RunLogs = new RequestType<
  { id: string; afterSeq?: number; limit?: number },
  { run: RunSummary; chunks: LogChunk[] },
  void
>("clockwork/runs/logs");

export const CronPreviewRequest = new RequestType<
  { expression: string; timezone?: string; count?: number },
  CronPreview,
  void
>("clockwork/cron/preview");

export interface ReplayRunParams {
  /** The run to replay: an id or a unique prefix. */
  id: string;
  /** Replaces `{trigger.body}` (JSON); absent: the original body. */
  body?: unknown;
}
/**
 * Starts a new run of the run's workflow file with its trigger kind and
 * context (body, allow-listed headers, file path and event, `scheduled_for`),
 * recording `replayOf`. Never refused as a duplicate delivery.
 */
export const ReplayRun = new RequestType<ReplayRunParams, RunSummary, void>("clockwork/runs/replay");

/** Which instants that already have runs a backfill runs again: none, the failed (and missed) ones, or all. */
export type Reprocess = "none" | "failed" | "all";

export interface BackfillParams {
  /** The schedule's name. */
  name: string;
  /** Start of the range, inclusive: an ISO 8601 instant, or a date / date-time without offset in the schedule's zone, or `now`. */
  from: string;
  /** End of the range, exclusive; same forms. */
  to: string;
  /** List the instants and what would happen to each; start nothing. */
  dryRun?: boolean;
  /** Default `none`. */
  reprocess?: Reprocess;
  /** Run up to this many at once instead of following the schedule's overlap policy. */
  maxParallel?: number;
}

/** What an instant has before the backfill: no run, a successful one, only failed or cancelled ones, only skipped (missed) ones, or one still queued or running. */
export type InstantState = "none" | "success" | "failed" | "missed" | "active";

export interface BackfillInstant {
  scheduledFor: string;
  state: InstantState;
  /** `run`: a run is (or in a dry run, would be) started for it; `keep`: its runs stand. */
  action: "run" | "keep";
  /** The run started for it, else its latest existing run; null when it has none. */
  runId: string | null;
  /** Why an instant is kept, in words. */
  reason?: string;
}

export interface BackfillResult {
  schedule: string;
  cron: string;
  timezone: string;
  /** The range as instants, [from, to). */
  from: string;
  to: string;
  dryRun: boolean;
  reprocess: Reprocess;
  /** How the runs are spread: one at a time (overlap skip or queue), at most N at once, or as the agent's concurrency allows. */
  concurrency: { kind: "serial" } | { kind: "limited"; max: number } | { kind: "parallel" };
  /** The schedule is paused: backfill still runs (it is deliberate); its own fires stay paused. */
  paused: boolean;
  /** Every instant in the range, oldest first. */
  instants: BackfillInstant[];
  /** How many get (or would get) a run. */
  toRun: number;
}
export const Backfill = new RequestType<BackfillParams, BackfillResult, void>("clockwork/schedules/backfill");

/** The zones a schedule may use: the list an editor offers, from the agent that will validate them. */
export const Timezones = new RequestType<void, TimezoneList, void>("clockwork/cron/timezones");

// ---- notifications, agent → every client ----
export const RunChanged = new NotificationType<RunSummary>("clockwork/runChanged");
export const StepChanged = new NotificationType<{ runId: string; step: StepRecord }>("clockwork/stepChanged");
export const RunLog = new NotificationType<LogChunk>("clockwork/runLog");
/**
 * These triggers were registered, edited, paused, resumed or unregistered:
 * exactly the ones that changed, never the whole list, so a registration
 * costs a client the same however many triggers there are. Clients re-read
 * just these (ListTriggers with `names`).
 */
export const TriggersChanged = new NotificationType<{ names: string[] }>("clockwork/triggersChanged");
export const AgentStatusChanged = new NotificationType<AgentStatus>("clockwork/agentStatus");
/**
 * The current records of triggers whose runs or next fire moved while their
 * registration stayed the same: a schedule fired or skipped an instant, a run
 * a trigger started was queued, started or finished. One notification per
 * turn of the agent's event loop names every trigger that changed in it.
 */
export const TriggerStateChanged = new NotificationType<{ triggers: TriggerRecord[] }>("clockwork/triggerStateChanged");

/**
 * Asks whichever client executes the run (a `clockwork run` in a terminal)
 * to cancel it; sent when `clockwork/runs/cancel` names a run the agent does
 * not execute itself.
 */
export const RunCancelRequested = new NotificationType<{ runId: string }>("clockwork/runs/cancelRequested");

// ---- notifications, client → agent ----
/**
 * `clockwork run` executes in the CLI's own process (the user's shell
 * environment and working directory) and reports each change here so that
 * every other client sees it live.
 */
export const ReportRunChanged = new NotificationType<RunSummary>("clockwork/report/runChanged");
export const ReportStepChanged = new NotificationType<{ runId: string; step: StepRecord }>(
  "clockwork/report/stepChanged",
);
export const ReportRunLog = new NotificationType<LogChunk>("clockwork/report/runLog");

/** Every custom method, for the docs test. */
export const ALL_METHODS = [
  Status,
  ListTriggers,
  RegisterSchedule,
  RegisterSchedules,
  RegisterWebhook,
  RegisterWatcher,
  RegisterRunTrigger,
  UpdateTrigger,
  SetTriggerPaused,
  UnregisterTrigger,
  FireTrigger,
  StartRun,
  ListRuns,
  GetRun,
  CancelRun,
  RunLogs,
  CronPreviewRequest,
  Timezones,
  WebhookDeliveries,
  ReplayRun,
  Backfill,
  RunChanged,
  StepChanged,
  RunLog,
  TriggersChanged,
  AgentStatusChanged,
  TriggerStateChanged,
  RunCancelRequested,
  ReportRunChanged,
  ReportStepChanged,
  ReportRunLog,
].map((t) => t.method);
