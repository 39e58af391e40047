// The CLI's side of the agent socket. `tryConnect` answers "is an agent up?"
// without throwing: a missing socket, or one left behind by a dead agent
// (nobody listening), is `null`, and the command falls back to working on the
// store directly; the agent reads that state when it starts.
//
// Errors the agent returns carry the protocol's error codes and come back as
// ClockworkErrors, so a refused request reads the same with or without an
// agent.
import net from "node:net";
import {
  CancellationTokenSource,
  createMessageConnection,
  ResponseError,
  SocketMessageReader,
  SocketMessageWriter,
  type MessageConnection,
  type NotificationType,
  type RequestType,
} from "vscode-jsonrpc/node";
import { DEFAULT_REQUEST_TIMEOUT_MS, type Config } from "../config";
import { ClockworkError, type ErrorKind } from "../errors";
import { describeSchedule, TriggerOps } from "../daemon/triggerOps";
import { createUserCode, userCodeSettings } from "../executor/userCode";
import type { Events } from "../events";
import {
  ErrorCodes,
  ReportRunChanged,
  ReportRunLog,
  ReportStepChanged,
  RunCancelRequested,
  Status,
} from "../protocol";
import { settleWithin } from "../core/settleWithin";
import { checkSocketOwner } from "../privateHome";
import { connectStore, type Store } from "../store";

export interface AgentClient {
  request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
  notify<P>(type: NotificationType<P>, params: P): void;
  /** Like `notify`, resolving once the notification has been written to the socket. */
  sendNotification<P>(type: NotificationType<P>, params: P): Promise<void>;
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): () => void;
  /** Resolves when the agent closes the connection (it stopped or crashed). */
  readonly closed: Promise<void>;
  close(): void;
}

export interface ConnectOptions {
  /** Give up connecting after this long (a socket whose agent is hung). Default 3 s. */
  timeoutMs?: number;
}

/** Connects to the agent's socket, or returns null when no agent answers there. */
export async function tryConnect(
  config: Pick<Config, "socketPath"> & Partial<Pick<Config, "requestTimeoutMs">>,
  options: ConnectOptions = {},
): Promise<AgentClient | null> {
  // A socket someone else owns is refused before a byte is sent to it.
  checkSocketOwner(config.socketPath);
  const socket = await openSocket(config.socketPath, options.timeoutMs ?? 3000);
  return socket ? wrap(socket, config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) : null;
}

/** Like `tryConnect`, but no agent is an error that says how to start one. */
export async function connect(
  config: Pick<Config, "socketPath" | "home"> & Partial<Pick<Config, "requestTimeoutMs">>,
  options?: ConnectOptions,
): Promise<AgentClient> {
  const client = await tryConnect(config, options);
  if (!client) {
    throw new ClockworkError("NotFound", `no agent is running for ${config.home}; start one with \`clockwork agent start\``);
  }
  return client;
}

function openSocket(path: string, timeoutMs: number): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    let settled = false;
    const timer = setTimeout(() => {
      // A process whose loop was busy for longer than the timeout (loading
      // its bundle on a loaded machine) runs this timer before it sees the
      // connection that completed meanwhile: look once more after the poll.
      setImmediate(() => {
        if (settled) return;
        settled = true;
        socket.destroy();
        resolve(null);
      });
    }, timeoutMs);
    socket.once("connect", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    // ENOENT (no socket), ECONNREFUSED (a socket file nobody listens on),
    // ENOTSOCK, EACCES: in every case there is no agent we can talk to.
    socket.once("error", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(null);
    });
  });
}

/** How long closing waits for the agent to close its side before cutting it off. */
const CLOSE_WAIT_MS = 5000;

