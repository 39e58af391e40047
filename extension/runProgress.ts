// A progress notification for a run started from VS Code: it stays while
// the run is going (with Cancel), then tells how it ended with a button to
// open the run. The end is learned from RunChanged notifications, so nothing
// polls.
import * as vscode from "vscode";
import { CancelRun, GetRun, type RunSummary } from "../agent/protocol";
import type { AgentConnection } from "./connection";
import type { Ctx } from "./ctx";
import { formatDuration, runDuration } from "../agent/core/relativeTime";
import { isFinished } from "./runsModel";

/** Resolves with the finished run, or undefined if the connection went away first. */
export function watchRun(ctx: Ctx, agent: AgentConnection, runId: string, label: string): Promise<RunSummary | undefined> {
  return Promise.resolve(vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Running ${label}`, cancellable: true },
    (progress, token) =>
      new Promise<RunSummary | undefined>((resolve) => {
        const subs: vscode.Disposable[] = [];
        let done = false;
        const finish = (run: RunSummary | undefined) => {
          if (done) return;
          done = true;
          subs.forEach((s) => s.dispose());
          resolve(run);
          if (run) announce(run);
        };
        subs.push(
          ctx.onRunChanged((run) => {
            if (run.id !== runId) return;
            if (isFinished(run.status)) finish(run);
            else progress.report({ message: run.status });
          }),
          ctx.onStepChanged((e) => {
            if (e.runId === runId && e.step.status === "running") progress.report({ message: `step ${e.step.name}` });
          }),
          ctx.onDidChangeState((s) => {
            if (s.kind !== "connected") finish(undefined);
          }),
          token.onCancellationRequested(() => {
            void agent.request(CancelRun, { id: runId }).catch((error: Error) => {
              void vscode.window.showErrorMessage(`Clockwork: could not cancel the run: ${error.message}`);
            });
          }),
        );
        // The run may have finished before the subscription above existed.
        void agent.request(GetRun, { id: runId }).then(
          (run) => isFinished(run.status) && finish(run),
          () => undefined,
        );
      }),
  ));
}

function announce(run: RunSummary): void {
  const duration = runDuration(run, Date.now());
  const took = duration === null ? "" : ` in ${formatDuration(duration)}`;
  const show = "Show Run";
  const open = (choice: string | undefined) => {
    if (choice === show) void vscode.commands.executeCommand("clockwork.openRun", run.id);
  };
  if (run.status === "success") {
    void vscode.window.showInformationMessage(`${run.workflowName} succeeded${took}.`, show).then(open);
  } else if (run.status === "failed") {
    void vscode.window.showErrorMessage(`${run.workflowName} failed${took}: ${run.error ?? "see the run"}`, show).then(open);
  } else {
    void vscode.window.showWarningMessage(`${run.workflowName} ${run.status}.`, show).then(open);
  }
}
