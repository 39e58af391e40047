// The two operations of the PostgreSQL store that must be atomic, each one
// transaction. Claiming a due instant: the unique (trigger, instant) row is
// inserted (`ON CONFLICT DO NOTHING RETURNING`: a concurrent claim of the
// same instant waits for ours and then inserts nothing), `next_fire_at`
// advances only from the value the scheduler read, and the run is admitted,
// all committed together or not at all. Admission takes the trigger's
// advisory lock before counting its active runs, so a `skip` trigger never
// has two runs going on two machines and a `queue` trigger never has two
// waiting.
import { decideAdmission, needsActiveCount } from "../../core/admission";
import { instantAction, instantState } from "../../core/backfill";
import type { RunSummary } from "../../protocol";
import type { Admission, AdmissionRequest, Clock, InstantClaim, InstantOutcome, InstantRequest } from "../store";
import { TRIGGER_LOCK_SQL, transaction, type Client, type Pool } from "./db";
import { newRunId } from "../ids";
import { insertRunRow, instantRunsOn } from "./runs";

type AdmitOutcome = { ok: true; admission: Admission } | { ok: false; error: unknown };

async function countActiveOf(client: Client, triggerName: string): Promise<{ running: number; queued: number }> {
  const { rows } = await client.query<{ status: "queued" | "running"; n: number }>(
    `SELECT status, COUNT(*) AS n FROM runs WHERE trigger_name = $1 AND status IN ('queued', 'running') GROUP BY status`,
    [triggerName],
  );
  const counts = { running: 0, queued: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

/** Takes the advisory locks of every trigger whose runs `requests` count, in one order, so two batches never deadlock. */
async function lockTriggers(client: Client, requests: readonly AdmissionRequest[]): Promise<void> {
  const names = [...new Set(requests.filter((r) => needsActiveCount(r.overlap, r.triggerName)).map((r) => r.triggerName!))].sort();
  for (const name of names) await client.query(TRIGGER_LOCK_SQL, [name]);
}

/** One run under its overlap policy; the trigger's lock is already held. */
async function admitOne(client: Client, request: AdmissionRequest & { id?: string }, now: number): Promise<Admission> {
  const { overlap, ...run } = request;
  const active = needsActiveCount(overlap, run.triggerName) ? await countActiveOf(client, run.triggerName!) : { running: 0, queued: 0 };
  const decision = decideAdmission(overlap, run.triggerName, active);
  if (decision.status === "skipped") {
    return { status: "skipped", reason: decision.reason, run: await insertRunRow(client, { ...run, status: "skipped", error: decision.reason }, now) };
  }
  const serialKey = run.serialKey ?? decision.serialKey;
  const queued = await insertRunRow(client, { ...run, status: "queued", serialKey: serialKey ?? null }, now);
  return serialKey === undefined ? { status: "queued", run: queued } : { status: "queued", run: queued, serialKey };
}

type Claimed = { admission: Admission | null; missedRecord?: RunSummary };

export function claimInstant(pool: Pool, clock: Clock, claim: InstantClaim): Promise<Claimed | undefined> {
  // The run's id (or the missed record's) is chosen first, so the claim row names it from the start: one statement fewer on the hot path.
  const runId = claim.run || claim.missedRecord ? newRunId() : null;
  return transaction(pool, async (client) => {
    const now = clock();
    // The claim row and the guarded advance in one statement; both counts come back.
    const { rows } = await client.query<{ claimed: number; advanced: number }>(
      `WITH claim AS (
         INSERT INTO schedule_claims (trigger_id, scheduled_for, claimed_at, run_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING trigger_id),
       advance AS (
         UPDATE triggers SET next_fire_at = $5, updated_at = $3
         WHERE id = (SELECT trigger_id FROM claim) AND next_fire_at = $2 AND NOT paused RETURNING id)
       SELECT (SELECT COUNT(*) FROM claim) AS claimed, (SELECT COUNT(*) FROM advance) AS advanced`,
      [claim.triggerId, claim.expected, now, runId, claim.next],
    );
    if (rows[0]!.claimed !== 1) return undefined;
    // The schedule changed under us (paused, edited, removed): not ours to fire; undo the claim row too.
    if (rows[0]!.advanced !== 1) throw NOT_OURS;
    if (!claim.run) {
      if (!claim.missedRecord) return { admission: null };
      return { admission: null, missedRecord: await insertRunRow(client, { ...claim.missedRecord, id: runId!, status: "skipped" }, now) };
    }
    await lockTriggers(client, [claim.run]);
    return { admission: await admitOne(client, { ...claim.run, id: runId! }, now) };
  }).catch((error: unknown) => {
    if (error === NOT_OURS) return undefined;
    throw error;
  });
}

/**
 * Every request in one transaction, each under a savepoint: a row that
 * cannot be written (a trigger id that is gone) fails alone, as in SQLite.
 */
export function admit(pool: Pool, clock: Clock, requests: readonly AdmissionRequest[]): Promise<AdmitOutcome[]> {
  return transaction(pool, async (client) => {
    await lockTriggers(client, requests);
    const outcomes: AdmitOutcome[] = [];
    for (const request of requests) {
      await client.query("SAVEPOINT one_run");
      try {
        outcomes.push({ ok: true, admission: await admitOne(client, request, clock()) });
        await client.query("RELEASE SAVEPOINT one_run");
      } catch (error) {
        await client.query("ROLLBACK TO SAVEPOINT one_run");
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  });
}

/**
 * Backfill: each instant's runs are read and judged (core/backfill.ts) in
 * the transaction that admits it, all or nothing. The rows of the triggers
 * concerned are locked first (FOR UPDATE, in id order), so a second backfill
 * of the same schedule, from any agent, waits and then sees these runs, and
 * a claim of one of its instants (which updates that row) cannot slip in
 * between the read and the admission.
 */
export function admitInstants(pool: Pool, clock: Clock, requests: readonly InstantRequest[]): Promise<InstantOutcome[]> {
  if (requests.length === 0) return Promise.resolve([]);
  return transaction(pool, async (client) => {
    const ids = [...new Set(requests.map((r) => r.triggerId))].sort((a, b) => a - b);
    await client.query("SELECT id FROM triggers WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", [ids]);
    await lockTriggers(client, requests);
    const outcomes: InstantOutcome[] = [];
    for (const { reprocess, ...request } of requests) {
      const existing = await instantRunsOn(client, request.triggerId, request.scheduledFor, request.scheduledFor + 1);
      const state = instantState(existing.map((run) => run.status));
      const admission = instantAction(state, reprocess).action === "run" ? await admitOne(client, request, clock()) : null;
      outcomes.push({ scheduledFor: request.scheduledFor, state, existing, admission });
    }
    return outcomes;
  });
}

const NOT_OURS = Symbol("not ours");
