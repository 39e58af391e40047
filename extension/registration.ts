// Register Webhook…, Register File Watcher… and Register Run Trigger…: short wizards in VS Code's
// quick input, each question showing its step. The agent checks what was
// entered when it registers; a refusal re-opens the step it concerns with the
// agent's message under it and the answer kept.
import * as vscode from "vscode";
import {
  ListRuns,
  ListTriggers,
  RegisterRunTrigger,
  RegisterWatcher,
  RegisterWebhook,
  RUN_OUTCOMES,
  type FileEvent,
  type FinishedStatus,
} from "../agent/protocol";
import type { AgentConnection } from "./connection";
import type { Ctx } from "./ctx";
import { toPath, workflowFileArg } from "./pickers";
import { Wizard } from "./wizard";

export function registerWebhookWizard(_ctx: Ctx, agent: AgentConnection) {
  return async (arg?: unknown) => {
    const { wizard, file } = await startWizard(arg, "Register Webhook", 2);
    if (!file) return;
    const nameStep = wizard.step;
    let name = "";
    let headers = "";
    let error: { step: "name" | "headers"; message: string } | undefined;
    for (;;) {
      if (error?.step !== "headers") {
        wizard.goTo(nameStep);
        const asked = await wizard.input({
          prompt: "A name for the webhook; it becomes part of the URL (/webhook/<name>). Leave empty for the workflow's name.",
          placeholder: "e.g. github-push",
          value: name,
          ...(error ? { error: error.message } : {}),
        });
        if (asked === undefined) return;
        name = asked;
      }
      wizard.goTo(nameStep + 1);
      const asked = await wizard.input({
        prompt:
          "Request headers a run may read as {trigger.headers.<name>}, separated by commas. Common ones (content-type, x-github-event…) are always passed; credentials never are.",
        placeholder: "e.g. x-request-id, x-hook-source (optional)",
        value: headers,
        ...(error?.step === "headers" ? { error: error.message } : {}),
      });
      if (asked === undefined) return;
      headers = asked;
      try {
        const result = await agent.request(RegisterWebhook, { file, name: name.trim() || undefined, headers: headerList(headers) });
        return showSecret(result);
      } catch (e) {
        // Back to the question the refusal is about, with the agent's words.
        const message = e instanceof Error ? e.message : String(e);
        error = { step: /header/i.test(message) ? "headers" : "name", message };
      }
    }
  };
}

/**
 * A wizard of `questions` steps after the workflow file, which is one more
 * step when the command was not invoked on a file.
 */
async function startWizard(arg: unknown, title: string, questions: number): Promise<{ wizard: Wizard; file?: string }> {
  const known = toPath(arg) !== undefined;
  const wizard = new Wizard(title, known ? questions : questions + 1);
  const file = await workflowFileArg(arg, title, wizard);
  if (!known) wizard.next();
  return { wizard, ...(file ? { file } : {}) };
}

function headerList(text: string): string[] | undefined {
  const names = text.split(/[\s,]+/).filter(Boolean);
  return names.length > 0 ? names : undefined;
}

/** The URL and the one-time secret, in a dialog whose only way out is Close (nothing to undo). */
async function showSecret(result: { trigger: { name: string }; url: string | null; secret?: string }): Promise<void> {
  const url = result.url ?? "(no URL: the agent's HTTP server is not running)";
  const lines = [`URL: ${url}`];
  if (result.secret) {
    lines.push(
      "",
      `Secret: ${result.secret}`,
      "",
      "This is the only time the secret is shown. Senders sign each body with it: X-Clockwork-Signature: sha256=<HMAC-SHA256 of the body>, or use it as a GitHub webhook secret.",
    );
  }
  const copySecret: vscode.MessageItem = { title: "Copy Secret" };
  const copyUrl: vscode.MessageItem = { title: "Copy URL" };
  const close: vscode.MessageItem = { title: "Close", isCloseAffordance: true };
  const buttons = [...(result.secret ? [copySecret] : []), ...(result.url ? [copyUrl] : []), close];
  const choice = await vscode.window.showInformationMessage(
    `Webhook "${result.trigger.name}" registered`,
    { modal: true, detail: lines.join("\n") },
    ...buttons,
  );
  void vscode.commands.executeCommand("clockwork.revealTrigger", result.trigger.name);
  if (choice === copySecret && result.secret) {
    await vscode.env.clipboard.writeText(result.secret);
    const next = result.url ? await vscode.window.showInformationMessage("Secret copied to the clipboard.", copyUrl.title) : undefined;
    if (next === copyUrl.title && result.url) await vscode.env.clipboard.writeText(result.url);
  } else if (choice === copyUrl && result.url) {
    await vscode.env.clipboard.writeText(result.url);
    vscode.window.setStatusBarMessage(`$(copy) Copied ${result.url}`, 4000);
  }
}

