// Types for `import … from "clockwork"` in the editor. Clockwork provides the
// module itself when it loads a workflow, so nothing is installed and
// TypeScript does not know it until the folder has the declarations
// (`clockwork init` writes clockwork.d.ts and a tsconfig.json). Rather than
// prompting, the extension offers this as the quick fix on TypeScript's own
// "Cannot find module 'clockwork'" error.
import { execFile } from "node:child_process";
import { dirname } from "node:path";
import * as vscode from "vscode";
import type { Ctx } from "./ctx";

const CANNOT_FIND_MODULE = 2307;

export class ClockworkTypesQuickFix implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const diagnostic = context.diagnostics.find(
      (d) => codeOf(d) === CANNOT_FIND_MODULE && /['"]clockwork['"]/.test(d.message),
    );
    if (!diagnostic) return [];
    const folder = dirname(document.uri.fsPath);
    const action = new vscode.CodeAction('Add editor types for "clockwork" to this folder', vscode.CodeActionKind.QuickFix);
    action.diagnostics = [diagnostic];
    action.isPreferred = true;
    action.command = { command: "clockwork.initTypes", title: action.title, arguments: [folder] };
    return [action];
  }
}

function codeOf(d: vscode.Diagnostic): number | string | undefined {
  return typeof d.code === "object" ? d.code.value : d.code;
}

/** Runs the packaged `clockwork init --no-example <folder>` with the configured Node. */
export async function initTypes(ctx: Ctx, arg?: unknown): Promise<void> {
  let folder = typeof arg === "string" ? arg : arg instanceof vscode.Uri ? arg.fsPath : undefined;
  if (!folder) {
    const active = vscode.window.activeTextEditor?.document.uri;
    const picked =
      active?.scheme === "file"
        ? dirname(active.fsPath)
        : (await vscode.window.showWorkspaceFolderPick({ placeHolder: "Add Clockwork's editor types to which folder?" }))?.uri.fsPath;
    if (!picked) return;
    folder = picked;
  }
  const script = ctx.extension.asAbsolutePath("dist/clockwork.js");
  const output = await new Promise<string>((resolve, reject) =>
    execFile(ctx.config.nodePath, [script, "init", "--no-example", folder!], { env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) =>
      error ? reject(new Error(stderr.trim() || error.message)) : resolve(stdout),
    ),
  );
  ctx.log.info(`clockwork init ${folder}:\n${output.trim()}`);
  // Files already open stay in TypeScript's inferred project until its
  // server looks again; restarting it is what the TypeScript extension
  // itself offers after configuration changes.
  await vscode.commands.executeCommand("typescript.restartTsServer").then(undefined, () => undefined);
  const kept = /kept\s+\S*tsconfig\.json: (.*)/.exec(output)?.[1];
  void vscode.window.showInformationMessage(
    kept
      ? `Wrote clockwork.d.ts in ${vscode.workspace.asRelativePath(folder)}. Your tsconfig.json is kept: ${kept}.`
      : `Added clockwork.d.ts and tsconfig.json to ${vscode.workspace.asRelativePath(folder)}: workflow files now get types and completion.`,
  );
}
