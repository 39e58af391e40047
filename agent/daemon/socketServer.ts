// The agent's private socket. Every accepted client gets its own LSP
// connection (socketClient.ts) over which it may
//   - call any clockwork/* request (requests.ts, answered by
//     requestDispatch.ts), with or without an LSP `initialize` first, so a
//     CLI command can ask one question and leave;
//   - use the standard LSP features for workflow files (agent/lsp), after
//     `initialize`;
//   - receive the agent's notifications (eventBroadcasts.ts: runs, steps,
//     log lines, trigger changes, status), once it has initialised or sent
//     any clockwork/* request;
//   - report a run it executes itself (`clockwork run`) with
//     clockwork/report/* (clientReports.ts), which reaches every other client.
//
// Clients come and go independently: one that sends `exit`, dies, or sends
// bytes that are not JSON-RPC is closed alone; the agent keeps running. The
// socket file is created with mode 0600 inside a 0700 home.
import { chmodSync, existsSync, lstatSync } from "node:fs";
import net from "node:net";
import type { Connection, NotificationType, ServerCapabilities } from "vscode-languageserver/node";
import { settleWithin } from "../core/settleWithin";
import { messageOf } from "../errors";
import { ReportRelay } from "./clientReports";
import { broadcastAgentEvents } from "./eventBroadcasts";
import { unlinkQuietly } from "./lock";
import type { AgentServices } from "./services";
import { acceptClient, type SocketClient } from "./socketClient";

/**
 * Editor features for workflow files register their handlers on a client's
 * connection and return the capabilities they serve (merged into the
 * `initialize` result).
 */
export type LanguageFeatures = (
  connection: Connection,
  services: AgentServices,
  /** Aborts when this client's socket closes, so the features can stop their timers and listeners. */
  closed: AbortSignal,
) => ServerCapabilities | void;

export interface SocketServer {
  readonly path: string;
  readonly clientCount: number;
  /** Stops accepting, closes every client, removes the socket file. */
  close(): Promise<void>;
}

export async function startSocketServer(
  services: AgentServices,
  path: string,
  languageFeatures: LanguageFeatures[] = [],
): Promise<SocketServer> {
  const clients = new Map<number, SocketClient>();
  let nextId = 1;
  const reports = new ReportRelay(services);

  const server = net.createServer((socket) => {
    const client = acceptClient(socket, nextId++, { services, languageFeatures, reports });
    clients.set(client.id, client);
    socket.on("close", () => clients.delete(client.id));
  });
  server.on("error", (error) => services.events.emit("agent:log", { level: "error", message: `socket server: ${messageOf(error)}` }));

  const broadcast = <T>(type: NotificationType<T>, payload: T) => {
    for (const client of clients.values()) {
      if (!client.subscribed || client.id === reports.reporter || client.socket.destroyed) continue;
      const sent = client.connection.sendNotification(type, payload).catch(() => undefined);
      client.pending.add(sent);
      void sent.finally(() => client.pending.delete(sent));
    }
  };
  const stopBroadcasting = broadcastAgentEvents(services, broadcast, () => [...clients.values()].some((c) => c.subscribed));

  await listen(server, path);

  return {
    path,
    get clientCount() {
      return clients.size;
    },
    async close() {
      stopBroadcasting();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The last notifications (the runs that finished during the grace
      // period) are written out before each client is hung up on.
      await Promise.all([...clients.values()].map(hangUp));
      await closed;
      if (process.platform !== "win32") unlinkQuietly(path);
    },
  };
}

const CLOSE_FLUSH_MS = 1000;

/** Flushes what was handed to the client's writer, ends the socket, and waits (briefly) for it to close. */
async function hangUp(client: SocketClient): Promise<void> {
  await settleWithin(Promise.allSettled([...client.pending]), CLOSE_FLUSH_MS);
  const gone = new Promise<void>((resolve) => client.socket.once("close", () => resolve()));
  client.socket.end();
  await settleWithin(gone, CLOSE_FLUSH_MS);
  client.connection.dispose();
  client.socket.destroy();
}

/**
 * Listens on the socket path with a private mode. Only the agent holding the
 * lock calls this, so a socket file already there was left by a dead agent
 * and is removed first.
 */
async function listen(server: net.Server, path: string): Promise<void> {
  if (process.platform !== "win32" && existsSync(path)) {
    if (!lstatSync(path).isSocket()) {
      throw new Error(`${path} exists and is not a socket; move it away and start the agent again`);
    }
    unlinkQuietly(path);
  }
  // The umask makes the socket private from the moment it exists; the chmod
  // afterwards makes it so whatever the platform did with the umask.
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  if (process.platform !== "win32") chmodSync(path, 0o600);
}
