// The status-bar item: the agent's state and the next fire, kept current.
// What it says in each state is decided in statusBarModel.ts.
import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { nextChangeIn } from "../agent/core/relativeTime";
import { statusBarView } from "./statusBarModel";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("clockwork.status", vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: Ctx) {
    this.item.name = "Clockwork";
    this.subscriptions.push(
      ctx.onDidChangeState(() => this.render()),
      // Counts and the next fire change with triggers and runs; the agent
      // announces those changes, and the status is fetched again after them.
      ctx.onTriggersChanged(() => this.refreshSoon()),
      ctx.onRunChanged(() => this.refreshSoon()),
    );
    this.render();
    this.item.show();
  }

  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const agent = this.ctx.agent;
      if (agent) void agent.refreshStatus().then(() => this.render(), () => undefined);
    }, 300);
  }

  private render(): void {
    const state = this.ctx.state.kind === "connected" && this.ctx.agent
      ? { kind: "connected" as const, status: this.ctx.agent.status }
      : this.ctx.state;
    const now = Date.now();
    const view = statusBarView(state, now);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.backgroundColor = view.background
      ? new vscode.ThemeColor(view.background === "error" ? "statusBarItem.errorBackground" : "statusBarItem.warningBackground")
      : undefined;
    // Keep "in 3 min" true without ticking every second.
    clearTimeout(this.timer);
    const next = state.kind === "connected" ? state.status.nextFire : null;
    if (next) this.timer = setTimeout(() => this.render(), nextChangeIn(Date.parse(next.at), now));
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.refreshTimer);
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}
