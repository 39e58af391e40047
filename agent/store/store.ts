// The store as the rest of Clockwork sees it: asynchronous repositories
// (runs with their steps and logs, triggers, agents) and the few operations
// that must be atomic, each one call, so no caller ever holds a transaction
// open across an `await`. An adapter implements it for one engine
// (agent/store/sqlite/ for SQLite; PostgreSQL is the next); no SQL, driver
// type or dialect appears outside its adapter. The contract every adapter
// keeps is test/store/contract.ts.
import type {
  InstantState,
  ListRunsParams,
  LogChunk,
  MissedInstants,
  OverlapPolicy,
  Reprocess,
  RunRecord,
  RunSummary,
  RunTriggerKind,
  StepRecord,
  TriggerConfigs,
  TriggerContext,
  TriggerRecord,
  TriggerCounts,
  TriggerType,
  RunStatus,
} from "../protocol";

/** Every trigger kind, declared once in core/triggerKinds.ts. */
export { TRIGGER_TYPES } from "../core/triggerKinds";

/** Milliseconds since the epoch; every time the store writes comes from the clock it was opened with. */
export type Clock = () => number;

/**
 * Who executes a run: an agent, or a `clockwork run` in a terminal. The id
 * is unique per process lifetime (a pid alone is reused, and means nothing
 * on another host); pid and host let a process on the same machine check
 * whether the owner still lives.
 */
export interface Owner {
  id: string;
  pid: number;
  host: string;
}

export interface NewRun {
  workflowName: string;
  workflowFile: string;
  triggerKind: RunTriggerKind;
  triggerId?: number | null;
  triggerName?: string | null;
  context?: TriggerContext;
  /** Default "queued". "skipped" and "failed" rows are written already finished. */
  status?: "queued" | "running" | "skipped" | "failed";
  /** Epoch ms a cron run was due. */
  scheduledFor?: number | null;
  owner?: Owner | null;
  deliveryId?: string | null;
  error?: string | null;
  /** The run this one replays. */
  replayOf?: string | null;
  /**
   * Runs with one serial key run one at a time, oldest first (a `queue`
   * trigger's runs, a backfill's lanes). Kept with the row, so an agent
   * that resumes it after a restart, or takes it from the shared queue,
   * keeps them apart too.
   */
  serialKey?: string | null;
  /** A backfill run for a past instant. */
  backfill?: boolean;
  /** The instants missed before this catch-up run (or this missed record). */
  missed?: MissedInstants | null;
}

export type FinishStatus = "success" | "failed" | "cancelled";

export interface NewLogChunk {
  step: number | null;
  stream: LogChunk["stream"];
  /** Epoch ms. */
  at: number;
  text: string;
}

export interface ActiveRun {
  id: string;
  status: "queued" | "running";
  owner: Owner | null;
  /** The serial key admission gave it (null: none, or a row from before keys were kept). */
  serialKey: string | null;
}

/** A run that a schedule instant has (for backfill: what the instant already got). */
export interface InstantRun {
  id: string;
  /** Epoch ms of the instant. */
  scheduledFor: number;
  status: RunStatus;
}

export interface StepProcess {
  index: number;
  pgid: number;
  identity: string;
}

/** A process group that serves a whole run (an MCP server its steps share). */
export interface RunProcess {
  pgid: number;
  identity: string;
}

/** A process group a finished run still records (see `leftoverProcesses`). */
export interface LeftoverProcess {
  runId: string;
  pgid: number;
  identity: string;
}

