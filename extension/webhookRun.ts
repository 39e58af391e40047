// Run Now… on a webhook: its workflow reads {trigger.body} (and perhaps
// headers), which a plain manual run does not have. So the user picks what to
// send: the payload of one of its recent deliveries (with the headers its
// allow-list kept), a JSON file, or an empty body.
import * as vscode from "vscode";
import { GetRun, WebhookDeliveries, type TriggerRecord, type WebhookDelivery } from "../agent/protocol";
import { relativeTime, shortTime } from "../agent/core/relativeTime";
import type { AgentConnection } from "./connection";

export interface Payload {
  body: unknown;
  headers?: Record<string, string>;
}

type PayloadItem = vscode.QuickPickItem & { choose: () => Promise<Payload | undefined> };

/** Asks which payload to run `trigger` with; undefined when the user escapes. */
export async function pickPayload(agent: AgentConnection, trigger: TriggerRecord): Promise<Payload | undefined> {
  const deliveries = await agent.request(WebhookDeliveries, { name: trigger.name, limit: 10 });
  const now = Date.now();
  const items: PayloadItem[] = [
    ...(deliveries.length > 0 ? [{ label: "Recent deliveries", kind: vscode.QuickPickItemKind.Separator, choose: async () => undefined }] : []),
    ...deliveries.map((d) => deliveryItem(agent, d, now)),
    { label: "Other", kind: vscode.QuickPickItemKind.Separator, choose: async () => undefined },
    { label: "$(json) JSON File…", detail: "Send the contents of a .json file as the body", choose: () => jsonFile() },
    { label: "$(circle-slash) Empty Body", detail: "{trigger.body} is empty text", choose: async () => ({ body: "" }) },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: `Run ${trigger.name} Now`,
    placeHolder: deliveries.length > 0 ? "Send which payload?" : "No deliveries yet: send a JSON file or an empty body",
    matchOnDetail: true,
  });
  return pick?.choose();
}

function deliveryItem(agent: AgentConnection, d: WebhookDelivery, now: number): PayloadItem {
  const at = Date.parse(d.receivedAt);
  const headers = Object.entries(d.headers).map(([k, v]) => `${k}: ${v}`);
  return {
    label: `$(history) ${shortTime(at, now)} (${relativeTime(at, now)})`,
    description: [formatBytes(d.bytes), ...headers].join(" · "),
    detail: d.preview || "(empty body)",
    choose: async () => {
      // The list carries previews only; the chosen delivery's whole body comes now.
      const run = await agent.request(GetRun, { id: d.runId });
      return { body: run.trigger.body ?? "", headers: run.trigger.headers ?? {} };
    },
  };
}

async function jsonFile(): Promise<Payload | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: "Send which JSON file as the body?",
    canSelectMany: false,
    filters: { JSON: ["json"], "All files": ["*"] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: "Send",
  });
  const uri = picked?.[0];
  if (!uri) return undefined;
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  try {
    return { body: JSON.parse(text) };
  } catch (error) {
    throw new Error(`${vscode.workspace.asRelativePath(uri)} is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}
