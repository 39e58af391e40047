// What the agent offers to the parts that run inside it: the socket server's
// request handlers, the HTTP server (webhooks, /run), the file watchers and the
// editor features (agent/lsp). Each receives one `AgentServices` and never
// reaches around it to the scheduler or the run pool.
import type { Config } from "../config";
import type { Events } from "../events";
import type {
  AgentStatus,
  BackfillParams,
  BackfillResult,
  CronPreview,
  OverlapPolicy,
  RunSummary,
  RunTriggerKind,
  TriggerContext,
} from "../protocol";
import type { Store } from "../store";
import type { WorkflowLoader } from "../workflow/load";
import type { TriggerOps } from "./triggerOps";

/** A run to start now: the row is inserted (queued), then the pool executes it. */
export interface StartRunInput {
  workflowName: string;
  workflowFile: string;
  triggerKind: RunTriggerKind;
  /** The registered trigger that started it (its row id and name). */
  triggerId?: number;
  triggerName?: string;
  context?: TriggerContext;
  /** Webhook delivery id, for de-duplication (RunStore.findDelivery). */
  deliveryId?: string;
  /**
   * What to do while another run of the same trigger is active. Default
   * `parallel`. With `skip` (or `queue` when one already waits) the result is
   * a `skipped` run row carrying the reason.
   */
  overlap?: OverlapPolicy;
  /** The run this one replays. */
  replayOf?: string;
  /** Epoch ms of the instant a cron run is for (a replayed cron run keeps its original). */
  scheduledFor?: number;
}

/** A part of the agent with a lifetime: started after the services exist, stopped first on shutdown. */
export interface AgentComponent {
  name: string;
  /**
   * Stopped after the running runs have finished (or been cancelled) rather
   * than first, so it can keep answering meanwhile: the HTTP server refuses
   * new deliveries with 503 and still answers the `?wait=1` callers whose
   * runs finish within the grace period.
   */
  stopAfterRuns?: boolean;
  start(services: AgentServices): Promise<{ stop(): Promise<void> | void } | void>;
}

export interface AgentServices {
  readonly config: Config;
  readonly events: Events;
  /** The store facade: `db`, `runs` (RunStore), `triggers` (TriggerStore), `heartbeats`. */
  readonly store: Store;
  /** Register, update, pause/resume and unregister triggers; each change emits `triggers:changed`. */
  readonly triggerOps: TriggerOps;
  /**
   * Loads workflow files for the editor features: its own executor, so a
   * file being typed never waits behind runs' code steps, nor they behind it.
   */
  readonly editorLoader: WorkflowLoader;
  /**
   * Runs that recovery failed at start (interrupted by the death of the
   * process running them): they finished before any component listened to
   * `run:finished`, so a component that reacts to finished runs (run
   * triggers) takes them from here.
   */
  readonly recoveredRuns: readonly RunSummary[];

  /** Inserts the run row and hands it to the run pool. Throws (Conflict) while the agent is stopping. */
  startRun(input: StartRunInput): Promise<RunSummary>;
  /** Loads a workflow file (Invalid error when it does not load) and starts a manual run of it. */
  startFile(file: string, context?: TriggerContext): Promise<RunSummary>;
  /**
   * Runs a registered trigger's workflow now, as a manual run (overlap
   * policies do not apply), with `context` as its trigger context (a
   * webhook payload chosen in the editor).
   */
  fireTrigger(name: string, context?: TriggerContext): Promise<RunSummary>;
  /**
   * Replays a run (id or unique prefix): a new run of its workflow file with
   * its trigger kind and context, `body` replacing the body when given, and
   * `replayOf` set. NotFound for an unknown run or a workflow file that is
   * gone; Invalid for one that does not load.
   */
  replayRun(idOrPrefix: string, body?: unknown): Promise<RunSummary>;
  /** Backfills a schedule's past instants (daemon/backfill.ts), or lists them with `dryRun`. */
  backfill(params: BackfillParams): Promise<BackfillResult>;
  /**
   * Cancels a queued or running run (id or unique prefix). A run owned by the
   * agent is aborted here; a run executing in a `clockwork run` process is
   * asked to stop via the `clockwork/runs/cancelRequested` notification; an
   * active run whose owner is gone is recorded `cancelled` directly.
   * Resolves with the run once it has finished (or after 10 s with its
   * state then); a run that had already finished comes back unchanged.
   */
  cancelRun(idOrPrefix: string): Promise<RunSummary>;
  /** Resolves when the run has finished (immediately if it already has). */
  waitForRun(runId: string, signal?: AbortSignal): Promise<RunSummary>;
  /** The cron preview the editor shows and `clockwork cron` prints (default zone: the machine's). */
  cronPreview(expression: string, timezone?: string, count?: number): CronPreview;
  status(): Promise<AgentStatus>;
  /** The HTTP server reports its address, or why it is off, here; status and webhook URLs read it. */
  setHttp(state: { url: string | null; error: string | null }): void;
  /** True from SIGTERM on: no new triggers are accepted. */
  readonly stopping: boolean;
  /** What happened to the store when it vanished from under the agent (deleted, replaced, moved), else null. Set, no work is accepted and the agent is exiting. */
  readonly storeError: string | null;
}
