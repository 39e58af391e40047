// Showing the notices runNotices.ts decides on, and the watcher of
// background runs that fail (or are skipped) while VS Code is open.
import * as vscode from "vscode";
import type { RunSummary } from "../agent/protocol";
import type { Ctx } from "./ctx";
import { BackgroundRunFilter, backgroundNotice, type Notice } from "./runNotices";
import { isFinishedStatus } from "./runsModel";
import { RunPanel } from "./webviews/runPanel/panel";

/** Runs that end within this long of the first one share one notification. */
const GROUP_MS = 1500;

export function showNotice(notice: Notice): void {
  const show =
    notice.severity === "error"
      ? vscode.window.showErrorMessage
      : notice.severity === "warning"
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  void show(notice.message, notice.action.title).then((choice) => {
    if (choice === notice.action.title) void vscode.commands.executeCommand(notice.action.command, ...notice.action.args);
  });
}

export class BackgroundRunAlerts implements vscode.Disposable {
  private readonly filter = new BackgroundRunFilter();
  private pending: RunSummary[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(ctx: Ctx) {
    this.subscription = ctx.onRunChanged((run) => {
      if (!isFinishedStatus(run.status) || !this.filter.accept(run, ctx.config.backgroundRuns)) return;
      this.pending.push(run);
      this.timer ??= setTimeout(() => this.flush(), GROUP_MS);
    });
  }

  private flush(): void {
    this.timer = undefined;
    // A run the user is looking at needs no notification.
    const runs = this.pending.splice(0).filter((run) => !RunPanel.isVisible(run.id));
    if (runs.length > 0) showNotice(backgroundNotice(runs));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
  }
}
