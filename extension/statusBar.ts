// The status-bar item: the agent's state and the next fire, kept current.
// What it says in each state is decided in statusBarModel.ts; it changes with
// the connection state and each status the agent announces (the agent sends
// one whenever its counts or next fire change), and with the clock.
import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { statusBarRefreshIn, statusBarView } from "./statusBarModel";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("clockwork.status", vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: Ctx) {
    this.item.name = "Clockwork";
    this.subscriptions.push(ctx.onDidChangeState(() => this.render()));
    this.render();
    this.item.show();
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
    // Keep "in 3 min" and "started 2 h ago" true without ticking every second.
    clearTimeout(this.timer);
    const delay = statusBarRefreshIn(state, now);
    if (delay !== null) this.timer = setTimeout(() => this.render(), delay);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}
