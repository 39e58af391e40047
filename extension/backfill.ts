// "Backfill…" on a schedule: the range and which instants to run again are
// asked, the agent's dry run is shown as a list (every instant, what it
// has, what would happen), and only choosing "Run …" in that list starts
// the backfill, for exactly the range the list showed.
import * as vscode from "vscode";
import { Backfill, type BackfillResult, type Reprocess, type TriggerRecord } from "../agent/protocol";
import { backfillPickItems, backfillTitle, type BackfillPickItem } from "./backfillModel";
import type { AgentConnection } from "./connection";

const REPROCESS: Array<vscode.QuickPickItem & { value: Reprocess }> = [
  { label: "Only instants that never ran", description: "none: skip instants that already have a run", value: "none" },
  { label: "Also failed instants", description: "failed: run failed and cancelled instants again", value: "failed" },
  { label: "Every instant", description: "all: run even the ones that succeeded again", value: "all" },
];

/** Asks for the range, shows the dry run, and starts the backfill if the user confirms; returns what it started. */
export async function backfillSchedule(agent: AgentConnection, t: TriggerRecord): Promise<BackfillResult | undefined> {
  const range = await askRange(t);
  if (!range) return undefined;
  const reprocess = await vscode.window.showQuickPick(REPROCESS, { title: `Backfill ${t.name} (3/3): instants that already have runs`, ignoreFocusOut: true });
  if (!reprocess) return undefined;
  let preview: BackfillResult;
  try {
    preview = await agent.request(Backfill, { name: t.name, ...range, reprocess: reprocess.value, dryRun: true });
  } catch (error) {
    void vscode.window.showErrorMessage(`Backfill ${t.name}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  if (!(await confirmDryRun(preview))) return undefined;
  // The range the list showed, as instants: "now" does not move between the two.
  const result = await agent.request(Backfill, { name: t.name, from: preview.from, to: preview.to, reprocess: reprocess.value });
  void vscode.window.showInformationMessage(`Backfill ${t.name}: queued ${result.toRun} run${result.toRun === 1 ? "" : "s"}, oldest first.`);
  return result;
}

async function askRange(t: TriggerRecord): Promise<{ from: string; to: string } | undefined> {
  const zone = t.schedule?.timezone ?? "UTC";
  const missed = t.schedule?.missed;
  const forms = `a date or date-time in ${zone} (2025-03-09, 2025-03-09T06:00), an instant with its offset (2025-03-09T05:00:00Z)`;
  const from = await vscode.window.showInputBox({
    title: `Backfill ${t.name} (1/3): from`,
    prompt: `Start of the range, inclusive: ${forms}`,
    value: missed?.instants[0] ?? localDate(Date.now() - 86_400_000, zone),
    ignoreFocusOut: true,
  });
  if (!from) return undefined;
  const to = await vscode.window.showInputBox({
    title: `Backfill ${t.name} (2/3): to`,
    prompt: `End of the range, exclusive: ${forms}, or now`,
    value: missed ? new Date(Date.parse(missed.last) + 1000).toISOString() : "now",
    ignoreFocusOut: true,
  });
  return to ? { from, to } : undefined;
}

/** The dry run as a list; resolves true only when the user picks the "Run …" item. */
function confirmDryRun(result: BackfillResult): Promise<boolean> {
  const pick = vscode.window.createQuickPick<BackfillPickItem & vscode.QuickPickItem>();
  pick.title = backfillTitle(result);
  pick.placeholder = result.toRun > 0 ? "Choose “Run …” to start the backfill, or Escape to cancel" : "Nothing to run in this range; Escape to close";
  pick.items = backfillPickItems(result).map((item) => (item.kind === "separator" ? { ...item, kind: vscode.QuickPickItemKind.Separator } : item)) as Array<
    BackfillPickItem & vscode.QuickPickItem
  >;
  pick.matchOnDescription = true;
  pick.ignoreFocusOut = true;
  return new Promise((resolve) => {
    let confirmed = false;
    pick.onDidAccept(() => {
      // An instant's line only informs; the list stays open until the user runs or cancels.
      if (!pick.selectedItems[0]?.confirm) return;
      confirmed = true;
      pick.hide();
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve(confirmed);
    });
    pick.show();
  });
}

/** "2025-03-08": the date in `zone`. */
function localDate(ms: number, zone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);
}
