// Every command the extension contributes. Each is a factory registered
// through the Ctx: `enabled` gets a live connection as its argument, so no
// command can talk to a dead one; the few that make sense without an agent
// (start it, show logs) have a `disabled` half too.
import { basename } from "node:path";
import * as vscode from "vscode";
import {
  CancelRun,
  FireTrigger,
  ListRuns,
  SetTriggerPaused,
  StartRun,
  UnregisterTrigger,
} from "../agent/protocol";
import { TRIGGER_KINDS } from "../agent/core/triggerKinds";
import type { AgentConnection } from "./connection";
import type { CommandFactory, Ctx } from "./ctx";
import { triggerArg, workflowFileArg } from "./pickers";
import { registerRunTriggerWizard, registerWatcherWizard, registerWebhookWizard } from "./registration";
import { watchRun } from "./runProgress";
import { initTypes } from "./typesSetup";
import { RunNode, type RunsTree } from "./runsTree";
import { workflowNames } from "./runsModel";
import type { TriggersTree } from "./triggersTree";
import { pickPayload } from "./webhookRun";
import { backfillSchedule } from "./backfill";
import { editReplayBody, sendEditedReplay, startReplay } from "./replay";
import { CronEditorPanel } from "./webviews/cronEditor/panel";
import { RunPanel } from "./webviews/runPanel/panel";

export interface Views {
  triggers: TriggersTree;
  triggersView: vscode.TreeView<unknown>;
  runs: RunsTree;
}

export function registerCommands(ctx: Ctx, views: Views): void {
  const commands: Record<string, CommandFactory> = {
    ...runCommands(),
    ...triggerCommands(),
    ...viewCommands(views),
    ...agentCommands(),
  };
  for (const [name, factory] of Object.entries(commands)) ctx.registerCommand(name, factory);
}

/** Registering, running, pausing and removing triggers, and what a trigger points at. */
function triggerCommands(): Record<string, CommandFactory> {
  return {
    runTrigger: { enabled: runTrigger() },
    runWebhook: { enabled: runTrigger("webhook") },
    registerSchedule: {
      enabled: (ctx) => async (arg?: unknown) => {
        const file = await workflowFileArg(arg, "Register Schedule");
        if (file) CronEditorPanel.register(ctx, file);
      },
    },
    editSchedule: {
      enabled: (ctx, agent) => async (arg?: unknown) => {
        const t = await triggerArg(agent, arg, "Edit Schedule", undefined, "schedule");
        if (t) CronEditorPanel.edit(ctx, t);
      },
    },
    registerWebhook: { enabled: registerWebhookWizard },
    registerWatcher: { enabled: registerWatcherWizard },
    registerRunTrigger: { enabled: registerRunTriggerWizard },
    pauseTrigger: { enabled: setPaused(true) },
    resumeTrigger: { enabled: setPaused(false) },
    unregisterTrigger: { enabled: unregister },
    copyWebhookUrl: {
      enabled: (_ctx, agent) => async (arg?: unknown) => {
        const t = await triggerArg(agent, arg, "Copy Webhook URL", undefined, "webhook");
        if (!t) return;
        const url = t.webhook?.url;
        if (!url) throw new Error("the agent's HTTP server is not running, so the webhook has no URL right now");
        await vscode.env.clipboard.writeText(url);
        // A quiet confirmation: the clipboard shows nothing by itself.
        vscode.window.setStatusBarMessage(`$(copy) Copied ${url}`, 4000);
      },
    },
    backfill: {
      enabled: (_ctx, agent) => async (arg?: unknown) => {
        const t = await triggerArg(agent, arg, "Backfill", undefined, "schedule");
        if (t) await backfillSchedule(agent, t);
      },
    },
    openWorkflowFile: {
      enabled: (_ctx, agent) => async (arg?: unknown) => {
        const t = await triggerArg(agent, arg, "Open Workflow File");
        if (t) await vscode.window.showTextDocument(vscode.Uri.file(t.workflowFile));
      },
    },
  };
}

