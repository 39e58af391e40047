// The Runs view: the latest runs, newest first, optionally narrowed to one
// workflow or one trigger. Loaded when the view opens, the filter changes or
// the agent reconnects; kept current from RunChanged notifications.
import * as vscode from "vscode";
import { ListRuns, type RunSummary } from "../agent/protocol";
import type { Ctx } from "./ctx";
import { RUNS_LIMIT, runItemView, upsertRun, type RunItemView, type RunsFilter } from "./runsModel";
import { themeIcon } from "./triggersTree";

export class RunNode {
  constructor(
    public run: RunSummary,
    public view: RunItemView,
  ) {}
}

export class RunsTree implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunNode | RunNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: RunSummary[] | undefined;
  private nodes = new Map<string, RunNode>();
  private _filter: RunsFilter = {};
  private connected = false;
  private ticker: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[];
  /** Set by extension.ts so the view's description can show the filter. */
  view: vscode.TreeView<RunNode> | undefined;

  constructor(private readonly ctx: Ctx) {
    this.subscriptions = [
      ctx.onRunChanged((run) => this.applyRun(run)),
      ctx.onDidChangeState((state) => {
        const connected = state.kind === "connected";
        if (connected === this.connected) return;
        this.connected = connected;
        if (connected) void this.reload();
      }),
    ];
  }

  get filter(): RunsFilter {
    return this._filter;
  }

  /** Narrows the list (or widens it with `{}`) and loads it again. */
  async setFilter(filter: RunsFilter): Promise<void> {
    this._filter = filter;
    const label = filter.trigger ? `trigger ${filter.trigger}` : filter.workflow;
    if (this.view) this.view.description = label;
    void vscode.commands.executeCommand("setContext", "clockwork.runsFiltered", Boolean(label));
    await this.reload();
  }

  get listed(): readonly RunSummary[] {
    return this.runs ?? [];
  }

  async reload(): Promise<void> {
    const agent = this.ctx.agent;
    if (!agent) return;
    try {
      const runs = await agent.request(ListRuns, { ...this._filter, limit: RUNS_LIMIT });
      this.setRuns(runs);
    } catch (error) {
      this.ctx.log.warn(`listing runs failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private setRuns(runs: RunSummary[]): void {
    this.runs = runs;
    const now = Date.now();
    const nodes = new Map<string, RunNode>();
    for (const run of runs) {
      const node = this.nodes.get(run.id) ?? new RunNode(run, runItemView(run, now));
      node.run = run;
      node.view = runItemView(run, now);
      nodes.set(run.id, node);
    }
    this.nodes = nodes;
    this.changed.fire(undefined);
    this.scheduleTick();
  }

  private applyRun(run: RunSummary): void {
    if (this.runs === undefined) return;
    const existing = this.nodes.get(run.id);
    const next = upsertRun(this.runs, run, this._filter);
    if (existing && next.length === this.runs.length && next[0]?.id === this.runs[0]?.id) {
      // Same rows in the same places: update the one item only.
      this.runs = next;
      existing.run = run;
      existing.view = runItemView(run, Date.now());
      this.changed.fire(existing);
      this.scheduleTick();
    } else this.setRuns(next);
  }

  /** Running runs show a growing duration; refresh them every second while any runs. */
  private scheduleTick(): void {
    clearTimeout(this.ticker);
    const active = [...this.nodes.values()].filter((n) => n.run.status === "running");
    if (active.length === 0) return;
    this.ticker = setTimeout(() => {
      const now = Date.now();
      for (const node of active) node.view = runItemView(node.run, now);
      this.changed.fire(active);
      this.scheduleTick();
    }, 1000);
  }

  getChildren(element?: RunNode): RunNode[] {
    if (element) return [];
    if (this.runs === undefined && this.ctx.agent) void this.reload();
    return (this.runs ?? []).map((r) => this.nodes.get(r.id)).filter((n): n is RunNode => !!n);
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    const view = node.view;
    const item = new vscode.TreeItem(view.label, vscode.TreeItemCollapsibleState.None);
    item.id = view.id;
    item.description = view.description;
    item.tooltip = view.tooltip;
    item.iconPath = themeIcon(view.icon);
    item.contextValue = view.contextValue;
    item.command = { command: "clockwork.openRun", title: "Open Run", arguments: [node.run.id] };
    item.accessibilityInformation = { label: `${view.label}, ${node.run.status}, ${view.description}` };
    return item;
  }

  dispose(): void {
    clearTimeout(this.ticker);
    this.subscriptions.forEach((s) => s.dispose());
    this.changed.dispose();
  }
}