function wrap(socket: net.Socket, requestTimeoutMs: number): AgentClient {
  const reader = new SocketMessageReader(socket);
  // The reader's watchdog for a message that stops half-way re-arms itself
  // every 10 s for as long as the message stays incomplete, and disposing
  // the connection does not stop it: a command that closed its connection
  // while a notification was arriving never exited. Nothing here listens
  // for partial messages.
  reader.partialMessageTimeout = 0;
  const connection: MessageConnection = createMessageConnection(reader, new SocketMessageWriter(socket));
  let closedResolve!: () => void;
  const closed = new Promise<void>((resolve) => (closedResolve = resolve));
  connection.onClose(() => closedResolve());
  socket.on("close", () => closedResolve());
  socket.on("error", () => undefined);
  connection.listen();
  let closing = false;
  return {
    async request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R> {
      // Connecting succeeds even to a stopped agent (the kernel accepts for
      // it): without a limit, a command would wait for its answer forever.
      const cancel = new CancellationTokenSource();
      let timer: NodeJS.Timeout | undefined;
      const unanswered = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          cancel.cancel();
          reject(
            new Error(
              `the agent did not answer ${type.method} within ${requestTimeoutMs / 1000} s: it may be stopped or stuck (\`clockwork status\` tells; agent.log may say why)`,
            ),
          );
        }, requestTimeoutMs);
      });
      try {
        return (await Promise.race([connection.sendRequest(type, params, cancel.token), unanswered])) as R;
      } catch (error) {
        throw toClockworkError(error);
      } finally {
        clearTimeout(timer);
        cancel.dispose();
      }
    },
    notify<P>(type: NotificationType<P>, params: P): void {
      connection.sendNotification(type, params).catch(() => undefined);
    },
    sendNotification<P>(type: NotificationType<P>, params: P): Promise<void> {
      return connection.sendNotification(type, params).catch(() => undefined);
    },
    onNotification<P>(type: NotificationType<P>, handler: (params: P) => void) {
      // Nothing is handed on once the command has closed its side.
      const disposable = connection.onNotification(type, (params) => closing || handler(params));
      return () => disposable.dispose();
    },
    closed,
    close() {
      // What was written here (a run's last report) is read by the agent
      // only if the connection is not cut first: disposing the connection
      // destroys the socket at once, and a side that closes with unread data
      // in its queue (a broadcast the agent sent meanwhile) makes the
      // agent's next write fail, which drops what it had not read yet. So
      // this side ends, keeps draining, and lets go once the agent has
      // closed its own side, which it does after reading to this end. An
      // agent that never does is cut off after a while.
      if (closing) return;
      closing = true;
      socket.end();
      const giveUp = setTimeout(() => socket.destroy(), CLOSE_WAIT_MS).unref();
      socket.once("close", () => {
        clearTimeout(giveUp);
        connection.dispose();
      });
    },
  };
}

function toClockworkError(error: unknown): unknown {
  if (error instanceof ResponseError) {
    const kind = (Object.keys(ErrorCodes) as ErrorKind[]).find((k) => ErrorCodes[k] === error.code);
    if (kind) return new ClockworkError(kind, error.message);
    return new Error(`agent: ${error.message}`);
  }
  if (error instanceof Error && /closed|disposed/i.test(error.message)) {
    return new Error("the agent closed the connection before answering (did it stop?)");
  }
  return error;
}

/** What a command works on when no agent answers: the store, and the same trigger operations the agent uses. */
export interface LocalServices {
  store: Store;
  triggerOps: TriggerOps;
}

/**
 * Runs `viaAgent` over the socket when an agent answers (the change takes
 * effect at once and every client hears of it), else `viaStore` on the store
 * directly (the agent reads it when it starts).
 */
export async function withAgentOrStore<T>(
  config: Config,
  viaAgent: (client: AgentClient) => Promise<T>,
  viaStore: (local: LocalServices) => Promise<T> | T,
): Promise<{ result: T; viaAgent: boolean }> {
  const client = await tryConnect(config);
  if (client) {
    try {
      return { result: await viaAgent(client), viaAgent: true };
    } finally {
      client.close();
    }
  }
  const store = await connectStore(config, { describeSchedule });
  // An executor starts only if the command loads a workflow (registering checks the file).
  const userCode = createUserCode({ settings: userCodeSettings(), max: 1, warm: 0 });
  try {
    return { result: await viaStore({ store, triggerOps: new TriggerOps({ triggers: store.triggers, runs: store.runs, loader: userCode.loader, shared: store.team !== undefined }) }), viaAgent: false };
  } finally {
    await userCode.executors.close();
    await store.close();
  }
}

/**
 * For a run executing in this process (`clockwork run`): when an agent
 * answers, reports the run's changes to it (clockwork/report/*) so every
 * other client sees the run live, and calls `onCancel` when a client asks to
 * cancel it. Returns a function that flushes the last reports and
 * disconnects. Without an agent it does nothing.
 */
export async function reportToAgent(
  config: Pick<Config, "socketPath">,
  events: Events,
  runId: string,
  onCancel: () => void,
): Promise<() => Promise<void>> {
  const client = await tryConnect(config, { timeoutMs: 1000 });
  if (!client) return async () => undefined;
  const pending = new Set<Promise<void>>();
  const send = <P>(type: NotificationType<P>, params: P) => {
    const sent = client.sendNotification(type, params);
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  };
  const offs = [
    events.on("run:queued", (run) => run.id === runId && send(ReportRunChanged, run)),
    events.on("run:started", (run) => run.id === runId && send(ReportRunChanged, run)),
    events.on("run:finished", (run) => run.id === runId && send(ReportRunChanged, run)),
    events.on("run:step", (p) => p.runId === runId && send(ReportStepChanged, p)),
    events.on("run:log", (chunk) => chunk.runId === runId && send(ReportRunLog, chunk)),
    client.onNotification(RunCancelRequested, (p) => {
      if (p.runId === runId) onCancel();
    }),
  ];
  // Any request subscribes this client to the agent's notifications (the
  // cancel request). Not waited for: a stuck agent holds no run up, it just
  // cannot cancel it.
  client.request(Status, undefined).catch(() => undefined);
  return async () => {
    offs.forEach((off) => off());
    // The last reports are written out before closing, but not forever: a
    // stuck agent reads nothing, and a full socket takes nothing more.
    await settleWithin(Promise.allSettled([...pending]), CLOSE_WAIT_MS);
    client.close();
  };
}