/** Starting, opening and cancelling runs. */
function runCommands(): Record<string, CommandFactory> {
  return {
    runWorkflow: { enabled: runWorkflow },
    openRun: {
      enabled: (ctx, agent) => async (arg?: unknown) => {
        const id = arg instanceof RunNode ? arg.run.id : typeof arg === "string" ? arg : await askRunId();
        if (id) await RunPanel.show(ctx, agent, id);
      },
    },
    cancelRun: {
      enabled: (_ctx, agent) => async (arg?: unknown) => {
        const id = arg instanceof RunNode ? arg.run.id : typeof arg === "string" ? arg : await askRunId();
        if (id) await agent.request(CancelRun, { id });
      },
    },
    rerun: {
      enabled: (ctx, agent) => async (arg?: unknown) => {
        if (!(arg instanceof RunNode)) return;
        await startFile(ctx, agent, arg.run.workflowFile);
      },
    },
    ...replayCommands(),
  };
}

/** Replaying a run as its trigger started it, or with an edited body. */
function replayCommands(): Record<string, CommandFactory> {
  return {
    replayRun: {
      enabled: (ctx, agent) => async (arg?: unknown) => {
        const id = arg instanceof RunNode ? arg.run.id : typeof arg === "string" ? arg : await askRunId("Replay Run");
        if (id) await startReplay(ctx, agent, id);
      },
    },
    replayWithEditedBody: {
      enabled: (_ctx, agent) => async (arg?: unknown) => {
        const id = arg instanceof RunNode ? arg.run.id : typeof arg === "string" ? arg : await askRunId("Replay with Edited Body");
        if (id) await editReplayBody(agent, id);
      },
    },
    sendReplay: { enabled: (ctx, agent) => () => sendEditedReplay(ctx, agent) },
  };
}

/** What the Triggers and Runs views show. */
function viewCommands(views: Views): Record<string, CommandFactory> {
  return {
    showRuns: {
      enabled: (_ctx, agent) => async (arg?: unknown) => {
        const t = arg === undefined ? undefined : await triggerArg(agent, arg, "Show Runs");
        await views.runs.setFilter(t ? { trigger: t.name } : {});
        await vscode.commands.executeCommand("clockwork.runs.focus");
      },
    },
    filterRuns: {
      enabled: (_ctx, agent) => async () => {
        const recent = await agent.request(ListRuns, { limit: 500 });
        const names = [...new Set([...workflowNames(recent), ...views.triggers.all.map((t) => t.workflowName)])].sort();
        const pick = await vscode.window.showQuickPick(names, { title: "Show Runs of Workflow", placeHolder: "Pick a workflow" });
        if (pick) await views.runs.setFilter({ workflow: pick });
      },
    },
    clearRunsFilter: { enabled: () => () => views.runs.setFilter({}) },
    refresh: { enabled: () => () => Promise.all([views.triggers.reload(), views.runs.reload()]) },
    revealTrigger: {
      enabled: () => async (name?: unknown) => {
        if (typeof name !== "string") return;
        await views.triggers.reload();
        const node = views.triggers.find(name);
        await vscode.commands.executeCommand("clockwork.triggers.focus");
        if (node) await views.triggersView.reveal(node, { select: true, focus: false });
      },
    },
  };
}

/** The agent itself, the logs and the folder's editor types: these work with no agent too. */
function agentCommands(): Record<string, CommandFactory> {
  return {
    startAgent: {
      enabled: (ctx) => () => ctx.startAgent(),
      disabled: (ctx) => () => ctx.startAgent(),
    },
    stopAgent: {
      enabled: (ctx, agent) => async () => {
        const choice = await vscode.window.showWarningMessage(
          "Stop the Clockwork agent?",
          { modal: true, detail: "Schedules, webhooks, file watchers and run triggers stop until it is started again. Running runs get a grace period to finish." },
          "Stop Agent",
        );
        if (choice === "Stop Agent") await ctx.stopAgent(agent);
      },
      disabled: () => () => vscode.window.showInformationMessage("The Clockwork agent is not running."),
    },
    initTypes: { enabled: (ctx) => (arg?: unknown) => initTypes(ctx, arg), disabled: (ctx) => (arg?: unknown) => initTypes(ctx, arg) },
    showAgentLog: { enabled: (ctx) => () => showAgentLog(ctx), disabled: (ctx) => () => showAgentLog(ctx) },
    showLog: { enabled: (ctx) => () => ctx.log.show(), disabled: (ctx) => () => ctx.log.show() },
    focus: {
      enabled: () => () => vscode.commands.executeCommand("clockwork.triggers.focus"),
      disabled: () => () => vscode.commands.executeCommand("clockwork.triggers.focus"),
    },
  };
}

