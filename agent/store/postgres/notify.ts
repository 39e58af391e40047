// LISTEN/NOTIFY between agents sharing the database. One channel; each
// payload carries the sender's origin id, so a store ignores what it sent
// itself, and the messages of one turn of the event loop, packed up to the
// size PostgreSQL allows (a burst of runs is a few notifications, not one
// query per event). The listening connection is a client of its own,
// outside the pool (a pooled connection would be handed to other queries);
// when it drops, it reconnects with a growing pause and then says `resync`
// (with when it was lost), since whatever was announced meanwhile was missed.
import pg from "pg";
import type { Clock, TeamMessage } from "../store";
import type { Pool } from "./db";

const CHANNEL = "clockwork";
/** PostgreSQL refuses payloads of 8000 bytes or more. */
const PAYLOAD_BYTES = 7800;

export class Notifier {
  constructor(
    private readonly pool: Pool,
    private readonly url: string,
    /** This store's id: messages carrying it are its own. */
    private readonly origin: string,
    private readonly clock: Clock,
  ) {}

  private pending: Array<{ message: TeamMessage; done: (error?: unknown) => void }> = [];

  publish(message: TeamMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ message, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const payloads = pack(batch.flatMap(({ message }) => split(message)), this.origin);
    let failure: unknown;
    for (const payload of payloads) {
      try {
        await this.pool.query("SELECT pg_notify($1, $2)", [CHANNEL, payload]);
      } catch (error) {
        failure = error;
      }
    }
    for (const item of batch) item.done(failure);
  }

  async subscribe(listener: (message: TeamMessage) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    let pause = 250;
    let lostAt = 0;
    const onNotification = (n: pg.Notification) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      let parsed: { origin?: string; messages?: TeamMessage[] };
      try {
        parsed = JSON.parse(n.payload) as { origin?: string; messages?: TeamMessage[] };
      } catch {
        return;
      }
      if (parsed.origin === this.origin || !Array.isArray(parsed.messages)) return;
      for (const message of parsed.messages) listener(message);
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
    const retryLater = () => {
      retry = setTimeout(() => {
        if (stopped) return;
        connect().then(
          () => listener({ kind: "resync", lostAt }),
          () => {
            pause = Math.min(pause * 2, 10_000);
            if (!stopped) retryLater();
          },
        );
      }, pause);
    };
    // 'error' and 'end' may both come for one lost connection: only the first counts.
    const reconnect = (dead: pg.Client) => {
      if (stopped || client !== dead) return;
      client = undefined;
      lostAt = this.clock();
      dead.end().catch(() => undefined);
      retryLater();
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }
}

/** A trigger change naming more triggers than one payload holds becomes several. */
function split(message: TeamMessage): TeamMessage[] {
  if (message.kind !== "triggers" || Buffer.byteLength(JSON.stringify(message)) < PAYLOAD_BYTES - 100) return [message];
  const parts: TeamMessage[] = [];
  for (let i = 0; i < message.names.length; i += 50) parts.push({ kind: "triggers", names: message.names.slice(i, i + 50) });
  return parts;
}

/** Messages packed into as few payloads as fit, in order. */
function pack(messages: TeamMessage[], origin: string): string[] {
  const payloads: string[] = [];
  let current: string[] = [];
  let size = 0;
  const envelope = (items: string[]) => `{"origin":${JSON.stringify(origin)},"messages":[${items.join(",")}]}`;
  for (const message of messages) {
    const text = JSON.stringify(message);
    const bytes = Buffer.byteLength(text) + 1;
    if (current.length > 0 && size + bytes > PAYLOAD_BYTES - 100) {
      payloads.push(envelope(current));
      current = [];
      size = 0;
    }
    current.push(text);
    size += bytes;
  }
  if (current.length > 0) payloads.push(envelope(current));
  return payloads;
}