export interface RunRepository {
  insertRun(run: NewRun): Promise<RunSummary>;
  /** The run with exactly this id. */
  getSummary(id: string): Promise<RunSummary | undefined>;
  /** The full id of the run `idOrPrefix` names; NotFound, or Conflict for an ambiguous prefix. */
  resolveId(idOrPrefix: string): Promise<string>;
  /** The run, its trigger context and every recorded step. */
  getRun(idOrPrefix: string): Promise<RunRecord>;
  getSteps(runId: string): Promise<StepRecord[]>;
  /** Newest first; each filter is served by an index. */
  listRuns(p?: ListRunsParams): Promise<RunSummary[]>;
  /** A trigger's latest runs of one kind with their context, newest first (a webhook's deliveries). */
  recentWithContext(triggerName: string, kind: RunTriggerKind, limit: number): Promise<Array<{ run: RunSummary; context: TriggerContext }>>;
  /** queued → running (or a running row taken over by `owner`); Conflict when it already finished. */
  markRunning(id: string, owner: Owner): Promise<RunSummary>;
  /**
   * Finishes a queued or running run and its steps still running, exactly
   * once: undefined, changing nothing, when it had already finished.
   */
  finishRun(id: string, status: FinishStatus, error?: string | null): Promise<RunSummary | undefined>;
  /** Queued and running runs, oldest first. */
  activeRuns(): Promise<RunSummary[]>;
  /** How many runs are queued and running, counted without reading them. */
  countActive(): Promise<{ queued: number; running: number }>;
  /** Queued and running runs with their owners, oldest first. */
  ownedActiveRuns(): Promise<ActiveRun[]>;
  /** Who executes (or last executed) a run. */
  ownerOf(id: string): Promise<Owner | null>;
  /** Gives queued runs to a new owner (an agent resuming a dead one's accepted work). */
  adoptQueued(ids: readonly string[], owner: Owner): Promise<void>;
  /** Fails every active run owned by `ownerId`. */
  failRunsOwnedBy(ownerId: string, reason: string): Promise<RunSummary[]>;
  /** The output of `step` in the last successful run of `workflowName`. */
  previousOutput(workflowName: string, step: string): Promise<{ runId: string; output: string } | undefined>;
  /** Every successful step's output in the last successful run of `workflowName`, by step name. */
  previousOutputs(workflowName: string): Promise<{ runId: string; outputs: Record<string, string> } | undefined>;
  /** Inserts or replaces one step's record (written when it starts and when it ends). */
  recordStep(runId: string, step: StepRecord): Promise<void>;
  /** The process group a running step's work lives in; cleared by the step's next record. */
  recordStepProcess(runId: string, index: number, pgid: number, identity: string): Promise<void>;
  stepProcesses(runId: string): Promise<StepProcess[]>;
  /**
   * A process group that serves the whole run rather than one step (an MCP
   * server its steps share): kept across steps until forgotten, so recovery
   * after a crash ends it whichever step was running.
   */
  recordRunProcess(runId: string, pgid: number, identity: string): Promise<void>;
  /** The run ended that group itself. */
  forgetRunProcess(runId: string, pgid: number): Promise<void>;
  runProcesses(runId: string): Promise<RunProcess[]>;
  /**
   * Process groups that finished runs executed on `host` still record. A
   * run's own agent ends its groups before it finishes the run; these were
   * finished by an agent on another machine (team mode: it took over for a
   * lost agent), which could not end them. Served by an index on recorded
   * groups, so it does not read every step.
   */
  leftoverProcesses(host: string): Promise<LeftoverProcess[]>;
  /** Forgets every process group `runId` recorded (they were ended, or are gone). */
  forgetProcesses(runId: string): Promise<void>;
  /**
   * Records that a cancel was asked for a queued or running run that
   * another process executes: the notification asking it may never reach
   * that process (team mode: its listening connection was down), the row
   * does.
   */
  requestCancel(id: string): Promise<void>;
  /** Of `ids`, the runs still queued or running that a cancel was asked for. */
  cancelsRequested(ids: readonly string[]): Promise<string[]>;
  /** Appends log chunks and hands them back with their sequence numbers. */
  appendLogs(runId: string, chunks: readonly NewLogChunk[]): Promise<LogChunk[]>;
  logsAfter(runId: string, afterSeq: number, limit?: number): Promise<LogChunk[]>;
  /** Every run of trigger `triggerId` for an instant in [fromMs, toMs), by instant, oldest first (served by an index on (trigger, instant)). */
  instantRuns(triggerId: number, fromMs: number, toMs: number): Promise<InstantRun[]>;
  /** The run an earlier delivery with this id started, since `sinceMs`. */
  findDelivery(triggerId: number, deliveryId: string, sinceMs: number): Promise<string | undefined>;
  /** Deletes finished runs (and what hangs off them) created before `olderThanMs`; returns how many. */
  prune(olderThanMs: number): Promise<number>;
}

interface TriggerRowBase {
  id: number;
  name: string;
  workflowFile: string;
  workflowName: string;
  paused: boolean;
  /** Schedules: the next instant to fire (ms); null when paused or exhausted. */
  nextFireAt: number | null;
  /** A problem shown in listings (a watcher whose path is gone). */
  stateError: string | null;
  /** Team mode: the host whose agents alone run this trigger's runs. Undefined or null: any agent. */
  pinnedHost?: string | null;
  createdAt: number;
  updatedAt: number;
}
/** A trigger of one kind, with that kind's settings (protocol.ts `TriggerConfigs`, one entry per kind). */
export type TriggerRowOf<T extends TriggerType> = TriggerRowBase & { type: T; config: TriggerConfigs[T] };
export type ScheduleRow = TriggerRowOf<"schedule">;
export type WebhookRow = TriggerRowOf<"webhook">;
export type WatcherRow = TriggerRowOf<"watcher">;
export type RunTriggerRow = TriggerRowOf<"run">;
/** Everything the agent needs of a trigger, never its webhook secret. */
export type TriggerRow = { [T in TriggerType]: TriggerRowOf<T> }[TriggerType];

