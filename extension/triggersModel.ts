// What the Triggers tree shows, as plain data: groups, labels, descriptions,
// icons and tooltips computed from the agent's trigger records and the
// current time. Kept apart from the TreeDataProvider so that it can be tested
// without VS Code and so the provider stays a thin adapter.
import type { MissedReport, TriggerRecord, TriggerType } from "../agent/protocol";
import { nextChangeIn, relativeTime, shortTime } from "../agent/core/relativeTime";
import { STATUS_MARKS } from "../agent/core/statusMarks";
import { TRIGGER_KINDS, TRIGGER_TYPES } from "../agent/core/triggerKinds";

export interface IconView {
  /** A codicon id, e.g. "watch" or "sync~spin". */
  id: string;
  /** A theme colour id, e.g. "disabledForeground"; absent for the default colour. */
  color?: string;
}

export interface TriggerItemView {
  /** Stable across refreshes, so VS Code keeps selection and focus. */
  id: string;
  name: string;
  type: TriggerType;
  label: string;
  description: string;
  icon: IconView;
  /** `trigger.<type>.<active|paused|error>`; menus match on it. */
  contextValue: string;
  /** The label's colour: greyed while paused, the error colour while failing. */
  labelColor?: string;
  trigger: TriggerRecord;
}

export interface TriggerGroupView {
  id: string;
  type: TriggerType;
  label: string;
  items: TriggerItemView[];
}

const GROUPS = TRIGGER_TYPES.map((type) => ({ type, label: TRIGGER_KINDS[type].label }));

const TYPE_ICONS: Record<TriggerType, string> = { schedule: "watch", webhook: "globe", watcher: "eye", run: "zap" };

/**
 * The tree's top level. Empty groups are left out, and no triggers at all
 * gives no groups, so VS Code shows the view's welcome content instead.
 */
export function buildTriggerGroups(triggers: readonly TriggerRecord[], nowMs: number): TriggerGroupView[] {
  const groups: TriggerGroupView[] = [];
  for (const { type, label } of GROUPS) {
    const items = triggers
      .filter((t) => t.type === type)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((t) => triggerItemView(t, nowMs));
    if (items.length > 0) groups.push({ id: `group:${type}`, type, label, items });
  }
  return groups;
}

export function triggerItemView(trigger: TriggerRecord, nowMs: number): TriggerItemView {
  return {
    id: `trigger:${trigger.name}`,
    name: trigger.name,
    type: trigger.type,
    label: trigger.name,
    description: describeTrigger(trigger, nowMs),
    icon: triggerIcon(trigger),
    contextValue: `trigger.${trigger.type}.${trigger.state}`,
    ...labelColor(trigger),
    trigger,
  };
}

function labelColor(trigger: TriggerRecord): { labelColor?: string } {
  if (trigger.state === "paused") return { labelColor: "disabledForeground" };
  if (trigger.state === "error") return { labelColor: "list.errorForeground" };
  return {};
}

/**
 * The grey text after the name: what happens next, then the cadence. The
 * next fire comes first because a narrow sidebar cuts the end off.
 */
export function describeTrigger(trigger: TriggerRecord, nowMs: number): string {
  const parts: string[] = [];
  if (trigger.state === "paused") parts.push("paused");
  else if (trigger.state === "error") parts.push(firstLine(trigger.error ?? "error"));
  else if (trigger.schedule?.nextFireAt) parts.push(relativeTime(Date.parse(trigger.schedule.nextFireAt), nowMs));
  parts.push(cadence(trigger));
  if (trigger.schedule?.missed) parts.push(`missed ${trigger.schedule.missed.outstanding}`);
  return parts.filter(Boolean).join(" · ");
}

/** Schedules: cronstrue's words; webhooks: the route; watchers: events and where; run triggers: which runs. */
export function cadence(trigger: TriggerRecord): string {
  switch (trigger.type) {
    case "schedule":
      return trigger.schedule ? trigger.schedule.description || trigger.schedule.cron : trigger.type;
    case "webhook":
      return `POST /webhook/${trigger.name}`;
    case "watcher": {
      if (!trigger.watcher) return trigger.type;
      const where = baseName(trigger.watcher.path) + (trigger.watcher.glob ? `/${trigger.watcher.glob}` : "");
      return `${trigger.watcher.events.join(", ")} · ${where}`;
    }
    case "run":
      return trigger.run ? `${trigger.run.statuses.join(", ")} · ${trigger.run.workflows.join(", ")}` : trigger.type;
    default:
      return unknownKind(trigger.type);
  }
}

/** The end of a switch over trigger kinds: a kind without a case is a compile error at the call. */
function unknownKind(type: never): string {
  return String(type);
}

export function triggerIcon(trigger: TriggerRecord): IconView {
  if (trigger.state === "paused") return { id: "debug-pause", color: "disabledForeground" };
  if (trigger.state === "error") return { id: "error", color: "errorForeground" };
  if (trigger.lastRun?.status === "running" || trigger.lastRun?.status === "queued") return { id: "sync~spin" };
  if (trigger.lastRun?.status === "failed") return { id: TYPE_ICONS[trigger.type], color: "errorForeground" };
  return { id: TYPE_ICONS[trigger.type] };
}


/**
 * A Markdown tooltip. `nextFires` are ISO instants from the agent's cron
 * preview (the tree asks for them lazily, when the tooltip is about to show);
 * without them only the next fire from the record is listed.
 */
