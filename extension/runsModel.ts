// What the Runs tree shows, as plain data. The list is kept current from
// RunChanged notifications (an upsert per notification) and loaded in full
// only when the view opens, the filter changes or the agent reconnects.
import { FINISHED_STATUSES, type MissedInstants, type RunStatus, type RunSummary } from "../agent/protocol";
import { editorDuration } from "../agent/core/durationText";
import { STATUS_MARKS } from "../agent/core/statusMarks";
import { relativeTime, runDuration, shortTime } from "../agent/core/relativeTime";
import type { IconView } from "./triggersModel";

export const RUNS_LIMIT = 50;

/** What the Runs view is narrowed to: one workflow, or one trigger's runs. */
export interface RunsFilter {
  workflow?: string;
  trigger?: string;
}

export function matchesFilter(run: RunSummary, filter: RunsFilter): boolean {
  if (filter.workflow && run.workflowName !== filter.workflow) return false;
  if (filter.trigger && run.triggerName !== filter.trigger) return false;
  return true;
}

export interface RunItemView {
  id: string;
  runId: string;
  label: string;
  description: string;
  tooltip: string;
  icon: IconView;
  /** `run.<status>`: menus offer Cancel on running runs only. */
  contextValue: string;
}

/** The theme colour of each status's icon; the icon itself is the shared codicon mark. */
const STATUS_COLORS: Record<RunStatus, string | undefined> = {
  queued: undefined,
  running: undefined,
  success: "testing.iconPassed",
  failed: "testing.iconFailed",
  cancelled: "disabledForeground",
  skipped: "disabledForeground",
};

export function runIcon(status: RunStatus): IconView {
  const color = STATUS_COLORS[status];
  return color === undefined ? { id: STATUS_MARKS[status].codicon } : { id: STATUS_MARKS[status].codicon, color };
}

export function isFinishedStatus(status: RunStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}

/** Newest first, by creation time (ties by id, so the order is stable). */
export function sortRuns(runs: RunSummary[]): RunSummary[] {
  return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

/**
 * Applies one RunChanged notification to the visible list: replaces the run
 * if it is listed, adds it if it passes the filter, and keeps the newest
 * `limit` runs. Returns a new array; the input is not changed.
 */
export function upsertRun(
  runs: readonly RunSummary[],
  run: RunSummary,
  filter: RunsFilter = {},
  limit = RUNS_LIMIT,
): RunSummary[] {
  if (!matchesFilter(run, filter)) return [...runs];
  const next = runs.filter((r) => r.id !== run.id);
  next.push(run);
  return sortRuns(next).slice(0, limit);
}

export function runItemView(run: RunSummary, nowMs: number): RunItemView {
  return {
    id: `run:${run.id}`,
    runId: run.id,
    label: run.workflowName,
    description: describeRun(run, nowMs),
    tooltip: runTooltip(run, nowMs),
    icon: runIcon(run.status),
    contextValue: `run.${run.status}`,
  };
}

/**
 * "09:00 · 1.2 s · cron daily", "Tue 14:03 · running 12 s · manual". When
 * and how long come first: a narrow sidebar cuts the end off, and the
 * trigger is also in the tooltip.
 */
export function describeRun(run: RunSummary, nowMs: number): string {
  const trigger = run.triggerName ? `${run.triggerKind} ${run.triggerName}` : run.triggerKind;
  const started = Date.parse(run.startedAt ?? run.createdAt);
  const parts = [shortTime(started, nowMs)];
  const duration = runDuration(run, nowMs);
  if (run.status === "running" && duration !== null) parts.push(`running ${editorDuration(duration)}`);
  else if (run.status === "queued") parts.push("queued");
  else if (run.status === "skipped") parts.push(run.missed ? `missed ${run.missed.count}` : "skipped");
  else if (duration !== null) parts.push(editorDuration(duration));
  parts.push(trigger);
  if (run.backfill) parts.push("backfill");
  if (run.replayOf) parts.push("replay");
  return parts.join(" · ");
}

export function runTooltip(run: RunSummary, nowMs: number): string {
  const lines = [`${run.workflowName} — ${run.status}`, `Run ${run.id}`];
  lines.push(`Trigger: ${run.triggerKind}${run.triggerName ? ` (${run.triggerName})` : ""}`);
  if (run.scheduledFor) lines.push(`Scheduled for: ${new Date(run.scheduledFor).toLocaleString()}${run.backfill ? " (backfill)" : ""}`);
  if (run.replayOf) lines.push(`Replay of run ${run.replayOf}`);
  if (run.missed) lines.push(missedLine(run.missed));
  const started = Date.parse(run.startedAt ?? run.createdAt);
  lines.push(`Started: ${new Date(started).toLocaleString()} (${relativeTime(started, nowMs)})`);
  const duration = runDuration(run, nowMs);
  if (duration !== null) lines.push(`Duration: ${editorDuration(duration)}`);
  if (run.error) lines.push(`Error: ${run.error}`);
  lines.push(run.workflowFile);
  return lines.join("\n");
}

/** "Missed 3 instants: 5/12/2025, 01:00:00, … (the last 5/12/2025, 03:00:00)", in this machine's locale. */
export function missedLine(missed: MissedInstants): string {
  const first = missed.instants.slice(0, 3).map((at) => new Date(at).toLocaleString());
  const more = missed.count > first.length ? `, … (the last ${new Date(missed.last).toLocaleString()})` : "";
  return `Missed ${missed.count} instant${missed.count === 1 ? "" : "s"}: ${first.join(", ")}${more}`;
}

/** Workflow names seen in the list, for the filter quick pick. */
export function workflowNames(runs: readonly RunSummary[]): string[] {
  return [...new Set(runs.map((r) => r.workflowName))].sort((a, b) => a.localeCompare(b));
}