export function registerWatcherWizard(_ctx: Ctx, agent: AgentConnection) {
  return async (arg?: unknown) => {
    const { wizard, file } = await startWizard(arg, "Register File Watcher", 4);
    if (!file) return;
    const picked = await vscode.window.showOpenDialog({
      title: `${wizard.titleWithStep}: watch which file or folder?`,
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      openLabel: "Watch",
    });
    const path = picked?.[0]?.fsPath;
    if (!path) return;
    wizard.next();
    const eventItems: Array<vscode.QuickPickItem & { value: FileEvent }> = [
      { label: "created", value: "created", picked: true },
      { label: "modified", value: "modified", picked: true },
      { label: "deleted", value: "deleted", picked: false },
    ];
    const events = await wizard.pick(eventItems, { placeholder: "Which changes start a run?", canPickMany: true });
    if (!events || events.length === 0) return;
    wizard.next();
    const glob = await wizard.input({
      prompt: "Only files matching this glob (relative to the watched folder). Leave empty for every file.",
      placeholder: "e.g. **/*.md",
    });
    if (glob === undefined) return;
    wizard.next();
    const name = await wizard.input({ prompt: "A name for the watcher. Leave empty for the workflow's name." });
    if (name === undefined) return;
    const t = await agent.request(RegisterWatcher, {
      file,
      path,
      events: events.map((e) => e.value),
      recursive: true,
      glob: glob.trim() || undefined,
      name: name.trim() || undefined,
    });
    void vscode.commands.executeCommand("clockwork.revealTrigger", t.name);
  };
}

/**
 * A run trigger: which workflows' runs (names the agent has seen, or typed),
 * which outcomes, and a name. The agent's warnings (a name never seen, a
 * cycle) are shown after it registered.
 */
export function registerRunTriggerWizard(_ctx: Ctx, agent: AgentConnection) {
  return async (arg?: unknown) => {
    const { wizard, file } = await startWizard(arg, "Register Run Trigger", 3);
    if (!file) return;
    const workflows = await pickWorkflows(agent, wizard);
    if (!workflows) return;
    wizard.next();
    const statusItems = RUN_OUTCOMES.map((status) => ({ label: status, value: status, picked: status === "failed" }));
    const statuses = await wizard.pick(statusItems, { placeholder: "Which outcomes of those runs start this workflow?", canPickMany: true });
    if (!statuses || statuses.length === 0) return;
    wizard.next();
    let error: string | undefined;
    let name = "";
    for (;;) {
      const asked = await wizard.input({
        prompt: "A name for the run trigger. Leave empty for the workflow's name.",
        value: name,
        ...(error ? { error } : {}),
      });
      if (asked === undefined) return;
      name = asked;
      try {
        const statusList: FinishedStatus[] = statuses.map((s) => s.value);
        const result = await agent.request(RegisterRunTrigger, { file, workflows, statuses: statusList, name: name.trim() || undefined });
        for (const warning of result.warnings) void vscode.window.showWarningMessage(`Run trigger "${result.trigger.name}": ${warning}`);
        void vscode.commands.executeCommand("clockwork.revealTrigger", result.trigger.name);
        return;
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
    }
  };
}

/** The workflows whose runs it reacts to: picked from those the agent knows, or typed (a workflow that has not run yet). */
async function pickWorkflows(agent: AgentConnection, wizard: Wizard): Promise<string[] | undefined> {
  const [runs, triggers] = await Promise.all([agent.request(ListRuns, { limit: 500 }), agent.request(ListTriggers, {})]);
  const known = [...new Set([...runs.map((r) => r.workflowName), ...triggers.map((t) => t.workflowName)])].sort((a, b) => a.localeCompare(b));
  const other = { label: "$(edit) Other names…", value: "", description: "type workflow names that have not run yet" };
  const items = [...known.map((w) => ({ label: w, value: w })), other];
  const picked = await wizard.pick(items, { placeholder: "Run this workflow when a run of which workflows ends?", canPickMany: true });
  if (!picked || picked.length === 0) return undefined;
  const names = picked.filter((p) => p !== other).map((p) => p.value);
  if (!picked.includes(other)) return names;
  const typed = await wizard.input({ prompt: "Workflow names, separated by commas", placeholder: "e.g. nightly-backup, deploy" });
  if (typed === undefined) return undefined;
  const all = [...names, ...typed.split(",").map((w) => w.trim()).filter(Boolean)];
  return all.length > 0 ? all : undefined;
}