export function triggerTooltip(trigger: TriggerRecord, nowMs: number, nextFires?: readonly string[]): string {
  const lines: string[] = [`**${escapeMarkdown(trigger.name)}** · ${TRIGGER_KINDS[trigger.type].words[0]}`, "", ...kindLines(trigger, nowMs, nextFires)];
  if (trigger.state === "error" && trigger.error) lines.push(`Error: ${escapeMarkdown(trigger.error)}`, "");
  if (trigger.lastRun) {
    const at = Date.parse(trigger.lastRun.at);
    lines.push(`Last run: ${STATUS_MARKS[trigger.lastRun.status].editor} ${trigger.lastRun.status}, ${relativeTime(at, nowMs)}`, "");
  } else lines.push("Last run: never", "");
  lines.push(`Workflow: ${escapeMarkdown(trigger.workflowName)} — ${escapeMarkdown(trigger.workflowFile)}`);
  return lines.join("\n");
}

/** The tooltip's lines about what this kind of trigger listens to, each followed by a blank line. */
function kindLines(trigger: TriggerRecord, nowMs: number, nextFires?: readonly string[]): string[] {
  switch (trigger.type) {
    case "schedule":
      return trigger.schedule ? scheduleLines(trigger.schedule, trigger.state === "paused", nowMs, nextFires) : [];
    case "webhook": {
      const w = trigger.webhook;
      if (!w) return [];
      return [`URL: ${w.url ?? "(the agent's HTTP server is not running)"}`, "", ...(w.headers.length > 0 ? [`Headers: ${w.headers.join(", ")}`, ""] : [])];
    }
    case "watcher": {
      const w = trigger.watcher;
      if (!w) return [];
      return [
        `Watching: ${escapeMarkdown(w.path)}${w.glob ? ` (${escapeMarkdown(w.glob)})` : ""}`,
        "",
        `Events: ${w.events.join(", ")}${w.recursive ? " · recursive" : ""}`,
        "",
      ];
    }
    case "run": {
      const r = trigger.run;
      if (!r) return [];
      return [`When a run of ${r.workflows.map(escapeMarkdown).join(", ")} ends ${r.statuses.join(" or ")}`, ""];
    }
    default:
      return [unknownKind(trigger.type)];
  }
}

function scheduleLines(s: NonNullable<TriggerRecord["schedule"]>, paused: boolean, nowMs: number, nextFires?: readonly string[]): string[] {
  const lines = [`\`${s.cron}\` — ${escapeMarkdown(s.description)}`, "", `Zone: ${s.timezone} · overlap: ${s.overlap} · catch-up: ${s.catchup}`, ""];
  const fires = paused ? [] : (nextFires ?? (s.nextFireAt ? [s.nextFireAt] : []));
  if (paused) lines.push("Paused: no fires until resumed.", "");
  else if (fires.length > 0) {
    lines.push(fires.length > 1 ? `Next ${fires.length} fires:` : "Next fire:", "");
    // Fires less than a minute apart are told apart by their seconds.
    const seconds = fires.length > 1 && Date.parse(fires[1]!) - Date.parse(fires[0]!) < 60_000;
    for (const at of fires) {
      const ms = Date.parse(at);
      lines.push(`- ${shortTime(ms, nowMs, s.timezone, seconds)} (${relativeTime(ms, nowMs)})`);
    }
    lines.push("");
  }
  if (s.missed) lines.push(...missedTooltip(s.missed, nowMs, s.timezone));
  return lines;
}

/** The missed instants a schedule still has no run for, and how to run them. */
function missedTooltip(missed: MissedReport, nowMs: number, zone: string): string[] {
  const shown = missed.instants.slice(0, 5).map((at) => `- ${shortTime(Date.parse(at), nowMs, zone)}`);
  const more = missed.count > shown.length ? [`- … and ${missed.count - shown.length} more, the last ${shortTime(Date.parse(missed.last), nowMs, zone)}`] : [];
  const left = missed.outstanding === missed.count ? "" : ` (${missed.outstanding} still without a run)`;
  return [`Missed ${missed.count} instant${missed.count === 1 ? "" : "s"} while the agent was off or asleep${left}:`, "", ...shown, ...more, "", "Backfill… runs them.", ""];
}

/**
 * How long the tree may wait before some description would read
 * differently, or null when nothing on screen depends on the clock.
 */
export function nextTreeRefreshIn(triggers: readonly TriggerRecord[], nowMs: number): number | null {
  let best: number | null = null;
  for (const t of triggers) {
    if (t.state !== "active" || !t.schedule?.nextFireAt) continue;
    const delay = nextChangeIn(Date.parse(t.schedule.nextFireAt), nowMs);
    if (best === null || delay < best) best = delay;
  }
  return best;
}

/**
 * Context keys (`clockwork.<key>`) that say which trigger commands have
 * something to act on, so the palette does not offer Resume with nothing
 * paused.
 */
export function triggerContextKeys(triggers: readonly TriggerRecord[]): Record<string, boolean> {
  return {
    hasTriggers: triggers.length > 0,
    hasSchedules: triggers.some((t) => t.type === "schedule"),
    hasWebhooks: triggers.some((t) => t.type === "webhook"),
    hasUnpausedTriggers: triggers.some((t) => !t.paused),
    hasPausedTriggers: triggers.some((t) => t.paused),
  };
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? path;
}
