// `clockwork backfill`: a schedule's past instants in a range, each run as
// the schedule would have run it (a cron run with that `scheduled_for`,
// marked backfill), oldest first. The decisions are pure
// (core/backfill.ts: the range, the instants, what each instant gets;
// core/admission.ts: how the runs are spread); the store admits the
// instants in one transaction that re-reads what each already has, so a
// repeated or concurrent backfill never runs an instant twice. The agent
// hands the queued runs to its pool; with no agent, the CLI writes the same
// queued rows and the next agent start runs them.
import { backfillConcurrency, backfillSerialKey } from "../core/admission";
import { backfillInstants, instantAction, instantState, parseRangeBound } from "../core/backfill";
import { iso } from "../core/iso";
import { invalid } from "../errors";
import type { BackfillInstant, BackfillParams, BackfillResult, Reprocess, RunSummary } from "../protocol";
import type { InstantOutcome, InstantRun, Owner, ScheduleRow, Store } from "../store";
import { scheduleSpec } from "./triggerOps";

export interface BackfillDeps {
  store: Store;
  now: () => number;
  /** Who the queued runs belong to: the agent, or nobody yet (queued by the CLI for the next agent). */
  owner: Owner | null;
  /** Checks that the workflow file loads before any run is queued (its error is the refusal). */
  checkWorkflow(file: string): Promise<unknown>;
  /** Hands a queued run to the run pool; absent without an agent. */
  submit?(run: RunSummary, serialKey?: string): void;
}

export async function backfill(deps: BackfillDeps, p: BackfillParams): Promise<BackfillResult> {
  const row = await deps.store.triggers.require(p.name);
  if (row.type !== "schedule") throw invalid(`"${p.name}" is a ${row.type}, not a schedule: only schedules have instants to backfill`);
  const spec = scheduleSpec(row.config);
  const now = deps.now();
  const from = parseRangeBound(p.from, spec.timezone, now, "--from");
  const to = parseRangeBound(p.to, spec.timezone, now, "--to");
  const span = backfillInstants({ name: row.name, spec, from, to, now });
  const reprocess = p.reprocess ?? "none";
  const concurrency = backfillConcurrency(row.config.overlap, p.maxParallel);
  const instants = p.dryRun
    ? await preview(deps.store, row, span.instants, from, to, reprocess)
    : await admit(deps, row, span.instants, reprocess, concurrency, { from, to });
  return {
    schedule: row.name,
    cron: spec.expression,
    timezone: spec.timezone,
    from: iso(from),
    to: iso(to),
    dryRun: p.dryRun === true,
    reprocess,
    concurrency,
    paused: row.paused,
    instants,
    toRun: instants.filter((i) => i.action === "run").length,
  };
}

/** The dry run: what each instant has and would get, read without writing. */
async function preview(store: Store, row: ScheduleRow, instants: number[], from: number, to: number, reprocess: Reprocess): Promise<BackfillInstant[]> {
  const byInstant = await runsByInstant(store, row, from, to);
  return instants.map((at) => {
    const existing = byInstant.get(at) ?? [];
    const state = instantState(existing.map((run) => run.status));
    return describe({ scheduledFor: at, state, existing, admission: null }, instantAction(state, reprocess));
  });
}

/** The runs each instant of the range already has. */
async function runsByInstant(store: Store, row: ScheduleRow, from: number, to: number): Promise<Map<number, InstantRun[]>> {
  const byInstant = new Map<number, InstantRun[]>();
  for (const run of await store.runs.instantRuns(row.id, from, to)) {
    const list = byInstant.get(run.scheduledFor) ?? [];
    list.push(run);
    byInstant.set(run.scheduledFor, list);
  }
  return byInstant;
}

async function admit(
  deps: BackfillDeps,
  row: ScheduleRow,
  instants: number[],
  reprocess: Reprocess,
  concurrency: BackfillResult["concurrency"],
  range: { from: number; to: number },
): Promise<BackfillInstant[]> {
  await deps.checkWorkflow(row.workflowFile);
  const base = { workflowName: row.workflowName, workflowFile: row.workflowFile, triggerKind: "cron" as const, triggerId: row.id, triggerName: row.name };
  // The runs are dealt into lanes by what each instant is expected to get
  // (the transaction decides again; a race only unbalances the lanes). The
  // serial key goes with each row, so a restart or another agent of the
  // team keeps the lanes as this agent would.
  const byInstant = await runsByInstant(deps.store, row, range.from, range.to);
  let lane = 0;
  const requests = instants.map((at) => {
    const serialKey = backfillSerialKey(concurrency, row.name, lane);
    if (instantAction(instantState((byInstant.get(at) ?? []).map((run) => run.status)), reprocess).action === "run") lane++;
    // Admitted as `parallel` so none is skipped against its neighbours; the
    // serial key applies the schedule's policy to when they start.
    return { ...base, scheduledFor: at, backfill: true, owner: deps.owner, overlap: "parallel" as const, reprocess, ...(serialKey === undefined ? {} : { serialKey }) };
  });
  const outcomes = await deps.store.admitInstants(requests);
  for (const outcome of outcomes) {
    if (outcome.admission?.status === "queued") deps.submit?.(outcome.admission.run, outcome.admission.serialKey);
  }
  return outcomes.map((outcome) => describe(outcome, instantAction(outcome.state, reprocess)));
}

function describe(outcome: InstantOutcome, decision: ReturnType<typeof instantAction>): BackfillInstant {
  const latest = outcome.existing[outcome.existing.length - 1];
  const instant: BackfillInstant = {
    scheduledFor: iso(outcome.scheduledFor),
    state: outcome.state,
    action: decision.action,
    runId: outcome.admission?.run.id ?? latest?.id ?? null,
  };
  if (decision.action === "keep") instant.reason = decision.reason;
  return instant;
}
