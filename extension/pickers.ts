// Turning a command's argument into what it acts on. Commands are invoked
// from the palette (no argument: ask), from a tree item (the node), from a
// CodeLens sent by the agent (a file path or run id as a string) and from
// editor/explorer menus (a Uri).
import { basename } from "node:path";
import * as vscode from "vscode";
import { ListTriggers, type TriggerRecord, type TriggerType } from "../agent/protocol";
import type { AgentConnection } from "./connection";
import { WORKFLOW_PATTERN } from "./connection";
import { TriggerNode } from "./triggersTree";
import type { Wizard } from "./wizard";

/**
 * The workflow file a command should use, asking when the argument names
 * none (as a step of `wizard` when the command asks more afterwards).
 */
export async function workflowFileArg(arg: unknown, title: string, wizard?: Wizard): Promise<string | undefined> {
  const given = toPath(arg);
  if (given) return given;
  const active = vscode.window.activeTextEditor?.document.uri;
  const files = await vscode.workspace.findFiles(WORKFLOW_PATTERN, "**/node_modules/**", 500);
  if (files.length === 0) {
    void vscode.window.showInformationMessage(
      "No workflow files (*.workflow.ts, *.workflow.js, *.workflow.mjs) in this workspace.",
    );
    return undefined;
  }
  const items = files
    .map((uri) => ({
      label: basename(uri.fsPath),
      description: vscode.workspace.asRelativePath(uri, true),
      uri,
      picked: active?.toString() === uri.toString(),
    }))
    .sort((a, b) => Number(b.picked) - Number(a.picked) || a.description.localeCompare(b.description));
  const placeHolder = "Pick a workflow file";
  const pick = wizard
    ? (await wizard.pick(items, { placeholder: placeHolder, matchOnDescription: true }))?.[0]
    : await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true });
  return pick?.uri.fsPath;
}

export function toPath(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (arg instanceof TriggerNode) return arg.trigger.workflowFile;
  if (typeof arg === "string" && arg.length > 0) return arg.startsWith("file:") ? vscode.Uri.parse(arg).fsPath : arg;
  if (arg && typeof arg === "object" && "fsPath" in arg && typeof (arg as { fsPath: unknown }).fsPath === "string") {
    return (arg as { fsPath: string }).fsPath;
  }
  return undefined;
}

/** The trigger a command should act on, asking when the argument names none. */
export async function triggerArg(
  agent: AgentConnection,
  arg: unknown,
  title: string,
  accept: (t: TriggerRecord) => boolean = () => true,
  type?: TriggerType,
): Promise<TriggerRecord | undefined> {
  if (arg instanceof TriggerNode) return arg.trigger;
  const triggers = (await agent.request(ListTriggers, type ? { type } : {})).filter(accept);
  if (typeof arg === "string") {
    const found = triggers.find((t) => t.name === arg);
    if (found) return found;
  }
  if (triggers.length === 0) {
    void vscode.window.showInformationMessage(`No ${type ?? "trigger"}s to choose from.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    triggers.map((t) => ({
      label: t.name,
      description: `${t.type}${t.paused ? " · paused" : ""}`,
      detail: vscode.workspace.asRelativePath(t.workflowFile, true),
      trigger: t,
    })),
    { title, placeHolder: "Pick a trigger", matchOnDescription: true, matchOnDetail: true },
  );
  return pick?.trigger;
}
