// The agent's private socket. Every accepted client gets its own LSP
// connection (vscode-languageserver) over which it may
//   - call any clockwork/* request (requests.ts), with or without an LSP
//     `initialize` first, so a CLI command can ask one question and leave;
//   - use the standard LSP features for workflow files (agent/lsp), after
//     `initialize`;
//   - receive the agent's notifications (runs, steps, log lines, trigger
//     changes, status), once it has initialised or sent any clockwork/*
//     request;
//   - report a run it executes itself (`clockwork run`) with
//     clockwork/report/*, which reaches every other client.
//
// Clients come and go independently: one that sends `exit`, dies, or sends
// bytes that are not JSON-RPC is closed alone; the agent keeps running. The
// socket file is created with mode 0600 inside a 0700 home.
import { chmodSync, existsSync, lstatSync } from "node:fs";
import net from "node:net";
import {
  createProtocolConnection,
  ErrorCodes as RpcErrorCodes,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type Connection,
  type InitializeResult,
  type NotificationType,
  type ServerCapabilities,
} from "vscode-languageserver/node";
import { createConnection, type WatchDog } from "vscode-languageserver/lib/common/server";
import { z } from "zod";
import { VERSION } from "../config";
import { ClockworkError, messageOf } from "../errors";
import type { ClockworkEvents, EventName } from "../events";
import * as P from "../protocol";
import { unlinkQuietly } from "./lock";
import { requestHandlers } from "./requests";
import type { AgentServices } from "./services";
import { watchTriggerActivity } from "./triggerActivity";

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

interface Client {
  id: number;
  connection: Connection;
  socket: net.Socket;
  /** Receives broadcasts: it initialised, or it asked something. */
  subscribed: boolean;
  /** Notifications handed to the writer and not yet written, flushed before closing. */
  pending: Set<Promise<void>>;
}

