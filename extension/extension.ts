// Entry point. Activation must not wait for the agent: it builds the Ctx,
// the views and the commands, then lets the supervisor find (or start) the
// agent in the background while the status bar tells how that goes.
import { loadStartedAt } from "./loadTimer";
import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { WORKFLOW_PATTERN } from "./connection";
import { Ctx } from "./ctx";
import { BackgroundRunAlerts } from "./notifications";
import { trackReplayBodies } from "./replay";
import { RunsTree } from "./runsTree";
import { StatusBar } from "./statusBar";
import { TriggerLabelColors, TriggersTree, type TriggersTreeNode } from "./triggersTree";
import { ClockworkTypesQuickFix } from "./typesSetup";

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  ctx = new Ctx(context);
  const triggers = new TriggersTree(ctx);
  const runs = new RunsTree(ctx);
  const triggersView = vscode.window.createTreeView<TriggersTreeNode>("clockwork.triggers", {
    treeDataProvider: triggers,
    showCollapseAll: true,
  });
  const runsView = vscode.window.createTreeView("clockwork.runs", { treeDataProvider: runs });
  runs.view = runsView;
  ctx.push(
    triggers,
    runs,
    triggersView,
    runsView,
    new StatusBar(ctx),
    new BackgroundRunAlerts(ctx),
    vscode.window.registerFileDecorationProvider(new TriggerLabelColors()),
    trackReplayBodies(),
  );
  registerCommands(ctx, { triggers, triggersView: triggersView as vscode.TreeView<unknown>, runs });
  ctx.push(
    vscode.languages.registerCodeActionsProvider(
      [{ scheme: "file", pattern: WORKFLOW_PATTERN }],
      new ClockworkTypesQuickFix(),
      { providedCodeActionKinds: ClockworkTypesQuickFix.kinds },
    ),
  );
  ctx.start();
  ctx.log.info(
    `loaded in ${(started - loadStartedAt).toFixed(1)} ms, activated in ${(performance.now() - started).toFixed(1)} ms; ` +
      "the agent connection continues in the background",
  );
}

export function deactivate(): Promise<void> | undefined {
  const done = ctx?.dispose();
  ctx = undefined;
  return done;
}
