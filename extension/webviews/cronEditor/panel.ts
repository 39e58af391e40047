// The cron editor's host side: opens the webview, answers its requests with
// agent calls (the zones from clockwork/cron/timezones, the preview from
// clockwork/cron/preview: the agent is the one source of truth for what an
// expression and a zone mean), and registers or updates the schedule on
// Save, then reveals it in the Triggers view (which says it all; no toast).
import { basename } from "node:path";
import * as vscode from "vscode";
import {
  CronPreviewRequest,
  RegisterSchedule,
  Timezones,
  UpdateTrigger,
  type TimezoneList,
  type TriggerRecord,
} from "../../../agent/protocol";
import type { Ctx } from "../../ctx";
import { answer, type HostToWebview, type WebviewToHost } from "../rpc";
import { panelIcon, webviewHtml, webviewOptions } from "../html";
import type { CronEditorInit, CronEditorRequest, SaveResult } from "./model";

type ToHost = WebviewToHost<CronEditorRequest>;
type ToWebview = HostToWebview<CronEditorInit, never>;

export class CronEditorPanel implements vscode.Disposable {
  static readonly viewType = "clockwork.cronEditor";
  private static readonly open = new Map<string, CronEditorPanel>();

  /** Opens the editor for a new schedule of `file`. */
  static register(ctx: Ctx, file: string): void {
    CronEditorPanel.show(ctx, `register:${file}`, {
      mode: "register",
      file,
      fileLabel: basename(file),
      name: "",
      cron: "0 9 * * 1-5",
      // Empty: the agent's default zone, filled in when the page is ready.
      timezone: "",
      overlap: "skip",
      catchup: "once",
      timezones: [],
    });
  }

  /** Opens the editor on an existing schedule; Save updates it in place. */
  static edit(ctx: Ctx, trigger: TriggerRecord): void {
    if (!trigger.schedule) throw new Error(`${trigger.name} is a ${trigger.type}, not a schedule`);
    CronEditorPanel.show(ctx, `edit:${trigger.name}`, {
      mode: "edit",
      file: trigger.workflowFile,
      fileLabel: basename(trigger.workflowFile),
      name: trigger.name,
      cron: trigger.schedule.cron,
      timezone: trigger.schedule.timezone,
      overlap: trigger.schedule.overlap,
      catchup: trigger.schedule.catchup,
      timezones: [],
    });
  }

  private static show(ctx: Ctx, key: string, init: CronEditorInit): void {
    const existing = CronEditorPanel.open.get(key);
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const title = init.mode === "edit" ? `Edit Schedule: ${init.name}` : `Register Schedule: ${init.fileLabel}`;
    const panel = vscode.window.createWebviewPanel(
      CronEditorPanel.viewType,
      title,
      vscode.ViewColumn.Active,
      webviewOptions(ctx.extension.extensionUri),
    );
    CronEditorPanel.open.set(key, new CronEditorPanel(ctx, panel, key, init));
  }

  private readonly subscriptions: vscode.Disposable[] = [];

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
    private readonly key: string,
    private readonly init: CronEditorInit,
  ) {
    panel.iconPath = panelIcon(ctx.extension.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, ctx.extension.extensionUri, { name: "cronEditor", title: panel.title });
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((m: ToHost) => void this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private async receive(message: ToHost): Promise<void> {
    if (message.type === "ready") {
      const zones = await this.zones();
      const timezone = this.init.timezone || zones?.defaultZone || machineZone();
      this.post({ type: "init", init: { ...this.init, timezone, timezones: zones?.zones ?? [] } });
      return;
    }
    const reply = await answer<CronEditorRequest, CronEditorInit, never>(message, (request) => this.handle(request));
    if (reply) this.post(reply);
  }

  private async handle(request: CronEditorRequest): Promise<unknown> {
    if (request.method === "cancel") {
      this.panel.dispose();
      return null;
    }
    const agent = this.ctx.agent;
    if (!agent) throw new Error("The Clockwork agent is not connected; the editor will work again once it is.");
    if (request.method === "preview") {
      return agent.request(CronPreviewRequest, { expression: request.expression, timezone: request.timezone, count: 5 });
    }
    const v = request.values;
    const trigger =
      this.init.mode === "edit"
        ? await agent.request(UpdateTrigger, {
            name: this.init.name,
            cron: v.cron.trim(),
            timezone: v.timezone.trim(),
            overlap: v.overlap,
            catchup: v.catchup,
          })
        : await agent.request(RegisterSchedule, {
            file: this.init.file,
            cron: v.cron.trim(),
            timezone: v.timezone.trim(),
            name: v.name.trim() || undefined,
            overlap: v.overlap,
            catchup: v.catchup,
          });
    const result: SaveResult = { name: trigger.name, nextFireAt: trigger.schedule?.nextFireAt ?? null };
    // Close after the reply has been posted; the tree then shows the
    // schedule with its next fire.
    setTimeout(() => this.panel.dispose(), 0);
    void vscode.commands.executeCommand("clockwork.revealTrigger", trigger.name);
    return result;
  }

  /** The agent's zones and default zone; undefined while no agent answers. */
  private async zones(): Promise<TimezoneList | undefined> {
    try {
      return await this.ctx.agent?.request(Timezones, undefined);
    } catch (error) {
      this.ctx.log.warn(`listing time zones failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    CronEditorPanel.open.delete(this.key);
    this.subscriptions.splice(0).forEach((s) => s.dispose());
  }
}

/** Used only when no agent answers; the agent's answer wins once it does. */
function machineZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
