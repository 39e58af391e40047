// Progress for a run started from VS Code: a spinner in the status bar while
// it goes (the run panel has the details and the Cancel button), then a
// notification only if the user is not looking at its panel. The end is
// learned from RunChanged notifications, so nothing polls.
import * as vscode from "vscode";
import { GetRun, type RunSummary } from "../agent/protocol";
import type { AgentConnection } from "./connection";
import type { Ctx } from "./ctx";
import { showNotice } from "./notifications";
import { manualRunNotice } from "./runNotices";
import { isFinishedStatus } from "./runsModel";
import { RunPanel } from "./webviews/runPanel/panel";

/** Resolves with the finished run, or undefined if the connection went away first. */
export function watchRun(ctx: Ctx, agent: AgentConnection, runId: string, label: string): Promise<RunSummary | undefined> {
  return Promise.resolve(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Running ${label}` },
      (progress) =>
        new Promise<RunSummary | undefined>((resolve) => {
          const subs: vscode.Disposable[] = [];
          let done = false;
          const finish = (run: RunSummary | undefined) => {
            if (done) return;
            done = true;
            subs.forEach((s) => s.dispose());
            resolve(run);
            if (!run) return;
            const notice = manualRunNotice(run, RunPanel.isVisible(run.id), Date.now());
            if (notice) showNotice(notice);
          };
          subs.push(
            ctx.onRunChanged((run) => {
              if (run.id !== runId) return;
              if (isFinishedStatus(run.status)) finish(run);
              else progress.report({ message: run.status });
            }),
            ctx.onStepChanged((e) => {
              if (e.runId === runId && e.step.status === "running") progress.report({ message: `step ${e.step.name}` });
            }),
            ctx.onDidChangeState((s) => {
              if (s.kind !== "connected") finish(undefined);
            }),
          );
          // The run may have finished before the subscription above existed.
          void agent.request(GetRun, { id: runId }).then(
            (run) => isFinishedStatus(run.status) && finish(run),
            () => undefined,
          );
        }),
    ),
  );
}
