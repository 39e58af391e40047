// The run panel's host side: loads a run (record and log so far) when the
// page says it is ready, then forwards the agent's live notifications for
// that run. After a reconnect it loads the run again, so a run whose agent
// died shows as failed once the agent is back and has recovered it. There is
// one panel per workflow: the next run of the workflow replaces what it
// shows, unless the user pinned its tab.
import * as vscode from "vscode";
import {
  CancelRun,
  GetRun,
  ReplayRun,
  RunLogs,
  StartRun,
  type LogChunk,
} from "../../../agent/protocol";
import type { AgentConnection } from "../../connection";
import type { Ctx } from "../../ctx";
import { answer, type HostToWebview, type WebviewToHost } from "../rpc";
import { panelIcon, webviewHtml, webviewOptions } from "../html";
import {
  STATUS_GLYPHS,
  choosePanel,
  offlineText,
  type RunPanelEvent,
  type RunPanelInit,
  type RunPanelRequest,
} from "./model";
import { watchRun } from "../../runProgress";

type ToHost = WebviewToHost<RunPanelRequest>;
type ToWebview = HostToWebview<RunPanelInit, RunPanelEvent>;

/** Reads a run and all of its log so far, page by page. */
export async function loadRun(agent: AgentConnection, id: string): Promise<RunPanelInit> {
  const run = await agent.request(GetRun, { id });
  const chunks: LogChunk[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await agent.request(RunLogs, { id: run.id, afterSeq, limit: 1000 });
    chunks.push(...page.chunks);
    const last = page.chunks[page.chunks.length - 1];
    if (!last || page.chunks.length < 1000) break;
    afterSeq = last.seq;
  }
  return { run, chunks };
}

export class RunPanel implements vscode.Disposable {
  static readonly viewType = "clockwork.runPanel";
  private static readonly open = new Set<RunPanel>();

  /**
   * Shows a run (an id or unique prefix): in the panel already showing it,
   * else in its workflow's panel unless that one's tab is pinned (the new run
   * replaces what it showed), else in a new panel.
   */
  static async show(ctx: Ctx, agent: AgentConnection, id: string): Promise<void> {
    const known = [...RunPanel.open].find((p) => p.runId === id || p.runId.startsWith(id));
    if (known) {
      known.reveal();
      return;
    }
    // Load first, so a wrong id is an error message rather than an empty
    // panel; what happens to the run meanwhile is kept and applied after.
    const early = recordEvents(ctx);
    let first: RunPanelInit;
    try {
      first = await loadRun(agent, id);
    } catch (error) {
      early.dispose();
      throw error;
    }
    // Nothing can arrive between here and the panel's own subscription: both
    // happen in this turn of the event loop.
    const missed = early.take(first.run.id);
    early.dispose();
    const panels = [...RunPanel.open];
    const choice = choosePanel(
      panels.map((p) => ({ runId: p.runId, workflowFile: p.snapshot.run.workflowFile, pinned: p.isPinned() })),
      first.run,
    );
    const reusable = panels[choice.index];
    if (reusable) {
      reusable.showSnapshot(first, missed);
      reusable.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      RunPanel.viewType,
      titleOf(first.run),
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      webviewOptions(ctx.extension.extensionUri),
    );
    new RunPanel(ctx, panel, first, missed);
  }

  /** Whether a panel showing this run is visible in an editor group. */
  static isVisible(runId: string): boolean {
    return [...RunPanel.open].some((p) => p.runId === runId && p.visible);
  }