type ConfigOf<T extends TriggerType> = TriggerConfigs[T];

export type NewTrigger = {
  [T in TriggerType]: {
    name: string;
    type: T;
    workflowFile: string;
    workflowName: string;
    config: ConfigOf<T>;
    paused?: boolean;
    nextFireAt?: number | null;
    /** Webhooks only. */
    secret?: string;
    /** Team mode only: the host whose agents alone run it. */
    pinnedHost?: string | null;
  };
}[TriggerType];

export interface TriggerPatch {
  workflowFile?: string;
  workflowName?: string;
  config?: TriggerRow["config"];
  paused?: boolean;
  nextFireAt?: number | null;
  stateError?: string | null;
  secret?: string;
}

/** A name `createMany` could not use: its index in the inputs, and the kind of the trigger that has it. */
export interface TakenName {
  index: number;
  name: string;
  type: TriggerType;
}

export interface TriggerRepository {
  /** Refuses (Conflict) a name already used by any trigger, whatever its kind. */
  create(input: NewTrigger): Promise<TriggerRow>;
  /**
   * Creates all the triggers in one transaction, or none of them. Resolves
   * with the names already used (by a stored trigger, or by an earlier
   * input), each with its index in `inputs`; when there are any, nothing
   * was written. Bulk registration: its cost is the inserts, nothing is
   * read back.
   */
  createMany(inputs: readonly NewTrigger[]): Promise<TakenName[]>;
  get(name: string): Promise<TriggerRow | undefined>;
  getById(id: number): Promise<TriggerRow | undefined>;
  /** Like `get`, but an unknown name is a NotFound error naming it. */
  require(name: string): Promise<TriggerRow>;
  /**
   * Sorted by name. With a kind, reads only that kind's rows: the watcher
   * manager lists the watchers after every trigger change, so this must not
   * cost in proportion to the schedules.
   */
  rows(type?: TriggerType): Promise<TriggerRow[]>;
  /** Protocol records, sorted by name. */
  list(type?: TriggerType): Promise<TriggerRecord[]>;
  /**
   * The records of the triggers whose workflow is `file` (as stored: an
   * absolute path), the first `limit` by name, and how many there are. An
   * editor's CodeLens asks after every trigger change, so this reads that
   * file's triggers only.
   */
  ofWorkflowFile(file: string, limit: number): Promise<{ records: TriggerRecord[]; total: number }>;
  record(name: string): Promise<TriggerRecord>;
  toRecord(row: TriggerRow): Promise<TriggerRecord>;
  update(name: string, patch: TriggerPatch): Promise<TriggerRow>;
  /** Pausing clears the next fire; resuming takes the recomputed one. */
  setPaused(name: string, paused: boolean, nextFireAt: number | null): Promise<TriggerRow>;
  remove(name: string): Promise<TriggerRow>;
  /** The one place a webhook secret leaves the store: for signature checks. */
  webhookSecret(name: string): Promise<string | undefined>;
  /** The earliest next fire over all schedules. */
  earliestFire(): Promise<{ name: string; at: number } | undefined>;
  /** Active schedules due at or before `now`, earliest first. */
  due(now: number, limit?: number): Promise<ScheduleRow[]>;
  /** How many triggers of each kind, without reading every trigger (the status asks after every change). */
  counts(): Promise<TriggerCounts>;
}

/** An agent's heartbeat: one row per live agent process, refreshed every few seconds. */
export interface AgentBeat {
  id: string;
  pid: number;
  host: string;
  version: string;
  startedAt: number;
  beatAt: number;
  socket: string | null;
  http: string | null;
}

export interface AgentRepository {
  beat(agent: AgentBeat): Promise<void>;
  get(id: string): Promise<AgentBeat | undefined>;
  /** Newest beat first. */
  list(): Promise<AgentBeat[]>;
  remove(id: string): Promise<void>;
}

/** A run to admit under its trigger's overlap policy. */
export interface AdmissionRequest extends Omit<NewRun, "status" | "error"> {
  /** Default `parallel` (a manual run, a webhook). */
  overlap?: OverlapPolicy;
  /** The caller's serial key (a backfill's lane), instead of the one the overlap policy gives. */
  serialKey?: string;
}

/** What admission wrote: a queued run (with the key that keeps its trigger's runs apart), or a skipped one with the reason. */
export type Admission = { status: "queued"; run: RunSummary; serialKey?: string } | { status: "skipped"; run: RunSummary; reason: string };

