// Team mode in the PostgreSQL store: the shared run queue, the takeover of
// lost agents, and notifications (notify.ts). See TeamStore in store.ts.
import type { RunSummary } from "../../protocol";
import { toSummary, type RunRow } from "../sqlite/runRows";
import type { AgentBeat, Clock, Owner, TeamMessage, TeamStore } from "../store";
import { text, transaction, type Pool } from "./db";
import { toBeat, type AgentRow } from "./agents";
import type { Notifier } from "./notify";
import { SUMMARY_COLUMNS } from "./runs";

export class PgTeam implements TeamStore {
  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
  ) {}

  async takeQueued(owner: Owner, limit: number, skip: readonly string[]): Promise<RunSummary[]> {
    if (limit < 1) return [];
    const { rows } = await this.pool.query<RunRow>(
      `UPDATE runs SET owner_id = $1, owner_pid = $2, owner_host = $3
       WHERE id IN (
         SELECT r.id FROM runs r
         WHERE r.status = 'queued' AND (r.pinned_host IS NULL OR r.pinned_host = $3) AND NOT (r.id = ANY($5))
           AND (r.serial_key IS NULL OR NOT EXISTS (SELECT 1 FROM runs x WHERE x.serial_key = r.serial_key AND x.status = 'running'))
         ORDER BY r.created_at, r.seq
         LIMIT $4
         FOR UPDATE SKIP LOCKED)
       AND status = 'queued'
       RETURNING ${SUMMARY_COLUMNS}`,
      [owner.id, owner.pid, owner.host, limit, [...skip]],
    );
    return rows.sort((a, b) => a.created_at - b.created_at || a.rowid - b.rowid).map(toSummary);
  }

  async lostAgents(staleBefore: number): Promise<AgentBeat[]> {
    const { rows } = await this.pool.query<AgentRow>(`SELECT * FROM agents WHERE beat_at < $1 ORDER BY beat_at`, [staleBefore]);
    return rows.map(toBeat);
  }

  takeOver(agentId: string, staleBefore: number, reason: string): Promise<{ failed: RunSummary[]; released: number } | undefined> {
    return transaction(this.pool, async (client) => {
      // The row lock makes one agent the taker; the others skip it. A beat since the list was read keeps it alive.
      const lost = await client.query(`SELECT id FROM agents WHERE id = $1 AND beat_at < $2 FOR UPDATE SKIP LOCKED`, [agentId, staleBefore]);
      if (lost.rows.length === 0) return undefined;
      const now = this.clock();
      const failed = await client.query<RunRow>(
        `UPDATE runs SET status = 'failed', error = $1, finished_at = $2 WHERE owner_id = $3 AND status = 'running' RETURNING ${SUMMARY_COLUMNS}`,
        [text(reason), now, agentId],
      );
      const ids = failed.rows.map((r) => r.id);
      if (ids.length > 0) {
        await client.query(`UPDATE run_steps SET status = 'failed', finished_at = $1, error = COALESCE(error, $2) WHERE run_id = ANY($3) AND status = 'running'`, [
          now,
          text(reason),
          ids,
        ]);
      }
      const released = await client.query(`UPDATE runs SET owner_id = NULL, owner_pid = NULL, owner_host = NULL WHERE owner_id = $1 AND status = 'queued'`, [agentId]);
      await client.query(`DELETE FROM agents WHERE id = $1`, [agentId]);
      return { failed: failed.rows.sort((a, b) => a.created_at - b.created_at || a.rowid - b.rowid).map(toSummary), released: released.rowCount ?? 0 };
    });
  }

  publish(message: TeamMessage): Promise<void> {
    return this.notifier.publish(message);
  }

  subscribe(listener: (message: TeamMessage) => void): Promise<() => Promise<void>> {
    return this.notifier.subscribe(listener);
  }
}
