// LISTEN/NOTIFY between agents sharing the database. One channel; each
// payload is a TeamMessage with the sender's origin id, so a store ignores
// what it sent itself. The listening connection is a client of its own,
// outside the pool (a pooled connection would be handed to other queries);
// when it drops, it reconnects with a growing pause and then says `resync`,
// since whatever was announced meanwhile was missed.
import pg from "pg";
import type { TeamMessage } from "../store";
import type { Pool } from "./db";

const CHANNEL = "clockwork";

export class Notifier {
  constructor(
    private readonly pool: Pool,
    private readonly url: string,
    /** This store's id: messages carrying it are its own. */
    private readonly origin: string,
  ) {}

  async publish(message: TeamMessage): Promise<void> {
    await this.pool.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify({ ...message, origin: this.origin })]);
  }

  async subscribe(listener: (message: TeamMessage) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    let pause = 250;
    const onNotification = (n: pg.Notification) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      let parsed: TeamMessage & { origin?: string };
      try {
        parsed = JSON.parse(n.payload) as TeamMessage & { origin?: string };
      } catch {
        return;
      }
      if (parsed.origin === this.origin) return;
      const { origin: _origin, ...message } = parsed;
      listener(message as TeamMessage);
    };
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: this.url });
      next.on("notification", onNotification);
      next.on("error", () => reconnect(next));
      next.on("end", () => reconnect(next));
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
      client = next;
      pause = 250;
    };
    const reconnect = (dead: pg.Client) => {
      if (stopped || client !== dead) return;
      client = undefined;
      dead.end().catch(() => undefined);
      retry = setTimeout(() => {
        connect().then(
          () => listener({ kind: "resync" }),
          () => {
            pause = Math.min(pause * 2, 10_000);
            if (!stopped) reconnect(client ?? dead);
          },
        );
      }, pause);
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }
}
