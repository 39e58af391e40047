// How runs, steps and log chunks look in a terminal: shared by
// `clockwork run` (live), `show`, `history` and `logs`. Colour only on a TTY.
import { terminalDuration } from "../core/durationText";
import { STATUS_MARKS } from "../core/statusMarks";
import type { LogChunk, MissedInstants, RunStatus, RunSummary, StepRecord, StepStatus } from "../protocol";
import { colour } from "./output";

export function paintStatus(status: RunStatus | StepStatus, text: string = status): string {
  switch (status) {
    case "success":
      return colour.green(text);
    case "failed":
      return colour.red(text);
    case "cancelled":
    case "skipped":
      return colour.yellow(text);
    case "running":
    case "queued":
      return colour.cyan(text);
  }
}

export function mark(status: RunStatus | StepStatus): string {
  return paintStatus(status, STATUS_MARKS[status].terminal);
}

/** Milliseconds between two ISO instants, or undefined when one is missing. */
export function elapsed(from: string | null, to: string | null): number | undefined {
  if (!from || !to) return undefined;
  return Date.parse(to) - Date.parse(from);
}

/** "2026-03-09 09:00:05" in this machine's zone. */
export function localTime(iso: string | null): string {
  if (!iso) return "–";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function triggerLabel(run: Pick<RunSummary, "triggerKind" | "triggerName">): string {
  return run.triggerName ? `${run.triggerKind}:${run.triggerName}` : run.triggerKind;
}

/** The trigger, and how the run came about when it was not the trigger's own doing: "cron:nightly backfill", "webhook:gh replay of k3j2h1g0". */
export function originLabel(run: Pick<RunSummary, "triggerKind" | "triggerName" | "backfill" | "replayOf">): string {
  const parts = [triggerLabel(run)];
  if (run.backfill) parts.push("backfill");
  if (run.replayOf) parts.push(`replay of ${run.replayOf.slice(0, 8)}`);
  return parts.join(" ");
}

/** "3 instants: 2027-03-14 01:00:00, 02:00:00 … (and 40 more, the last 2027-03-15 19:00:00)", in this machine's zone. */
export function missedText(missed: MissedInstants): string {
  const shown = missed.instants.slice(0, 3);
  const more = missed.count - shown.length;
  const list = shown.map((at) => localTime(at)).join(", ");
  const tail = more > 0 ? ` … and ${more} more, the last ${localTime(missed.last)}` : "";
  return `${missed.count} instant${missed.count === 1 ? "" : "s"}: ${list}${tail}`;
}

/** The command that runs a schedule's missed instants: the range from the first to just after the last. */
export function backfillHint(schedule: string, missed: MissedInstants): string {
  const to = new Date(Date.parse(missed.last) + 1000).toISOString();
  return `clockwork backfill ${schedule} --from ${missed.instants[0] ?? missed.last} --to ${to}`;
}

/** The line printed when a step starts. */
export function stepHeader(step: Pick<StepRecord, "index" | "name" | "kind">): string {
  return `${colour.cyan("▸")} ${colour.bold(step.name)} ${colour.dim(`(${step.kind})`)}`;
}

/** The line printed when a step ends: mark, name, duration, and what went wrong. */
export function stepResultLine(step: StepRecord): string {
  const took = elapsed(step.startedAt, step.finishedAt);
  const parts = [`${mark(step.status)} ${colour.bold(step.name)}`];
  if (step.status === "skipped") parts.push(colour.dim("skipped"));
  else parts.push(paintStatus(step.status));
  if (took !== undefined) parts.push(colour.dim(terminalDuration(took)));
  if (step.attempts > 1) parts.push(colour.dim(`${step.attempts} attempts`));
  let line = parts.join("  ");
  if (step.error && step.status !== "cancelled") line += `\n${indent(colour.red(step.error), "    ")}`;
  return line;
}

/** The closing line of a run. */
export function runResultLine(run: RunSummary): string {
  const took = elapsed(run.startedAt ?? run.createdAt, run.finishedAt);
  const duration = took === undefined ? "" : ` in ${terminalDuration(took)}`;
  const verb: Record<RunStatus, string> = {
    success: `succeeded${duration}`,
    failed: `failed${duration}`,
    cancelled: `was cancelled${duration}`,
    skipped: "was skipped",
    running: "is running",
    queued: "is queued",
  };
  let line = `${mark(run.status)} ${colour.bold(run.workflowName)} ${paintStatus(run.status, verb[run.status])} ${colour.dim(`· run ${run.id}`)}`;
  if (run.error && run.status !== "success") line += `\n  ${colour.red(run.error)}`;
  return line;
}

export function indent(text: string, prefix = "  "): string {
  return text
    .split("\n")
    .map((line) => (line ? prefix + line : line))
    .join("\n");
}

/**
 * Prints log text indented under its step header. Chunks end anywhere, so it
 * remembers whether the next character starts a line.
 */
export class LogPrinter {
  private atLineStart = true;
  private lastStep: number | null | undefined = undefined;

  constructor(
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
    private readonly prefix = "  ",
  ) {}

  chunk(chunk: Pick<LogChunk, "text" | "stream" | "step">): void {
    this.lastStep = chunk.step;
    let out = "";
    for (const piece of chunk.text.split(/(?<=\n)/)) {
      if (!piece) continue;
      const body = piece.endsWith("\n") ? piece.slice(0, -1) : piece;
      const painted = chunk.stream === "info" ? colour.dim(body) : chunk.stream === "stderr" ? colour.yellow(body) : body;
      out += (this.atLineStart ? this.prefix : "") + painted + (piece.endsWith("\n") ? "\n" : "");
      this.atLineStart = piece.endsWith("\n");
    }
    this.write(out);
  }

  get step(): number | null | undefined {
    return this.lastStep;
  }

  /** Ends a partial line, so the next header starts on its own line. */
  endLine(): void {
    if (!this.atLineStart) {
      this.write("\n");
      this.atLineStart = true;
    }
  }
}
