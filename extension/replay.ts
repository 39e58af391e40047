// Replay in VS Code: "Replay" on a run (the Runs tree, the run panel) asks
// the agent for clockwork/runs/replay and opens the new run's panel.
// "Replay with Edited Body…" opens the run's body as JSON in an untitled
// editor; "Replay with This Body" (the editor's title bar, or the palette)
// sends what is in it. The agent decides everything else.
import * as vscode from "vscode";
import { GetRun, ReplayRun } from "../agent/protocol";
import type { AgentConnection } from "./connection";
import type { Ctx } from "./ctx";
import { parseReplayBody, replayBodyText } from "./replayModel";
import { watchRun } from "./runProgress";
import { RunPanel } from "./webviews/runPanel/panel";

/** Editors holding a body to replay with: document URI → the run it replays. */
const bodies = new Map<string, string>();
const CONTEXT_KEY = "clockwork.replayBodyActive";

/** Replays a run (with `body` in place of its own when given), shows the new run and follows it. */
export async function startReplay(ctx: Ctx, agent: AgentConnection, runId: string, body?: unknown): Promise<string> {
  const replay = await agent.request(ReplayRun, body === undefined ? { id: runId } : { id: runId, body });
  await RunPanel.show(ctx, agent, replay.id);
  void watchRun(ctx, agent, replay.id, replay.workflowName);
  return replay.id;
}

/** Opens the run's body as JSON in a new editor, to be edited and sent with "Replay with This Body". */
export async function editReplayBody(agent: AgentConnection, runId: string): Promise<void> {
  const run = await agent.request(GetRun, { id: runId });
  const doc = await vscode.workspace.openTextDocument({ language: "json", content: replayBodyText(run) });
  bodies.set(doc.uri.toString(), run.id);
  await vscode.window.showTextDocument(doc, { preview: false });
  void vscode.window.showInformationMessage(
    `Edit the body for the replay of ${run.workflowName} (run ${run.id}), then choose Replay with This Body in the editor's title bar.`,
  );
}

/** Sends the active editor's JSON as the body of its replay, then closes the editor. */
export async function sendEditedReplay(ctx: Ctx, agent: AgentConnection): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const runId = editor && bodies.get(editor.document.uri.toString());
  if (!editor || !runId) {
    void vscode.window.showWarningMessage("This editor holds no replay body: use Replay with Edited Body… on a run first.");
    return;
  }
  const parsed = parseReplayBody(editor.document.getText());
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`Cannot replay run ${runId}: ${parsed.error}`);
    return;
  }
  const replayId = await startReplay(ctx, agent, runId, parsed.body);
  bodies.delete(editor.document.uri.toString());
  // The body is sent and recorded with the run; the untitled editor closes without asking to save it.
  await vscode.window.showTextDocument(editor.document);
  await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
  await RunPanel.show(ctx, agent, replayId);
}

/** Keeps the context key that shows "Replay with This Body" true while a body editor is active; forgets closed ones. */
export function trackReplayBodies(): vscode.Disposable {
  const update = (editor: vscode.TextEditor | undefined) =>
    void vscode.commands.executeCommand("setContext", CONTEXT_KEY, editor !== undefined && bodies.has(editor.document.uri.toString()));
  return vscode.Disposable.from(
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.workspace.onDidCloseTextDocument((doc) => bodies.delete(doc.uri.toString())),
    { dispose: () => bodies.clear() },
  );
}
