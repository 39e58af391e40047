// When a run deserves a notification, and what it says. Pure (no VS Code),
// so the rules are tested on their own; notifications.ts shows the result.
//
// The rules follow VS Code's guidance (notify only when it helps, never to
// confirm what the UI already shows):
// - A run started from VS Code has its panel: no notification while that
//   panel is visible, none for a run the user cancelled, and otherwise one
//   saying how it ended, with Show Run.
// - A background run (a schedule, webhook, watcher or API call) that fails
//   gets one notification with Show Run; one that is skipped too when the
//   setting asks for it. Several in quick succession become one notification.
//   A trigger that keeps failing notifies once, until one of its runs
//   succeeds again: the tree's error icon says the rest.
import type { RunStatus, RunSummary } from "../agent/protocol";
import { editorDuration } from "../agent/core/durationText";
import { runDuration } from "../agent/core/relativeTime";
import { TRIGGER_KINDS, triggerTypeOfRun } from "../agent/core/triggerKinds";

export interface Notice {
  severity: "info" | "warning" | "error";
  message: string;
  action: { title: string; command: string; args: unknown[] };
}

/** `clockwork.notifications.backgroundRuns`. */
export type BackgroundRunsSetting = "failures" | "failuresAndSkips" | "off";

/** The notice for a finished run started from VS Code, or null when there should be none. */
export function manualRunNotice(run: RunSummary, panelVisible: boolean, nowMs: number): Notice | null {
  if (panelVisible || run.status === "cancelled") return null;
  const duration = runDuration(run, nowMs);
  const took = duration === null ? "" : ` in ${editorDuration(duration)}`;
  const action = showRun(run);
  if (run.status === "success") return { severity: "info", message: `${run.workflowName} succeeded${took}.`, action };
  if (run.status === "failed") {
    return { severity: "error", message: `${run.workflowName} failed${took}: ${firstLine(run.error ?? "see the run")}`, action };
  }
  return { severity: "warning", message: `${run.workflowName} ${run.status}.`, action };
}

/**
 * Decides which finished background runs to announce, remembering per
 * trigger what it last announced so that a failing streak is told once.
 */
export class BackgroundRunFilter {
  /** By trigger (or workflow file when none): the status last announced, cleared by a success. */
  private readonly announced = new Map<string, RunStatus>();

  accept(run: RunSummary, setting: BackgroundRunsSetting): boolean {
    if (run.triggerKind === "manual") return false;
    const key = run.triggerName ?? run.workflowFile;
    if (run.status === "success") {
      this.announced.delete(key);
      return false;
    }
    const wanted = run.status === "failed" || (run.status === "skipped" && setting === "failuresAndSkips");
    if (setting === "off" || !wanted) return false;
    if (this.announced.get(key) === run.status) return false;
    this.announced.set(key, run.status);
    return true;
  }
}

/** One notice for the background runs that ended close together. */
export function backgroundNotice(runs: readonly RunSummary[]): Notice {
  const failed = runs.filter((r) => r.status === "failed");
  const severity = failed.length > 0 ? "error" : "warning";
  if (runs.length === 1) {
    const run = runs[0]!;
    const what = run.status === "skipped" ? "skipped a run" : "failed";
    const reason = run.error ? `: ${firstLine(run.error)}` : "";
    return { severity, message: `${origin(run)} ${what}${reason}`, action: showRun(run) };
  }
  const skipped = runs.length - failed.length;
  const counts = [failed.length > 0 ? `${failed.length} failed` : "", skipped > 0 ? `${skipped} skipped` : ""].filter(Boolean);
  const names = [...new Set(runs.map((r) => r.triggerName ?? r.workflowName))];
  const listed = names.length > 4 ? `${names.slice(0, 4).join(", ")}, …` : names.join(", ");
  return {
    severity,
    message: `${runs.length} background runs ended badly (${counts.join(", ")}): ${listed}`,
    action: { title: "Show Runs", command: "clockwork.showRuns", args: [] },
  };
}

/** `schedule "nightly"`, `webhook "gh"`, `watcher "notes"`, `run trigger "notify"`, `API run of digest`. */
function origin(run: RunSummary): string {
  const kind = triggerTypeOfRun(run.triggerKind);
  if (kind && run.triggerName) return `Clockwork: ${TRIGGER_KINDS[kind].words[0]} "${run.triggerName}" (${run.workflowName})`;
  return `Clockwork: ${run.triggerKind} run of ${run.workflowName}`;
}

function showRun(run: RunSummary): Notice["action"] {
  return { title: "Show Run", command: "clockwork.openRun", args: [run.id] };
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
