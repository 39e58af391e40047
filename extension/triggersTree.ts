// The Triggers view: a thin TreeDataProvider over triggersModel.ts. Every
// node is derived from the agent's events: the list is fetched when the view
// first asks and after every reconnect; a registration change
// (TriggersChanged) re-reads the triggers it names; a fire or a run of a
// trigger (TriggerStateChanged) carries the trigger's new record, which
// replaces the old one as it arrives. Relative times are refreshed exactly
// when their words change, and only for the items that changed.
import * as vscode from "vscode";
import { CronPreviewRequest, ListTriggers, type TriggerRecord } from "../agent/protocol";
import type { Ctx } from "./ctx";
import {
  buildTriggerGroups,
  nextTreeRefreshIn,
  triggerContextKeys,
  triggerItemView,
  triggerTooltip,
  type IconView,
  type TriggerGroupView,
  type TriggerItemView,
} from "./triggersModel";

export class GroupNode {
  constructor(public view: TriggerGroupView) {}
}

export class TriggerNode {
  constructor(public view: TriggerItemView) {}
  get trigger(): TriggerRecord {
    return this.view.trigger;
  }
}

export type TriggersTreeNode = GroupNode | TriggerNode;

export class TriggersTree implements vscode.TreeDataProvider<TriggersTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TriggersTreeNode | TriggersTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  private triggers: TriggerRecord[] | undefined;
  private groups: GroupNode[] = [];
  private readonly nodes = new Map<string, TriggerNode>();
  private loading: Promise<void> | undefined;
  private reloadAgain = false;
  private clockTimer: NodeJS.Timeout | undefined;
  private connected = false;
  private updates: Promise<void> = Promise.resolve();
  private readonly contextKeys = new Map<string, boolean>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.subscriptions = [
      ctx.onTriggersChanged(({ names }) => {
        // One after the other, so two changes to one trigger land in order.
        this.updates = this.updates.then(() => this.applyChanges(names));
      }),
      // Applied as it arrives, not queued behind a listing in flight: the
      // agent sends in order, so whichever of the two arrives later is newer.
      ctx.onTriggerStateChanged((records) => {
        if (this.triggers && !this.loading) this.replace(records.map((t) => t.name), records);
      }),
      ctx.onDidChangeState((state) => {
        const connected = state.kind === "connected";
        if (connected === this.connected) return;
        this.connected = connected;
        // A (re)connect: the list may have changed while we were away. A
        // disconnect: show nothing rather than stale triggers (the welcome
        // view explains why).
        if (connected) void this.reload();
        else this.setTriggers(undefined);
      }),
    ];
  }

  /** Every trigger currently listed (empty until loaded). */
  get all(): readonly TriggerRecord[] {
    return this.triggers ?? [];
  }

  find(name: string): TriggerNode | undefined {
    return this.nodes.get(name);
  }

  /**
   * Re-reads only the triggers a TriggersChanged names and updates their
   * items in place. A big batch, or an agent that cannot list by name, falls
   * back to a full reload.
   */
  private async applyChanges(names: string[]): Promise<void> {
    const agent = this.ctx.agent;
    if (!agent || !this.triggers || this.loading || names.length === 0 || names.length > 100) return this.reload();
    let fresh: TriggerRecord[];
    try {
      fresh = await agent.request(ListTriggers, { names });
    } catch {
      return this.reload();
    }
    if (this.triggers) this.replace(names, fresh);
  }

  /**
   * Puts the current records of the `names` triggers in place (a name
   * without a record was unregistered). Items change in place; a trigger
   * added or removed rebuilds the groups.
   */
  private replace(names: string[], fresh: TriggerRecord[]): void {
    if (!this.triggers) return;
    const byName = new Map(fresh.map((t) => [t.name, t]));
    const inPlace = names.every((n) => {
      const node = this.nodes.get(n);
      const t = byName.get(n);
      return node !== undefined && t !== undefined && t.type === node.view.type;
    });
    const next = this.triggers.filter((t) => !names.includes(t.name) || byName.has(t.name)).map((t) => byName.get(t.name) ?? t);
    for (const t of fresh) if (!this.nodes.has(t.name)) next.push(t);
    if (!inPlace) {
      this.setTriggers(next);
      return;
    }
    this.triggers = next;
    const now = Date.now();
    const changed: TriggerNode[] = [];
    for (const t of fresh) {
      const node = this.nodes.get(t.name)!;
      node.view = triggerItemView(t, now);
      changed.push(node);
    }
    // Group nodes keep their item lists: swap in the new views there too.
    for (const group of this.groups) group.view.items = group.view.items.map((i) => this.nodes.get(i.name)?.view ?? i);
    this.changed.fire(changed);
    this.afterChange();
    this.scheduleClock();
  }

  /** Fetches the list again; concurrent calls share one request and one follow-up. */
  reload(): Promise<void> {
    if (this.loading) {
      this.reloadAgain = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          const agent = this.ctx.agent;
          if (!agent) return;
          try {
            this.setTriggers(await agent.request(ListTriggers, {}));
          } catch (error) {
            this.ctx.log.warn(`listing triggers failed: ${error instanceof Error ? error.message : String(error)}`);
          }
        } while (this.reloadAgain);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private setTriggers(triggers: TriggerRecord[] | undefined): void {
    this.triggers = triggers;
    const now = Date.now();
    const groups = buildTriggerGroups(triggers ?? [], now);
    const seen = new Set<string>();
    this.groups = groups.map((g) => {
      const node = this.groups.find((n) => n.view.type === g.type) ?? new GroupNode(g);
      node.view = g;
      for (const item of g.items) {
        seen.add(item.name);
        const existing = this.nodes.get(item.name);
        if (existing) existing.view = item;
        else this.nodes.set(item.name, new TriggerNode(item));
      }
      return node;
    });
    for (const name of [...this.nodes.keys()]) if (!seen.has(name)) this.nodes.delete(name);
    this.changed.fire(undefined);
    this.afterChange();
    this.scheduleClock();
  }

  /** Context keys that hide commands with nothing to act on from the palette. */
  private afterChange(): void {
    const keys = triggerContextKeys(this.all);
    for (const [key, value] of Object.entries(keys)) {
      if (this.contextKeys.get(key) === value) continue;
      this.contextKeys.set(key, value);
      void vscode.commands.executeCommand("setContext", `clockwork.${key}`, value);
    }
  }

  /** Refreshes descriptions whose relative time now reads differently. */
  private tick(): void {
    const now = Date.now();
    const changed: TriggerNode[] = [];
    for (const node of this.nodes.values()) {
      const view = triggerItemView(node.trigger, now);
      if (view.description !== node.view.description) {
        node.view = view;
        changed.push(node);
      }
    }
    if (changed.length > 0) this.changed.fire(changed);
    this.scheduleClock();
  }

  private scheduleClock(): void {
    clearTimeout(this.clockTimer);
    const delay = nextTreeRefreshIn(this.all, Date.now());
    if (delay !== null) this.clockTimer = setTimeout(() => this.tick(), delay);
  }

  getChildren(element?: TriggersTreeNode): TriggersTreeNode[] {
    if (!element) {
      if (this.triggers === undefined && this.ctx.agent) void this.reload();
      return this.groups;
    }
    if (element instanceof GroupNode) {
      return element.view.items.map((item) => this.nodes.get(item.name)).filter((n): n is TriggerNode => !!n);
    }
    return [];
  }

  getParent(element: TriggersTreeNode): TriggersTreeNode | undefined {
    if (element instanceof TriggerNode) return this.groups.find((g) => g.view.type === element.view.type);
    return undefined;
  }

  getTreeItem(element: TriggersTreeNode): vscode.TreeItem {
    if (element instanceof GroupNode) {
      const item = new vscode.TreeItem(element.view.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = element.view.id;
      item.description = String(element.view.items.length);
      item.contextValue = `group.${element.view.type}`;
      return item;
    }
    const view = element.view;
    const item = new vscode.TreeItem(view.label, vscode.TreeItemCollapsibleState.None);
    item.id = view.id;
    item.description = view.description;
    item.iconPath = themeIcon(view.icon);
    item.contextValue = view.contextValue;
    item.resourceUri = TriggerLabelColors.uriFor(view);
    item.accessibilityInformation = { label: `${view.label}, ${view.type}, ${view.description}` };
    // The tooltip is left empty here so VS Code asks resolveTreeItem for it
    // only when the user hovers, which is when the next fires are fetched.
    return item;
  }

  async resolveTreeItem(item: vscode.TreeItem, element: TriggersTreeNode): Promise<vscode.TreeItem> {
    if (!(element instanceof TriggerNode)) return item;
    const trigger = element.trigger;
    let fires: string[] | undefined;
    const agent = this.ctx.agent;
    if (agent && trigger.schedule && trigger.state === "active") {
      try {
        const preview = await agent.request(CronPreviewRequest, {
          expression: trigger.schedule.cron,
          timezone: trigger.schedule.timezone,
          count: 5,
        });
        if (preview.ok) fires = preview.next;
      } catch {
        // The tooltip still shows the next fire from the record.
      }
    }
    const tooltip = new vscode.MarkdownString(triggerTooltip(trigger, Date.now(), fires));
    tooltip.supportThemeIcons = true;
    item.tooltip = tooltip;
    return item;
  }

  dispose(): void {
    clearTimeout(this.clockTimer);
    this.subscriptions.forEach((s) => s.dispose());
    this.changed.dispose();
  }
}

/**
 * Colours trigger labels (greyed while paused). A tree item's label takes
 * the colour of its resource's decoration, so each item gets a resource in
 * a scheme of its own that carries the colour.
 */
export class TriggerLabelColors implements vscode.FileDecorationProvider {
  static readonly scheme = "clockwork-trigger";

  static uriFor(view: TriggerItemView): vscode.Uri {
    const query = view.labelColor ? `color=${encodeURIComponent(view.labelColor)}` : "";
    return vscode.Uri.from({ scheme: TriggerLabelColors.scheme, path: `/${encodeURIComponent(view.name)}`, query });
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== TriggerLabelColors.scheme) return undefined;
    const color = new URLSearchParams(uri.query).get("color");
    return color ? { color: new vscode.ThemeColor(color) } : undefined;
  }
}

export function themeIcon(icon: IconView): vscode.ThemeIcon {
  return new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
}
