// The CodeLens line above `defineWorkflow(`: ▶ Run Now · Schedule… · each
// trigger of this file with its next fire (the first few by name, then how
// many more) · the last run with ✓/✗ and when.
// The commands are the extension's (clockwork.*); their arguments are plain
// strings so any client can pass them back. The marks are codicons
// (`$(play)`), which VS Code draws in the editor's own icon font, so they
// look the same on every machine whatever fonts it has. Pure.
import type { CodeLens, Range } from "vscode-languageserver";
import { relativeTime } from "../core/relativeTime";
import { STATUS_MARKS } from "../core/statusMarks";
import type { RunSummary, TriggerRecord } from "../protocol";

export interface LensFacts {
  /** The document's URI, passed back to Run Now and Schedule…. */
  uri: string;
  /** Where the lenses sit (the `defineWorkflow` line). */
  range: Range;
  /** Registered triggers whose workflow is this file (the first few, when there are many). */
  triggers: readonly TriggerRecord[];
  /** How many more of this file's triggers there are than `triggers` holds. */
  moreTriggers?: number;
  lastRun: RunSummary | undefined;
  nowMs: number;
}

export function workflowLenses(f: LensFacts): CodeLens[] {
  const lens = (title: string, command: string, args: unknown[]): CodeLens => ({
    range: f.range,
    command: { title, command, arguments: args },
  });
  const lenses = [
    lens("$(play) Run Now", "clockwork.runWorkflow", [f.uri]),
    lens("Schedule…", "clockwork.registerSchedule", [f.uri]),
  ];
  const sorted = [...f.triggers].sort((a, b) => a.name.localeCompare(b.name));
  for (const t of sorted) lenses.push(lens(triggerTitle(t, f.nowMs), "clockwork.revealTrigger", [t.name]));
  // The rest are in the Triggers view, which VS Code opens with its own `<view id>.focus` command.
  if (f.moreTriggers) lenses.push(lens(`+${f.moreTriggers} more`, "clockwork.triggers.focus", []));
  if (f.lastRun) {
    const r = f.lastRun;
    const at = Date.parse(r.finishedAt ?? r.startedAt ?? r.createdAt);
    const when = r.status === "running" || r.status === "queued" ? r.status : `${r.status} ${relativeTime(at, f.nowMs)}`;
    lenses.push(lens(`$(${STATUS_MARKS[r.status].codicon}) last run ${when}`, "clockwork.openRun", [r.id]));
  }
  return lenses;
}

function triggerTitle(t: TriggerRecord, nowMs: number): string {
  if (t.state === "paused") return `$(debug-pause) ${t.name} paused`;
  if (t.state === "error") return `$(warning) ${t.name}`;
  if (t.schedule) {
    const next = t.schedule.nextFireAt ? `next ${relativeTime(Date.parse(t.schedule.nextFireAt), nowMs)}` : "no next fire";
    return `$(watch) ${t.name} ${next}`;
  }
  return `${t.type} ${t.name}`;
}
