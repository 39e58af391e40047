// The agent's heartbeat: one row per agent process, refreshed every few
// seconds. `clockwork status` reads it to tell a live agent from a hung one.
import type { Db } from "./db";

export interface Heartbeat {
  pid: number;
  version: string;
  startedAt: number;
  beatAt: number;
  socket: string | null;
  http: string | null;
}

interface HeartbeatRow {
  pid: number;
  version: string;
  started_at: number;
  beat_at: number;
  socket: string | null;
  http: string | null;
}

export class HeartbeatStore {
  constructor(private readonly db: Db) {}

  beat(h: Heartbeat): void {
    this.db
      .prepare(
        `INSERT INTO heartbeats (pid, version, started_at, beat_at, socket, http)
         VALUES (@pid, @version, @startedAt, @beatAt, @socket, @http)
         ON CONFLICT (pid) DO UPDATE SET version = excluded.version, started_at = excluded.started_at,
           beat_at = excluded.beat_at, socket = excluded.socket, http = excluded.http`,
      )
      .run(h);
  }

  get(pid: number): Heartbeat | undefined {
    const row = this.db.prepare(`SELECT * FROM heartbeats WHERE pid = ?`).get(pid) as HeartbeatRow | undefined;
    return row && toHeartbeat(row);
  }

  list(): Heartbeat[] {
    const rows = this.db.prepare(`SELECT * FROM heartbeats ORDER BY beat_at DESC`).all() as HeartbeatRow[];
    return rows.map(toHeartbeat);
  }

  remove(pid: number): void {
    this.db.prepare(`DELETE FROM heartbeats WHERE pid = ?`).run(pid);
  }

  /** Drops rows of processes that are gone, so the table does not grow with every restart. */
  removeDead(isAlive: (pid: number) => boolean): void {
    for (const h of this.list()) if (!isAlive(h.pid)) this.remove(h.pid);
  }
}

function toHeartbeat(row: HeartbeatRow): Heartbeat {
  return {
    pid: row.pid,
    version: row.version,
    startedAt: row.started_at,
    beatAt: row.beat_at,
    socket: row.socket,
    http: row.http,
  };
}
