// Agents' heartbeats in the PostgreSQL store: one row per agent process,
// keyed by its id. Beside `clockwork status`, in team mode the rows are the
// leases: an agent whose beat is older than the lease is taken over (team.ts).
import type { AgentBeat, AgentRepository } from "../store";
import type { Pool } from "./db";

export interface AgentRow {
  id: string;
  pid: number;
  host: string;
  version: string;
  started_at: number;
  beat_at: number;
  socket: string | null;
  http: string | null;
}

export class PgAgentStore implements AgentRepository {
  constructor(private readonly pool: Pool) {}

  async beat(a: AgentBeat): Promise<void> {
    await this.pool.query(
      `INSERT INTO agents (id, pid, host, version, started_at, beat_at, socket, http) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at, socket = excluded.socket, http = excluded.http`,
      [a.id, a.pid, a.host, a.version, a.startedAt, a.beatAt, a.socket, a.http],
    );
  }

  async get(id: string): Promise<AgentBeat | undefined> {
    const { rows } = await this.pool.query<AgentRow>(`SELECT * FROM agents WHERE id = $1`, [id]);
    return rows[0] && toBeat(rows[0]);
  }

  async list(): Promise<AgentBeat[]> {
    const { rows } = await this.pool.query<AgentRow>(`SELECT * FROM agents ORDER BY beat_at DESC, id`);
    return rows.map(toBeat);
  }

  async remove(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM agents WHERE id = $1`, [id]);
  }
}

export function toBeat(row: AgentRow): AgentBeat {
  return {
    id: row.id,
    pid: row.pid,
    host: row.host,
    version: row.version,
    startedAt: row.started_at,
    beatAt: row.beat_at,
    socket: row.socket,
    http: row.http,
  };
}
