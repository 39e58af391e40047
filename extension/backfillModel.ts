// What the Backfill… dry run shows before the user confirms: one line per
// instant, in the schedule's zone, with what it has and what would happen.
// Pure; the glue is backfill.ts.
import type { BackfillResult, InstantState } from "../agent/protocol";

export interface BackfillPickItem {
  label: string;
  description?: string;
  detail?: string;
  /** The one item that starts the backfill. */
  confirm?: true;
  kind?: "separator";
}

const STATE_WORDS: Record<InstantState, string> = {
  none: "never ran",
  missed: "missed",
  failed: "failed",
  success: "succeeded",
  active: "queued or running",
};

/** The title of the dry-run list: what, where, and how many would run. */
export function backfillTitle(result: BackfillResult): string {
  return `Backfill ${result.schedule}: ${result.toRun} of ${result.instants.length} instant${result.instants.length === 1 ? "" : "s"} would run (dry run)`;
}

/** The confirm item first, then every instant, oldest first. */
export function backfillPickItems(result: BackfillResult): BackfillPickItem[] {
  const how =
    result.concurrency.kind === "serial" ? "one at a time" : result.concurrency.kind === "limited" ? `at most ${result.concurrency.max} at once` : "in parallel";
  const items: BackfillPickItem[] = [];
  if (result.toRun > 0) {
    items.push({
      label: `$(play) Run ${result.toRun} backfill run${result.toRun === 1 ? "" : "s"}`,
      description: `${how}, oldest first${result.paused ? " · the schedule stays paused" : ""}`,
      confirm: true,
    });
  }
  items.push({ label: `Instants in ${result.timezone}`, kind: "separator" });
  for (const instant of result.instants) {
    const item: BackfillPickItem = {
      label: `${instant.action === "run" ? "$(debug-start)" : "$(check)"} ${zoneTime(instant.scheduledFor, result.timezone)}`,
      description: `${STATE_WORDS[instant.state]} → ${instant.action === "run" ? "run" : "keep"}`,
    };
    if (instant.reason) item.detail = instant.reason;
    items.push(item);
  }
  return items;
}

/** "2025-03-09 03:00 EDT": an instant as the schedule's zone reads it. */
export function zoneTime(iso: string, zone: string): string {
  const at = new Date(iso);
  const date = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
  const time = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" }).format(at);
  return `${date} ${time}`;
}
