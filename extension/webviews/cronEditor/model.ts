// The cron editor's messages and its pure logic: presets, what the form holds,
// when Save is allowed, and which preview reply still matters. Both the page
// (main.ts) and the host (panel.ts) import this file; it must stay free of
// DOM and VS Code imports.
import type { CatchupPolicy, CronPreview, OverlapPolicy } from "../../../agent/protocol";

export interface CronEditorInit {
  /** "register" makes a new schedule for `file`; "edit" updates `name` in place. */
  mode: "register" | "edit";
  /** Absolute path of the workflow file. */
  file: string;
  /** The file's name, for the heading. */
  fileLabel: string;
  /** The schedule's name; empty when registering lets the agent name it after the workflow. */
  name: string;
  cron: string;
  timezone: string;
  overlap: OverlapPolicy;
  catchup: CatchupPolicy;
  /** The zones offered in the searchable list: the agent's (clockwork/cron/timezones); empty when it could not say. */
  timezones: string[];
}

export interface CronEditorValues {
  name: string;
  cron: string;
  timezone: string;
  overlap: OverlapPolicy;
  catchup: CatchupPolicy;
}

export type CronEditorRequest =
  | { method: "preview"; expression: string; timezone: string }
  | { method: "save"; values: CronEditorValues }
  | { method: "cancel" };

export interface SaveResult {
  name: string;
  nextFireAt: string | null;
}

export interface Preset {
  label: string;
  cron: string;
}

export const PRESETS: readonly Preset[] = [
  { label: "Every 5 minutes", cron: "*/5 * * * *" },
  { label: "Hourly", cron: "0 * * * *" },
  { label: "Daily 9:00", cron: "0 9 * * *" },
  { label: "Weekdays 9:00", cron: "0 9 * * 1-5" },
  { label: "Weekly Monday 9:00", cron: "0 9 * * 1" },
  { label: "Monthly on the 1st", cron: "0 9 1 * *" },
];

/** The preset an expression equals, ignoring extra spaces; undefined for a custom one. */
export function matchingPreset(expression: string): Preset | undefined {
  const normal = expression.trim().split(/\s+/).join(" ");
  return PRESETS.find((p) => p.cron === normal);
}

export const OVERLAP_CHOICES: ReadonlyArray<{ value: OverlapPolicy; label: string }> = [
  { value: "skip", label: "Skip the fire (recorded as skipped)" },
  { value: "queue", label: "Queue it (at most one waiting)" },
  { value: "parallel", label: "Run in parallel" },
];

export const CATCHUP_CHOICES: ReadonlyArray<{ value: CatchupPolicy; label: string }> = [
  { value: "once", label: "Run once on wake" },
  { value: "skip", label: "Skip missed fires" },
];

/**
 * How long the input must rest before an error is shown: errors wait until
 * the user pauses typing (or leaves the field), so half-typed input is not
 * called wrong at every keystroke.
 */
export const ERROR_DELAY_MS = 700;

/**
 * Tracks preview requests so that only the reply to the latest input is
 * shown: typing fast sends several requests, and an older reply arriving
 * after a newer one must not overwrite it.
 */
export class PreviewTracker {
  private latest = 0;

  /** Call when the input changes; returns the ticket for the request about to be sent. */
  next(): number {
    return ++this.latest;
  }

  /** Whether a reply for `ticket` is still the one to show. */
  isCurrent(ticket: number): boolean {
    return ticket === this.latest;
  }
}

export interface FormState {
  expression: string;
  timezone: string;
  /** The latest preview the agent returned, with the input it was asked for. */
  preview: { expression: string; timezone: string; result: CronPreview } | null;
  saving: boolean;
  /** The user paused typing (ERROR_DELAY_MS) or left the field: errors may show. */
  settled: boolean;
}

/** The preview if it answers exactly the current input, else null (one is on its way). */
function currentPreview(state: FormState): CronPreview | null {
  const p = state.preview;
  if (!p || p.expression !== state.expression.trim() || p.timezone !== state.timezone.trim()) return null;
  return p.result;
}

/** Save is allowed only for a previewed, valid expression in the current zone. */
export function canSave(state: FormState): boolean {
  const p = currentPreview(state);
  return !state.saving && p !== null && p.ok;
}

export interface InlineErrors {
  expression: string | null;
  timezone: string | null;
}

/**
 * The errors to show under the expression and under the zone. Each comes
 * from the agent's preview of exactly the current input (the same checks as
 * registering) and goes under the field the agent named, so a wrong zone is
 * never blamed on the expression. Nothing shows while the user is typing or
 * while a preview for new input is on its way.
 */
export function inlineErrors(state: FormState): InlineErrors {
  const none: InlineErrors = { expression: null, timezone: null };
  if (!state.settled) return none;
  if (state.expression.trim() === "") return { ...none, expression: "Enter a cron expression, or pick a preset." };
  if (state.timezone.trim() === "") return { ...none, timezone: "Pick a time zone, e.g. UTC or Europe/Berlin." };
  const p = currentPreview(state);
  if (!p || p.ok) return none;
  if (p.field === "timezone") return { ...none, timezone: p.error };
  return { ...none, expression: p.error };
}

/** What the preview area says while it cannot show fires, naming the field to fix. */
export function previewHint(state: FormState): string | null {
  const p = currentPreview(state);
  if (!p || p.ok) return null;
  return p.field === "timezone" ? "Pick a time zone to see when it fires." : "Fix the expression to see when it fires.";
}
