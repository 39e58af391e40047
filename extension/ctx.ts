// The one object that owns the extension's state: the connection to the
// agent (through the supervisor), the output channel, the agent's live
// notifications re-broadcast as VS Code events, and every disposable.
//
// Commands are registered through `registerCommand` with a factory whose
// `enabled` half receives a live `AgentConnection` as an argument: a command
// cannot reach the agent without one, and when there is none the `disabled`
// half runs instead (by default: wait for a connection on its way, else say
// the agent is not running and offer to start it).
import * as vscode from "vscode";
import {
  RunChanged,
  RunLog,
  StepChanged,
  TriggersChanged,
  TriggerStateChanged,
  type LogChunk,
  type RunSummary,
  type StepRecord,
  type TriggerRecord,
} from "../agent/protocol";
import { probeSocket, spawnAgent, stopAgentProcess } from "./agentProcess";
import { readConfig, type ClientConfig } from "./config";
import { AgentConnection } from "./connection";
import type { ConnectionState } from "./statusBarModel";
import { Supervisor, type SupervisorState } from "./supervisor";

export type Cmd = (...args: any[]) => unknown;

export interface CommandFactory {
  enabled: (ctx: Ctx, agent: AgentConnection) => Cmd;
  disabled?: (ctx: Ctx) => Cmd;
}

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly supervisor: Supervisor;
  private _agent: AgentConnection | undefined;
  private _state: ConnectionState = { kind: "connecting" };
  private errorNoticeShown = false;
  private hasActiveRuns = false;

  private readonly stateEmitter = new vscode.EventEmitter<ConnectionState>();
  private readonly runEmitter = new vscode.EventEmitter<RunSummary>();
  private readonly stepEmitter = new vscode.EventEmitter<{ runId: string; step: StepRecord }>();
  private readonly logEmitter = new vscode.EventEmitter<LogChunk>();
  private readonly triggersEmitter = new vscode.EventEmitter<{ names: string[] }>();
  private readonly triggerStateEmitter = new vscode.EventEmitter<TriggerRecord[]>();

  /** Fires on every change of connection state (and on each new agent status). */
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onRunChanged = this.runEmitter.event;
  readonly onStepChanged = this.stepEmitter.event;
  readonly onRunLog = this.logEmitter.event;
  readonly onTriggersChanged = this.triggersEmitter.event;
  /** Current records of triggers that fired or whose runs moved. */
  readonly onTriggerStateChanged = this.triggerStateEmitter.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel("Clockwork", { log: true });
    this.push(
      this.log,
      this.stateEmitter,
      this.runEmitter,
      this.stepEmitter,
      this.logEmitter,
      this.triggersEmitter,
      this.triggerStateEmitter,
    );
    this.supervisor = new Supervisor({
      probe: () => probeSocket(this.config.socketPath),
      connect: () => this.connect(),
      spawn: () => this.spawn(),
      autoStart: () => this.config.autoStart,
      now: () => Date.now(),
      sleep: (ms, wake) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          void wake.then(() => {
            clearTimeout(timer);
            resolve();
          });
        }),
      onState: (s) => this.onSupervisorState(s),
      onError: (message, byUser) => this.onAgentError(message, byUser),
    });
    let socketPath = this.config.socketPath;
    this.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration("clockwork")) return;
        const next = this.config.socketPath;
        if (next === socketPath) return this.supervisor.poke();
        // Another home: leave the old agent running (it is not this window's)
        // and connect to, or start, the one for the new home.
        socketPath = next;
        this.log.info(`clockwork.home changed: switching to ${next}`);
        this.supervisor.reset();
        void this._agent?.dispose();
      }),
    );
  }

  get config(): ClientConfig {
    return readConfig();
  }

  get agent(): AgentConnection | undefined {
    return this._agent;
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** Starts looking for (and if allowed, starting) the agent; does not wait for it. */
  start(): void {
    void vscode.commands.executeCommand("setContext", "clockwork.state", this._state.kind);
    void this.supervisor.start();
  }

  push(...disposables: vscode.Disposable[]): void {
    this.disposables.push(...disposables);
  }

  registerCommand(name: string, factory: CommandFactory): void {
    const id = `clockwork.${name}`;
    this.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          const agent = this._agent;
          if (agent) return await factory.enabled(this, agent)(...args);
          if (factory.disabled) return await factory.disabled(this)(...args);
          const later = await this.waitForAgent();
          if (later) return await factory.enabled(this, later)(...args);
        } catch (error) {
          this.log.error(`${id}: ${messageOf(error)}`);
          void vscode.window.showErrorMessage(`Clockwork: ${messageOf(error)}`);
        }
        return undefined;
      }),
    );
  }

  /**
   * For a command the user just ran without a connection: wait (with a
   * progress message) if one is on its way, otherwise offer to start the
   * agent. Resolves with the connection or undefined.
   */
  async waitForAgent(): Promise<AgentConnection | undefined> {
    if (this._agent) return this._agent;
    if (this._state.kind === "stopped" || this._state.kind === "error") {
      const detail = this._state.kind === "stopped" ? this._state.reason : this._state.message;
      const choice = await vscode.window.showWarningMessage(
        `The Clockwork agent is not running. ${detail}`,
        "Start Agent",
        "Show Agent Log",
      );
      if (choice === "Show Agent Log") void vscode.commands.executeCommand("clockwork.showAgentLog");
      if (choice !== "Start Agent") return undefined;
      this.log.info("Start Agent chosen for a command that needs the agent");
      this.supervisor.requestStart();
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "Connecting to the Clockwork agent…" },
      () => this.whenConnected(30_000),
    );
  }

  /** Resolves with the connection once there is one, or undefined after `timeoutMs` or a failure. */
  whenConnected(timeoutMs: number): Promise<AgentConnection | undefined> {
    if (this._agent) return Promise.resolve(this._agent);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const sub = this.onDidChangeState((s) => {
        if (s.kind === "connected") finish(this._agent);
        else if (s.kind === "error" || s.kind === "stopped") finish(undefined);
      });
      const finish = (agent: AgentConnection | undefined) => {
        clearTimeout(timer);
        sub.dispose();
        resolve(agent);
      };
    });
  }

  /**
   * Start Agent: connects to a running one, or starts one even with
   * auto-start off. The status bar shows how it goes; a toast would only
   * repeat it (a failure is reported by the supervisor).
   */
  async startAgent(): Promise<void> {
    if (this._agent) {
      void vscode.window.showInformationMessage(`The Clockwork agent is already running (pid ${this._agent.status.pid}).`);
      return;
    }
    this.log.info("Start Agent");
    this.supervisor.requestStart();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "Starting the Clockwork agent" },
      () => this.whenConnected(30_000),
    );
  }

  /** Stop Agent: SIGTERM, and no automatic restart until Start Agent. */
  async stopAgent(agent: AgentConnection): Promise<void> {
    const { pid } = agent.status;
    this.supervisor.markUserStopped();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Stopping the Clockwork agent (pid ${pid})` },
      () => stopAgentProcess(pid, this.config.socketPath),
    );
  }

  private async connect(): Promise<AgentConnection> {
    const agent = await AgentConnection.open(this.config.socketPath, this.log);
    // Re-broadcast the agent's notifications as events that outlive this
    // connection, so views subscribe once and keep working across reconnects.
    const subs = [
      agent.onNotification(RunChanged, (r) => this.runEmitter.fire(r)),
      agent.onNotification(StepChanged, (s) => this.stepEmitter.fire(s)),
      agent.onNotification(RunLog, (c) => this.logEmitter.fire(c)),
      agent.onNotification(TriggersChanged, (t) => this.triggersEmitter.fire(t)),
      agent.onNotification(TriggerStateChanged, ({ triggers }) => this.triggerStateEmitter.fire(triggers)),
      agent.onStatus((status) => this.setState({ kind: "connected", status })),
    ];
    void agent.closed.then(() => {
      subs.forEach((s) => s.dispose());
      if (this._agent === agent) this._agent = undefined;
      void agent.dispose();
    });
    this._agent = agent;
    this.log.info(`connected to agent ${agent.status.version} (pid ${agent.status.pid}) at ${this.config.socketPath}`);
    return agent;
  }

  private async spawn(): Promise<void> {
    const config = this.config;
    const script = this.extension.asAbsolutePath("dist/clockwork.js");
    this.log.info(`starting the agent: ${config.nodePath} ${script} agent (CLOCKWORK_HOME=${config.home})`);
    const { pid } = await spawnAgent({
      nodePath: config.nodePath,
      script,
      home: config.home,
      socketPath: config.socketPath,
      logFile: config.logFile,
      env: process.env,
    });
    this.log.info(`agent started (pid ${pid})`);
  }

  private onSupervisorState(s: SupervisorState): void {
    this.log.info(`agent connection: ${s.kind}${"reason" in s ? ` (${s.reason})` : "message" in s ? ` (${s.message})` : ""}`);
    if (s.kind === "connected") {
      if (this._agent) this.setState({ kind: "connected", status: this._agent.status });
    } else this.setState(s);
  }

  private onAgentError(message: string, byUser: boolean): void {
    // One notification per window for automatic starts and crash loops;
    // every time for an explicit Start Agent, since the user is waiting for
    // an answer.
    if (!byUser && this.errorNoticeShown) return;
    this.errorNoticeShown = true;
    void vscode.window
      .showErrorMessage(`Clockwork: ${message}`, "Show Agent Log", "Open Settings")
      .then((choice) => {
        if (choice === "Show Agent Log") void vscode.commands.executeCommand("clockwork.showAgentLog");
        if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", "clockwork.agent");
      });
  }

  private setState(state: ConnectionState): void {
    const kindChanged = state.kind !== this._state.kind;
    this._state = state;
    // Menus and welcome views read the state through these context keys.
    if (kindChanged) void vscode.commands.executeCommand("setContext", "clockwork.state", state.kind);
    const active = state.kind === "connected" && state.status.counts.running + state.status.counts.queued > 0;
    if (active !== this.hasActiveRuns) {
      this.hasActiveRuns = active;
      void vscode.commands.executeCommand("setContext", "clockwork.hasActiveRuns", active);
    }
    this.stateEmitter.fire(state);
  }

  /** Resolves once the agent has been told goodbye (it keeps running). */
  dispose(): Promise<void> {
    this.supervisor.dispose();
    const goodbye = this._agent?.dispose() ?? Promise.resolve();
    this._agent = undefined;
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // Disposing must go on for the rest.
      }
    }
    return goodbye;
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
