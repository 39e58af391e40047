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
import type { Step, TriggerEvent } from "./sdk";

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

export const FINISHED_STATUSES: readonly RunStatus[] = ["success", "failed", "cancelled", "skipped"];

/** What the trigger handed to the run; the source of `{trigger.*}`. */
export interface TriggerContext {
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body?: unknown;
  /** Allow-listed request headers, lower-case names. */
  headers?: Record<string, string>;
  /** The file of a file-triggered run (absolute). */
  path?: string;
  fileEvent?: FileEvent;
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

/** What a trigger's record adds for its kind, under the kind's own name (`record.schedule`). */
export interface TriggerDetails {
  schedule: ScheduleConfig & { description: string; nextFireAt: string | null };
  webhook: WebhookConfig & { url: string | null };
  watcher: WatcherConfig;
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

/** The zones a schedule may use: the list an editor offers, from the agent that will validate them. */
export const Timezones = new RequestType<void, TimezoneList, void>("clockwork/cron/timezones");

// ---- notifications, agent → every client ----
export const RunChanged = new NotificationType<RunSummary>("clockwork/runChanged");
export const StepChanged = new NotificationType<{ runId: string; step: StepRecord }>("clockwork/stepChanged");
export const RunLog = new NotificationType<LogChunk>("clockwork/runLog");
/** Something in the trigger list changed; clients list again. */
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
  RegisterWebhook,
  RegisterWatcher,
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
