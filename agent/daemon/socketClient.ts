// One client of the agent socket: its own LSP connection, on which the
// editor features, the clockwork/* requests and the clockwork/report/*
// notifications are registered. A client that sends `exit`, dies, or sends
// bytes that are not JSON-RPC is closed alone; the agent keeps running.
import type net from "node:net";
import {
  createProtocolConnection,
  ErrorCodes as RpcErrorCodes,
  StreamMessageReader,
  StreamMessageWriter,
  type Connection,
  type InitializeResult,
  type Logger,
  type ServerCapabilities,
} from "vscode-languageserver/node";
import { createConnection, type WatchDog } from "vscode-languageserver/lib/common/server";
import { VERSION } from "../config";
import { messageOf } from "../errors";
import type { ReportRelay } from "./clientReports";
import { serveRequests } from "./requestDispatch";
import type { AgentServices } from "./services";
import type { LanguageFeatures } from "./socketServer";

export interface SocketClient {
  id: number;
  connection: Connection;
  socket: net.Socket;
  /** Receives broadcasts: it initialised, or it asked something. */
  subscribed: boolean;
  /** Notifications handed to the writer and not yet written, flushed before closing. */
  pending: Set<Promise<void>>;
}

export interface SocketClientDeps {
  services: AgentServices;
  languageFeatures: LanguageFeatures[];
  reports: ReportRelay;
}

/** Serves one accepted socket; the connection is listening when this returns. */
export function acceptClient(socket: net.Socket, id: number, deps: SocketClientDeps): SocketClient {
  const connection = openConnection(socket);
  const client: SocketClient = { id, connection, socket, subscribed: false, pending: new Set() };

  const closed = new AbortController();
  socket.once("close", () => closed.abort());
  const capabilities = addLanguageFeatures(connection, deps, closed.signal);
  connection.onInitialize((): InitializeResult => {
    client.subscribed = true;
    return { capabilities, serverInfo: { name: "clockwork-agent", version: VERSION } };
  });
  serveRequests(connection, deps.services, () => (client.subscribed = true));
  deps.reports.listen(connection, id);

  connection.listen();
  return client;
}

function openConnection(socket: net.Socket): Connection {
  const reader = new StreamMessageReader(socket);
  // A client that hangs up half-way through a message would otherwise leave
  // the reader's re-arming partial-message timer, and the connection it
  // holds, in the agent for good.
  reader.partialMessageTimeout = 0;
  const writer = new StreamMessageWriter(socket);
  const close = () => socket.destroy();
  // The library's own watchdog exits the process on `exit` or when the
  // client's pid dies: right for a language server per editor, wrong for an
  // agent shared by many clients. Ours closes only this client.
  const watchDog: WatchDog = { shutdownReceived: false, initialize() {}, exit: close };
  const connection = createConnection((logger) => createProtocolConnection(reader, writer, whileOpen(socket, logger)), watchDog);

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
  return connection;
}

/**
 * The library reports its own trouble (a notification it could not write)
 * to the client's console, which is a message to the same client: once the
 * client has hung up, that fails too and the library prints "Sending log
 * message failed" on the agent's stderr. A client that left mid-write (a
 * CLI command that got its answer while a broadcast was going out) is
 * nobody's problem, so nothing is reported to it.
 */
function whileOpen(socket: net.Socket, logger: Logger): Logger {
  const to = (send: (message: string) => void) => (message: string) => {
    if (socket.writable) send(message);
  };
  return { error: to((m) => logger.error(m)), warn: to((m) => logger.warn(m)), info: to((m) => logger.info(m)), log: to((m) => logger.log(m)) };
}

/** Registers each editor feature on the connection and merges the capabilities they serve; one that throws is logged and left out. */
function addLanguageFeatures(connection: Connection, deps: SocketClientDeps, closed: AbortSignal): ServerCapabilities {
  const capabilities: ServerCapabilities = {};
  for (const register of deps.languageFeatures) {
    try {
      Object.assign(capabilities, register(connection, deps.services, closed) ?? {});
    } catch (error) {
      deps.services.events.emit("agent:log", { level: "error", message: `language features: ${messageOf(error)}` });
    }
  }
  return capabilities;
}