export async function startSocketServer(
  services: AgentServices,
  path: string,
  languageFeatures: LanguageFeatures[] = [],
): Promise<SocketServer> {
  const clients = new Map<number, Client>();
  let nextId = 1;
  // The client whose report is being re-emitted, so it is not echoed back.
  let reporter: number | undefined;

  const server = net.createServer((socket) => {
    const client = accept(socket, nextId++);
    clients.set(client.id, client);
    socket.on("close", () => clients.delete(client.id));
  });
  server.on("error", (error) => log("error", `socket server: ${messageOf(error)}`));

  function log(level: "info" | "warn" | "error", message: string) {
    services.events.emit("agent:log", { level, message });
  }

  function accept(socket: net.Socket, id: number): Client {
    const reader = new StreamMessageReader(socket);
    const writer = new StreamMessageWriter(socket);
    const close = () => socket.destroy();
    // The library's own watchdog exits the process on `exit` or when the
    // client's pid dies: right for a language server per editor, wrong for an
    // agent shared by many clients. Ours closes only this client.
    const watchDog: WatchDog = { shutdownReceived: false, initialize() {}, exit: close };
    const connection = createConnection((logger) => createProtocolConnection(reader, writer, logger), watchDog);
    const client: Client = { id, connection, socket, subscribed: false, pending: new Set() };

    reader.onError((error) => {
      // Bytes that are not JSON-RPC: answer with a parse error and hang up,
      // since the stream cannot be trusted to be in step any more.
      writer
        .write({ jsonrpc: "2.0", id: null, error: { code: RpcErrorCodes.ParseError, message: messageOf(error) } } as never)
        .catch(() => undefined)
        .finally(close);
    });
    writer.onError(() => close());
    socket.on("error", () => close());

    const closed = new AbortController();
    socket.once("close", () => closed.abort());
    const capabilities: ServerCapabilities = {};
    for (const register of languageFeatures) {
      try {
        Object.assign(capabilities, register(connection, services, closed.signal) ?? {});
      } catch (error) {
        log("error", `language features: ${messageOf(error)}`);
      }
    }
    connection.onInitialize((): InitializeResult => {
      client.subscribed = true;
      return { capabilities, serverInfo: { name: "clockwork-agent", version: VERSION } };
    });

    for (const h of requestHandlers) {
      // Registered by method name so that the params check below is ours: the
      // library passes its cancellation token last, and params (if any) first.
      connection.onRequest(h.method, async (...args: unknown[]) => {
        client.subscribed = true;
        const raw = args.length >= 2 ? args[0] : undefined;
        const parsed = h.params.safeParse(raw);
        if (!parsed.success) {
          throw new ResponseError(RpcErrorCodes.InvalidParams, `${h.method}: ${z.prettifyError(parsed.error)}`);
        }
        // A store that vanished is not read from or written to: every
        // request but the status question is refused with what happened.
        if (services.storeError !== null && h.method !== P.Status.method) {
          throw new ResponseError(P.ErrorCodes.Conflict, `${services.storeError}; the agent accepts no work and is exiting`);
        }
        try {
          return await h.handle(parsed.data, services);
        } catch (error) {
          if (error instanceof ClockworkError) throw new ResponseError(error.code, error.message);
          log("error", `${h.method} failed: ${messageOf(error)}`);
          throw new ResponseError(RpcErrorCodes.InternalError, messageOf(error));
        }
      });
    }

    // A run executing in a client's own process, re-emitted so that the log
    // file, the editor features and every other client see it.
    const report = <K extends EventName>(event: K, payload: ClockworkEvents[K]) => {
      reporter = id;
      try {
        services.events.emit(event, payload);
      } finally {
        reporter = undefined;
      }
    };
    connection.onNotification(P.ReportRunChanged, (reported) => {
      if (!reported || typeof reported.id !== "string") return;
      // The store is the record: what the reporter wrote there is what is
      // passed on (a report cannot make a run look finished that is not).
      const run = services.store.runs.getSummary(reported.id);
      if (!run) return;
      if (run.status === "queued") report("run:queued", run);
      else if (run.status === "running") report("run:started", run);
      else report("run:finished", run);
    });
    connection.onNotification(P.ReportStepChanged, (p) => {
      if (p && typeof p.runId === "string") report("run:step", p);
    });
    connection.onNotification(P.ReportRunLog, (chunk) => {
      if (chunk && typeof chunk.runId === "string") report("run:log", chunk);
    });

    connection.listen();
    return client;
  }

  const broadcast = <T>(type: NotificationType<T>, payload: T) => {
    for (const client of clients.values()) {
      if (!client.subscribed || client.id === reporter || client.socket.destroyed) continue;
      const sent = client.connection.sendNotification(type, payload).catch(() => undefined);
      client.pending.add(sent);
      void sent.finally(() => client.pending.delete(sent));
    }
  };
  const offs = [
    services.events.on("run:queued", (r) => broadcast(P.RunChanged, r)),
    services.events.on("run:started", (r) => broadcast(P.RunChanged, r)),
    services.events.on("run:finished", (r) => broadcast(P.RunChanged, r)),
    services.events.on("run:step", (s) => broadcast(P.StepChanged, s)),
    services.events.on("run:log", (c) => broadcast(P.RunLog, c)),
    services.events.on("run:cancelRequested", (c) => broadcast(P.RunCancelRequested, c)),
    services.events.on("triggers:changed", (t) => broadcast(P.TriggersChanged, t)),
    services.events.on("agent:status", (s) => broadcast(P.AgentStatusChanged, s)),
    watchTriggerActivity({
      store: services.store,
      events: services.events,
      wanted: () => [...clients.values()].some((c) => c.subscribed),
      send: (triggers) => broadcast(P.TriggerStateChanged, { triggers }),
    }),
  ];

  await listen(server, path);

  return {
    path,
    get clientCount() {
      return clients.size;
    },
    async close() {
      offs.forEach((off) => off());
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The last notifications (the runs that finished during the grace
      // period) are written out before each client is hung up on.
      await Promise.all(
        [...clients.values()].map(async (client) => {
          await withTimeout(Promise.allSettled([...client.pending]), CLOSE_FLUSH_MS);
          const gone = new Promise<void>((resolve) => client.socket.once("close", () => resolve()));
          client.socket.end();
          await withTimeout(gone, CLOSE_FLUSH_MS);
          client.connection.dispose();
          client.socket.destroy();
        }),
      );
      await closed;
      if (process.platform !== "win32") unlinkQuietly(path);
    },
  };
}

const CLOSE_FLUSH_MS = 1000;

function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]).finally(() => clearTimeout(timer));
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
