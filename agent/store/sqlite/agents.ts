// Agents' heartbeats in the SQLite store: one row per agent process, keyed
// by its id, refreshed every few seconds. `clockwork status` reads it to tell
// a live agent from a hung one. Synchronous; wrapped by sqlite/index.ts.
import type { AgentBeat } from "../store";
import type { Db } from "./db";

interface AgentRow {
  id: string;
  pid: number;
  host: string;
  version: string;
  started_at: number;
  beat_at: number;
  socket: string | null;
  http: string | null;
}

export class AgentStore {
  constructor(private readonly db: Db) {}

  beat(a: AgentBeat): void {
    this.db
      .prepare(
        `INSERT INTO agents (id, pid, host, version, started_at, beat_at, socket, http)
         VALUES (@id, @pid, @host, @version, @startedAt, @beatAt, @socket, @http)
         ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at, socket = excluded.socket, http = excluded.http`,
      )
      .run(a);
  }

  get(id: string): AgentBeat | undefined {
    const row = this.db.prepare(`SELECT * FROM agents WHERE id = ?`).get(id) as AgentRow | undefined;
    return row && toBeat(row);
  }

  list(): AgentBeat[] {
    return (this.db.prepare(`SELECT * FROM agents ORDER BY beat_at DESC`).all() as AgentRow[]).map(toBeat);
  }

  remove(id: string): void {
    this.db.prepare(`DELETE FROM agents WHERE id = ?`).run(id);
  }
}

function toBeat(row: AgentRow): AgentBeat {
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
