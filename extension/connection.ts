// One LSP connection to the agent over its Unix socket. The standard
// features (CodeLens, diagnostics, hover, completion) for workflow files come
// with vscode-languageclient; everything Clockwork adds is a typed request or
// notification from agent/protocol.ts.
import net from "node:net";
import type * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  type InitializeParams,
  type LanguageClientOptions,
  type StreamInfo,
} from "vscode-languageclient/node";
import type { NotificationType, RequestType } from "vscode-languageserver-protocol";
import { AgentStatusChanged, Status, type AgentStatus } from "../agent/protocol";
import { checkSocketOwner } from "../agent/privateHome";
import type { Session } from "./supervisor";

/** Workflow files, whatever language mode VS Code opened them in. */
export const WORKFLOW_PATTERN = "**/*.workflow.{ts,js,mjs}";

/**
 * The agent outlives every window, so it must not watch this process: the
 * library would otherwise send our pid in `initialize`, asking the server to
 * exit when we do.
 */
class AgentLanguageClient extends LanguageClient {
  protected override fillInitializeParams(params: InitializeParams): void {
    super.fillInitializeParams(params);
    params.processId = null;
  }

  // The library pops up a notification when a connection fails (for one,
  // when an agent dies during the handshake). The supervisor already says
  // so in the status bar and retries, so these go to the log only: a flaky
  // agent must not produce a storm of pop-ups.
  override error(message: string, data?: unknown): void {
    super.error(message, data, false);
  }

  override warn(message: string, data?: unknown): void {
    super.warn(message, data, false);
  }
}

export class AgentConnection implements Session {
  readonly closed: Promise<{ deliberate: boolean }>;
  private _status: AgentStatus;
  private disposing = false;
  private readonly statusListeners = new Set<(status: AgentStatus) => void>();

  private constructor(
    private readonly client: LanguageClient,
    status: AgentStatus,
    closed: Promise<void>,
    private readonly markClosed: () => void,
  ) {
    this._status = status;
    this.closed = closed.then(() => ({ deliberate: this.disposing || this._status.stopping }));
    // The one handler for this method: the client keeps one per method, so a
    // second registration would replace this one and `closed` would never
    // learn that the agent said it was stopping.
    client.onNotification(AgentStatusChanged, (s) => {
      this._status = s;
      for (const listener of this.statusListeners) listener(s);
    });
  }

  /** Called with every status the agent announces (after `status` has it). */
  onStatus(listener: (status: AgentStatus) => void): vscode.Disposable {
    this.statusListeners.add(listener);
    return { dispose: () => this.statusListeners.delete(listener) };
  }

  /** Connects, completes the LSP handshake and asks for the agent's status. */
  static async open(socketPath: string, log: vscode.LogOutputChannel): Promise<AgentConnection> {
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const serverOptions = (): Promise<StreamInfo> =>
      new Promise((resolve, reject) => {
        // Nothing is sent to a socket another user owns.
        checkSocketOwner(socketPath);
        const socket = net.connect(socketPath);
        socket.once("connect", () => resolve({ reader: socket, writer: socket }));
        socket.once("error", reject);
      });
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file", pattern: WORKFLOW_PATTERN }],
      outputChannel: log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // The supervisor reconnects (or explains why not) in the status bar;
      // the library's own restarts and pop-ups would compete with it.
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: () => {
          markClosed();
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      initializationFailedHandler: () => false,
    };
    // The id makes `clockwork.trace.server` the trace setting.
    const client = new AgentLanguageClient("clockwork", "Clockwork Agent", serverOptions, clientOptions);
    try {
      await client.start();
      const status = await client.sendRequest(Status, undefined);
      return new AgentConnection(client, status, closed, markClosed);
    } catch (error) {
      await client.dispose(2000).catch(() => undefined);
      throw error;
    }
  }

  get status(): AgentStatus {
    return this._status;
  }

  request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R> {
    return this.client.sendRequest(type, params);
  }

  onNotification<T>(type: NotificationType<T>, handler: (payload: T) => void): vscode.Disposable {
    return this.client.onNotification(type, handler);
  }

  /** Says goodbye politely (shutdown, exit); the agent keeps running. */
  async dispose(): Promise<void> {
    this.disposing = true;
    await this.client.dispose(2000).catch(() => undefined);
    this.markClosed();
  }
}
