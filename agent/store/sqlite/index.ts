// The SQLite adapter: one better-sqlite3 connection (WAL) and the
// repositories of store.ts on it. better-sqlite3 is synchronous, which is
// what makes the atomic operations safe here: each runs its whole
// transaction in one synchronous call, so no other statement of this
// process can run inside it. The repositories are the synchronous classes
// beside this file, seen through `asyncView`.
import { decideAdmission, needsActiveCount } from "../../core/admission";
import { instantAction, instantState } from "../../core/backfill";
import type { RunSummary, TriggerRecord, TriggerType } from "../../protocol";
import type {
  AdmissionRequest,
  Admission,
  AgentRepository,
  Clock,
  InstantClaim,
  InstantOutcome,
  InstantRequest,
  RunRepository,
  Store,
  TriggerRepository,
} from "../store";
import { AgentStore } from "./agents";
import { openDb, type Db } from "./db";
import { RunStore } from "./runs";
import { TriggerStore, type TriggerStoreOptions } from "./triggers";

export interface SqliteStoreOptions extends TriggerStoreOptions {
  clock?: Clock;
}

/** Opens (creating and migrating as needed) the store in `file`. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  const clock = options.clock ?? Date.now;
  const db = openDb(file);
  const runStore = new RunStore(db, clock);
  const triggerStore = new TriggerStore(db, options, clock);
  const agentStore = new AgentStore(db);
  const { claimTx, admitTx, admitInstantsTx } = atomicOperations(db, runStore, clock);
  let closed = false;

  return {
    backend: { kind: "sqlite", location: file },
    runs: asyncView(runStore, RUN_METHODS) satisfies RunRepository,
    triggers: { ...asyncView(triggerStore, TRIGGER_METHODS), list: (type) => listInPages(triggerStore, type) } satisfies TriggerRepository,
    agents: asyncView(agentStore, AGENT_METHODS) satisfies AgentRepository,
    claimInstant: (claim) =>
      settle(() => {
        try {
          return claimTx.immediate(claim);
        } catch (error) {
          if (error === NOT_OURS) return undefined;
          throw error;
        }
      }),
    admit: (requests) => settle(() => admitTx.immediate(requests)),
    admitInstants: (requests) => settle(() => admitInstantsTx.immediate(requests)),
    close: () =>
      settle(() => {
        if (closed) return;
        closed = true;
        db.close();
      }),
  };
}

const NOT_OURS = Symbol("not ours");

/**
 * The store's atomic operations, each one better-sqlite3 transaction: no
 * `await` can come between its statements, so nothing interleaves.
 */