function runWorkflow(ctx: Ctx, agent: AgentConnection) {
  return async (arg?: unknown) => {
    const file = await workflowFileArg(arg, "Run Workflow");
    if (file) await startFile(ctx, agent, file);
  };
}

/** Starts a manual run of a file, opens its panel and shows progress until it ends. */
async function startFile(ctx: Ctx, agent: AgentConnection, file: string): Promise<void> {
  let runId: string;
  try {
    ({ runId } = await agent.request(StartRun, { file }));
  } catch (error) {
    // Most often the file does not load: say why, and point at the diagnostic.
    const message = error instanceof Error ? error.message : String(error);
    const choice = await vscode.window.showErrorMessage(`Cannot run ${basename(file)}: ${message}`, "Open File");
    if (choice === "Open File") await vscode.window.showTextDocument(vscode.Uri.file(file));
    return;
  }
  // The panel first: the progress then knows the user is looking at the run.
  await RunPanel.show(ctx, agent, runId);
  void watchRun(ctx, agent, runId, basename(file).replace(/\.workflow\.(ts|js|mjs)$/, ""));
}

/**
 * Run Now on a trigger: a webhook's workflow expects a payload, so for a
 * webhook the user first picks one (a recent delivery's, a file, or none).
 */
function runTrigger(type?: "webhook") {
  return (ctx: Ctx, agent: AgentConnection) => async (arg?: unknown) => {
    const t = await triggerArg(agent, arg, type ? "Run Webhook Now" : "Run Now", undefined, type);
    if (!t) return;
    const payload = t.type === "webhook" ? await pickPayload(agent, t) : {};
    if (!payload) return;
    const { runId } = await agent.request(FireTrigger, { name: t.name, ...payload });
    await RunPanel.show(ctx, agent, runId);
    void watchRun(ctx, agent, runId, t.name);
  };
}

function setPaused(paused: boolean) {
  return (_ctx: Ctx, agent: AgentConnection) => async (arg?: unknown) => {
    const t = await triggerArg(agent, arg, paused ? "Pause Trigger" : "Resume Trigger", (t) => t.paused !== paused);
    if (t) await agent.request(SetTriggerPaused, { name: t.name, paused });
  };
}

function unregister(_ctx: Ctx, agent: AgentConnection) {
  return async (arg?: unknown) => {
    const t = await triggerArg(agent, arg, "Unregister Trigger");
    if (!t) return;
    const detail =
      t.type === "webhook"
        ? "Senders will get 404 from its URL. Registering it again makes a new secret."
        : "Its runs stay in the history.";
    const choice = await vscode.window.showWarningMessage(
      `Unregister the ${TRIGGER_KINDS[t.type].words[0]} "${t.name}"?`,
      { modal: true, detail },
      "Unregister",
    );
    if (choice === "Unregister") await agent.request(UnregisterTrigger, { name: t.name });
  };
}

async function askRunId(title = "Open Run"): Promise<string | undefined> {
  const id = await vscode.window.showInputBox({ title, prompt: "Run id (a unique prefix is enough)" });
  return id?.trim() || undefined;
}

async function showAgentLog(ctx: Ctx): Promise<void> {
  const file = ctx.config.logFile;
  try {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const editor = await vscode.window.showTextDocument(doc, { preview: true });
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    editor.revealRange(new vscode.Range(end, end));
  } catch {
    void vscode.window.showInformationMessage(`The agent has not written a log yet (${file}).`);
  }
}