/** A due schedule instant to claim. */
export interface InstantClaim {
  triggerId: number;
  /** The instant: the trigger's `next_fire_at` as read; the claim holds only if it still is. */
  expected: number;
  /** What `next_fire_at` becomes (null: no further instant). */
  next: number | null;
  /** The run this instant starts, or null when it is missed (catch-up `skip`): then only the instant is used up. */
  run: (AdmissionRequest & { scheduledFor: number }) | null;
  /**
   * With `run` null: a `skipped` row written in the same transaction, to
   * record the missed instants (`missed` set, `error` the reason). Absent:
   * nothing is recorded.
   */
  missedRecord?: Omit<NewRun, "status"> & { scheduledFor: number; missed: MissedInstants } | null;
}

/** One past instant of a schedule that a backfill asks to run. */
export interface InstantRequest extends AdmissionRequest {
  triggerId: number;
  scheduledFor: number;
  /** Which instants that already have runs get another (core/backfill.ts `instantAction`). */
  reprocess: Reprocess;
}

/** What admitting one instant did: its state before, the runs it had, and the admission (null: kept, nothing written). */
export interface InstantOutcome {
  scheduledFor: number;
  state: InstantState;
  existing: InstantRun[];
  admission: Admission | null;
}

/**
 * What agents sharing one database tell each other (LISTEN/NOTIFY on
 * PostgreSQL): ids, and the records themselves when they are small enough
 * to travel in the notification (`run`, `step`, `chunks`); otherwise the
 * receiver reads them from the store.
 */
export type TeamMessage =
  | { kind: "triggers"; names: string[] }
  | { kind: "run"; event: "queued" | "started" | "finished"; runId: string; run?: RunSummary }
  | { kind: "step"; runId: string; index: number; step?: StepRecord }
  /** Log chunks with afterSeq < seq <= lastSeq. */
  | { kind: "log"; runId: string; afterSeq: number; lastSeq: number; chunks?: LogChunk[] }
  | { kind: "cancel"; runId: string }
  /**
   * The connection that listens was lost (at `lostAt`, this store's clock)
   * and is back: whatever was announced meanwhile is unknown.
   */
  | { kind: "resync"; lostAt: number };

/**
 * Team mode: what a store shared by several agents on several hosts adds
 * (docs/team.md). Only the PostgreSQL store has it.
 */
export interface TeamStore {
  /**
   * Takes up to `limit` queued runs this agent may execute — not pinned to
   * another host, not waiting for a run with their serial key, not in
   * `skip` (runs it already holds) — oldest first, locked with SKIP LOCKED
   * so two agents never take the same one, and makes `owner` their owner.
   */
  takeQueued(owner: Owner, limit: number, skip: readonly string[]): Promise<RunSummary[]>;
  /** Agents whose heartbeat is older than `staleBefore` (wall-clock ms). */
  lostAgents(staleBefore: number): Promise<AgentBeat[]>;
  /**
   * Takes over one lost agent, unless another agent already did or it beat
   * again: its started runs fail with `reason`, its queued runs go back to
   * the shared queue (no owner), its heartbeat row goes. Undefined when it
   * was not ours to take over.
   */
  takeOver(agentId: string, staleBefore: number, reason: string): Promise<{ failed: RunSummary[]; released: number } | undefined>;
  /** Tells every other agent. */
  publish(message: TeamMessage): Promise<void>;
  /** Listens to every other agent; resolves once listening, with the function that stops it. */
  subscribe(listener: (message: TeamMessage) => void): Promise<() => Promise<void>>;
}

export interface Store {
  /** "sqlite" or "postgres", and where (a path, or a URL without its password), for status. */
  readonly backend: { kind: "sqlite" | "postgres"; location: string };
  readonly runs: RunRepository;
  readonly triggers: TriggerRepository;
  readonly agents: AgentRepository;
  /**
   * Claims a due instant exactly once, whatever else claims it: a unique
   * (trigger, instant) row is inserted, `next_fire_at` advances from
   * `expected` and the run is admitted, all in one transaction. Undefined
   * when it was not ours (claimed already, or the schedule changed).
   */
  claimInstant(claim: InstantClaim): Promise<{ admission: Admission | null; missedRecord?: RunSummary } | undefined>;
  /**
   * Admits runs in one transaction: each is queued, or skipped with the
   * reason when its overlap policy says so (core/admission.ts). A request
   * that cannot be written fails alone.
   */
  admit(requests: readonly AdmissionRequest[]): Promise<Array<{ ok: true; admission: Admission } | { ok: false; error: unknown }>>;
  /**
   * Admits past schedule instants (backfill) in one transaction: for each,
   * its existing runs are read and `instantAction` (core/backfill.ts)
   * decides; an instant that runs is admitted as `admit` would. Inside one
   * transaction, so two backfills of the same range never run an instant
   * twice. All or nothing.
   */
  admitInstants(requests: readonly InstantRequest[]): Promise<InstantOutcome[]>;
  /** Present when several agents share this store (PostgreSQL): the shared queue, leases and notifications. */
  readonly team?: TeamStore;
  close(): Promise<void>;
}