  private runId: string;
  /**
   * Whether the panel is on screen. `panel.visible` learns of a reveal only
   * when the window reports it back, which a run of a few milliseconds can
   * beat; a panel this extension just created or revealed is on screen.
   */
  private visible = true;
  /** The page has said `ready` and received its `init`. */
  private ready = false;
  /** A snapshot is being loaded. */
  private loading = false;
  /** Live events held back until the page is ready or the snapshot is in; posted after it. */
  private buffer: RunPanelEvent[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
    private snapshot: RunPanelInit,
    missed: RunPanelEvent[],
  ) {
    this.runId = snapshot.run.id;
    this.buffer = missed;
    RunPanel.open.add(this);
    panel.iconPath = panelIcon(ctx.extension.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, ctx.extension.extensionUri, { name: "runPanel", title: panel.title });
    let wasConnected = true;
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((m: ToHost) => void this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => (this.visible = e.webviewPanel.visible)),
      ctx.onRunChanged((run) => {
        if (run.id !== this.runId) return;
        this.panel.title = titleOf(run);
        this.send({ kind: "run", run });
      }),
      ctx.onStepChanged((e) => e.runId === this.runId && this.send({ kind: "step", step: e.step })),
      ctx.onRunLog((chunk) => chunk.runId === this.runId && this.send({ kind: "log", chunk })),
      ctx.onDidChangeState((state) => {
        const connected = state.kind === "connected";
        if (connected) {
          if (wasConnected) return;
          wasConnected = true;
          this.send({ kind: "connection", connected });
          void this.reload();
        } else {
          // Sent on every change while away: "waiting" becomes "stopped".
          wasConnected = false;
          this.send({ kind: "connection", connected, offline: offlineText(state) });
        }
      }),
    );
  }

  private reveal(): void {
    this.panel.reveal();
    this.visible = true;
  }

  /**
   * Whether the user pinned this panel's tab. Pinning (the tab's context
   * menu, or Keep Open) is how a run is kept while the next run of the same
   * workflow opens in a panel of its own.
   */
  private isPinned(): boolean {
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        if (
          tab.input instanceof vscode.TabInputWebview &&
          tab.input.viewType.endsWith(RunPanel.viewType) &&
          tab.label === this.panel.title
        ) {
          return tab.isPinned;
        }
      }
    }
    return false;
  }

  private async receive(message: ToHost): Promise<void> {
    if (message.type === "ready") {
      this.post({ type: "init", init: this.snapshot });
      this.ready = true;
      if (!this.loading) this.flush();
      return;
    }
    const reply = await answer<RunPanelRequest, RunPanelInit, RunPanelEvent>(message, (r) => this.handle(r));
    if (reply) this.post(reply);
  }

  private async handle(request: RunPanelRequest): Promise<unknown> {
    if (request.method === "openFile") {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(this.snapshot.run.workflowFile));
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One });
      return null;
    }
    const agent = this.ctx.agent;
    if (!agent) throw new Error("The Clockwork agent is not connected.");
    if (request.method === "cancel") return agent.request(CancelRun, { id: this.runId });
    if (request.method === "replayEdited") {
      await vscode.commands.executeCommand("clockwork.replayWithEditedBody", this.runId);
      return null;
    }
    // Rerun (the same file with the same input) or Replay (as its trigger started it), shown in this panel.
    const runId =
      request.method === "replay"
        ? (await agent.request(ReplayRun, { id: this.runId })).id
        : (await agent.request(StartRun, { file: this.snapshot.run.workflowFile, body: this.snapshot.run.trigger.body })).runId;
    void watchRun(this.ctx, agent, runId, this.snapshot.run.workflowName);
    this.runId = runId;
    await this.reload();
    return { runId };
  }

  /** Replaces what the panel shows with another run of its workflow, already loaded. */
  private showSnapshot(next: RunPanelInit, missed: RunPanelEvent[]): void {
    this.runId = next.run.id;
    this.snapshot = next;
    this.buffer = missed;
    this.panel.title = titleOf(next.run);
    if (!this.ready) return;
    this.post({ type: "event", event: { kind: "snapshot", ...next } });
    if (!this.loading) this.flush();
  }

  /** Loads the run again and replaces what the page shows. */
  private async reload(): Promise<void> {
    const agent = this.ctx.agent;
    if (!agent) return;
    this.loading = true;
    this.buffer = [];
    const id = this.runId;
    try {
      const snapshot = await loadRun(agent, id);
      // Another run was put in the panel meanwhile: that one is newer.
      if (id !== this.runId) return;
      this.snapshot = snapshot;
      this.panel.title = titleOf(this.snapshot.run);
      if (this.ready) this.post({ type: "event", event: { kind: "snapshot", ...this.snapshot } });
    } catch (error) {
      this.ctx.log.warn(`reloading run ${this.runId} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.loading = false;
      if (this.ready) this.flush();
    }
  }

  private send(event: RunPanelEvent): void {
    if (!this.ready || this.loading) this.buffer.push(event);
    else this.post({ type: "event", event });
  }

  private flush(): void {
    for (const event of this.buffer.splice(0)) {
      if (event.kind === "run") this.panel.title = titleOf(event.run);
      this.post({ type: "event", event });
    }
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    RunPanel.open.delete(this);
    this.subscriptions.splice(0).forEach((s) => s.dispose());
  }
}

/** Records every run's live events from now on, so none is lost while a run loads. */
function recordEvents(ctx: Ctx): { take(runId: string): RunPanelEvent[]; dispose(): void } {
  const seen: Array<{ runId: string; event: RunPanelEvent }> = [];
  const subs = [
    ctx.onRunChanged((run) => seen.push({ runId: run.id, event: { kind: "run", run } })),
    ctx.onStepChanged((e) => seen.push({ runId: e.runId, event: { kind: "step", step: e.step } })),
    ctx.onRunLog((chunk) => seen.push({ runId: chunk.runId, event: { kind: "log", chunk } })),
  ];
  return {
    take: (runId) => seen.filter((e) => e.runId === runId).map((e) => e.event),
    dispose: () => subs.forEach((s) => s.dispose()),
  };
}

function titleOf(run: { workflowName: string; status: string; id: string }): string {
  return `${STATUS_GLYPHS[run.status] ?? ""} ${run.workflowName} · ${run.id.slice(0, 8)}`.trim();
}