function atomicOperations(db: Db, runStore: RunStore, clock: Clock) {
  const admitOne = (request: AdmissionRequest): Admission => {
    const { overlap, ...run } = request;
    const active = needsActiveCount(overlap, run.triggerName) ? countActiveOf(db, run.triggerName!) : { running: 0, queued: 0 };
    const decision = decideAdmission(overlap, run.triggerName, active);
    if (decision.status === "skipped") {
      return { status: "skipped", reason: decision.reason, run: runStore.insertRun({ ...run, status: "skipped", error: decision.reason }) };
    }
    const serialKey = run.serialKey ?? decision.serialKey;
    const queued: RunSummary = runStore.insertRun({ ...run, status: "queued", serialKey: serialKey ?? null });
    return serialKey === undefined ? { status: "queued", run: queued } : { status: "queued", run: queued, serialKey };
  };

  const claimTx = db.transaction((claim: InstantClaim): { admission: Admission | null; missedRecord?: RunSummary } | undefined => {
    const inserted = db
      .prepare(`INSERT INTO schedule_claims (trigger_id, scheduled_for, claimed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(claim.triggerId, claim.expected, clock());
    if (inserted.changes !== 1) return undefined;
    const advanced = db
      .prepare(`UPDATE triggers SET next_fire_at = ?, updated_at = ? WHERE id = ? AND next_fire_at = ? AND paused = 0`)
      .run(claim.next, clock(), claim.triggerId, claim.expected);
    // The schedule changed under us (paused, edited, removed): not ours to fire; undo the claim row too.
    if (advanced.changes !== 1) throw NOT_OURS;
    const setRun = (runId: string) =>
      db.prepare(`UPDATE schedule_claims SET run_id = ? WHERE trigger_id = ? AND scheduled_for = ?`).run(runId, claim.triggerId, claim.expected);
    if (!claim.run) {
      if (!claim.missedRecord) return { admission: null };
      const missedRecord = runStore.insertRun({ ...claim.missedRecord, status: "skipped" });
      setRun(missedRecord.id);
      return { admission: null, missedRecord };
    }
    const admission = admitOne(claim.run);
    setRun(admission.run.id);
    return { admission };
  });

  // A failed INSERT is undone by SQLite without touching the rest of the
  // transaction, so one bad request fails alone; errors that abort the
  // transaction make the commit fail, and then the whole batch rejects.
  const admitTx = db.transaction((requests: readonly AdmissionRequest[]) =>
    requests.map((request): { ok: true; admission: Admission } | { ok: false; error: unknown } => {
      try {
        return { ok: true, admission: admitOne(request) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );

  // Backfill: each instant's runs are read and judged inside the
  // transaction that admits it, so a second backfill of the same range
  // (even one racing this one from another process) sees these runs.
  const admitInstantsTx = db.transaction((requests: readonly InstantRequest[]): InstantOutcome[] =>
    requests.map(({ reprocess, ...request }) => {
      const existing = runStore.instantRuns(request.triggerId, request.scheduledFor, request.scheduledFor + 1);
      const state = instantState(existing.map((run) => run.status));
      const admission = instantAction(state, reprocess).action === "run" ? admitOne(request) : null;
      return { scheduledFor: request.scheduledFor, state, existing, admission };
    }),
  );

  return { claimTx, admitTx, admitInstantsTx };
}

/** Records per page of a full listing. */
const LIST_PAGE = 500;

/**
 * Every trigger's record, a page at a time with the event loop free between
 * pages. A record costs tens of microseconds (its last run, its cadence in
 * words), so 100,000 of them took seconds, and SQLite answers synchronously:
 * listed in one call, an editor re-reading the list after a bulk
 * registration held up every due schedule until it was done. Triggers
 * registered or removed while the pages are read may or may not be in the
 * list; the change that did it is announced anyway.
 */
async function listInPages(triggers: TriggerStore, type?: TriggerType): Promise<TriggerRecord[]> {
  const records: TriggerRecord[] = [];
  for (let after = ""; ; ) {
    const page = triggers.listPage(type, after, LIST_PAGE);
    records.push(...page);
    if (page.length < LIST_PAGE) return records;
    after = page[page.length - 1]!.name;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Active runs of one trigger, counted on the partial index of active runs. */
function countActiveOf(db: Db, triggerName: string): { running: number; queued: number } {
  const rows = db
    .prepare(`SELECT status, COUNT(*) AS n FROM runs WHERE trigger_name = ? AND status IN ('queued', 'running') GROUP BY status`)
    .all(triggerName) as Array<{ status: "queued" | "running"; n: number }>;
  const counts = { running: 0, queued: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

const RUN_METHODS = [
  "insertRun",
  "getSummary",
  "resolveId",
  "getRun",
  "getSteps",
  "listRuns",
  "recentWithContext",
  "markRunning",
  "finishRun",
  "activeRuns",
  "countActive",
  "ownedActiveRuns",
  "ownerOf",
  "adoptQueued",
  "failRunsOwnedBy",
  "previousOutput",
  "previousOutputs",
  "recordStep",
  "recordStepProcess",
  "stepProcesses",
  "recordRunProcess",
  "forgetRunProcess",
  "runProcesses",
  "leftoverProcesses",
  "forgetProcesses",
  "requestCancel",
  "cancelsRequested",
  "appendLogs",
  "logsAfter",
  "instantRuns",
  "findDelivery",
  "prune",
] as const satisfies ReadonlyArray<keyof RunStore & keyof RunRepository>;

const TRIGGER_METHODS = [
  "create",
  "createMany",
  "get",
  "getById",
  "require",
  "rows",
  "ofWorkflowFile",
  "record",
  "toRecord",
  "update",
  "setPaused",
  "remove",
  "webhookSecret",
  "earliestFire",
  "due",
  "counts",
] as const satisfies ReadonlyArray<keyof TriggerStore & keyof TriggerRepository>;

const AGENT_METHODS = ["beat", "get", "list", "remove"] as const satisfies ReadonlyArray<keyof AgentStore & keyof AgentRepository>;

type AsyncView<T, K extends keyof T> = {
  [P in K]: T[P] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never;
};

/** The named methods of `target`, each returning a promise (a throw becomes a rejection). */
function asyncView<T extends object, K extends keyof T>(target: T, methods: readonly K[]): AsyncView<T, K> {
  const view = {} as Record<K, unknown>;
  for (const name of methods) {
    const method = target[name] as unknown as (...args: unknown[]) => unknown;
    view[name] = (...args: unknown[]) => settle(() => method.apply(target, args));
  }
  return view as AsyncView<T, K>;
}

function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
