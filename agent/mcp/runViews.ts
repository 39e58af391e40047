// How runs look to a model: the run record with every long text capped (a
// model's context is small next to the store's 1 MiB outputs), and a run's
// log as plain text under a line per step, never with terminal colours.
// Pure: records go in, views come out.
import { capText } from "../core/outputCap";
import type { LogChunk, RunRecord, RunSummary, StepRecord } from "../protocol";

/** Per text field of get_run and run_workflow, unless the call asks for another cap. */
export const DEFAULT_OUTPUT_CAP_BYTES = 8 * 1024;
/** The most text one get_run_logs call returns, unless the call asks for another cap. */
export const DEFAULT_LOG_CAP_BYTES = 64 * 1024;

/** The record with each step's output and error, the run's error and a large body cut to `capBytes`, with Clockwork's marker. */
export function cappedRun(run: RunRecord, capBytes: number): RunRecord {
  const cap = (text: string | null) => (text === null ? null : capText(text, capBytes));
  const trigger = { ...run.trigger };
  if (trigger.body !== undefined) {
    const json = typeof trigger.body === "string" ? trigger.body : JSON.stringify(trigger.body);
    // A body too large to show whole is shown as the start of its JSON text.
    if (Buffer.byteLength(json) > capBytes) trigger.body = capText(json, capBytes);
  }
  return {
    ...run,
    error: cap(run.error),
    trigger,
    steps: run.steps.map((step) => ({ ...step, output: cap(step.output), error: cap(step.error) })),
  };
}

/** Where a page of log starts: after chunk `afterSeq`, `offset` characters into the next chunk. */
export interface LogCursor {
  afterSeq: number;
  offset: number;
}

export interface LogPage {
  text: string;
  /** Where the next page starts, or null when this page holds the end of the log. */
  next: LogCursor | null;
}

/**
 * The chunks as text, with a `── name (kind) ──` line wherever the step
 * changes and `[stderr]` / `[clockwork]` before lines from those streams, up
 * to `capBytes`. A page ends at the end of a line where it can (a chunk may
 * hold many lines, or end mid-line); a single line longer than a page is cut.
 * `more` says whether chunks after these may exist (a page limit, or a run
 * still writing); then the page ends with a cursor even when all fit.
 */
export function logPage(chunks: LogChunk[], steps: StepRecord[], from: LogCursor, capBytes: number, more: boolean): LogPage {
  let text = "";
  let used = 0;
  let wroteOutput = false;
  let lastStep: number | null | undefined;
  let afterSeq = from.afterSeq;
  let offset = from.offset;
  const add = (piece: string) => {
    text += piece;
    used += Buffer.byteLength(piece);
  };
  for (const chunk of chunks) {
    if (chunk.step !== lastStep) {
      const header = `${text && !text.endsWith("\n") ? "\n" : ""}── ${stepLabel(chunk.step, steps)} ──\n`;
      if (used + Buffer.byteLength(header) > capBytes) return { text, next: { afterSeq, offset } };
      add(header);
      lastStep = chunk.step;
    }
    for (let pos = offset; pos < chunk.text.length; ) {
      const newline = chunk.text.indexOf("\n", pos);
      const end = newline === -1 ? chunk.text.length : newline + 1;
      const tag = tagFor(chunk.stream, text === "" || text.endsWith("\n"));
      const line = chunk.text.slice(pos, end);
      if (used + Buffer.byteLength(tag + line) <= capBytes) {
        add(tag + line);
        wroteOutput = true;
        pos = end;
        continue;
      }
      // The page is full. Stop before this line, unless the page holds no
      // output yet: then cut the line, so that every page moves forward.
      if (!wroteOutput) {
        const part = prefixWithin(line, capBytes - used - Buffer.byteLength(tag));
        add(tag + part);
        pos += part.length;
      }
      return { text, next: { afterSeq, offset: pos } };
    }
    afterSeq = chunk.seq;
    offset = 0;
  }
  return { text, next: more ? { afterSeq, offset: 0 } : null };
}

/** The line that closes a log: the run's state, and how to read on. */
export function logFooter(run: RunSummary, page: LogPage): string {
  const state = `── run ${run.id} (${run.workflowName}) is ${run.status}${run.error ? `: ${run.error}` : ""} ──`;
  const where = page.next && `after_seq ${page.next.afterSeq}${page.next.offset ? ` and offset ${page.next.offset}` : ""}`;
  const more = where ? `\nmore output: call get_run_logs again with ${where}` : "";
  return `${page.text && !page.text.endsWith("\n") ? "\n" : ""}${state}${more}`;
}

function stepLabel(index: number | null, steps: StepRecord[]): string {
  if (index === null) return "run";
  const step = steps.find((s) => s.index === index);
  return step ? `${step.name} (${step.kind})` : `step ${index}`;
}

/** What goes before a line of this stream that starts a line: stdout is left as it is. */
function tagFor(stream: LogChunk["stream"], atLineStart: boolean): string {
  if (stream === "stdout" || !atLineStart) return "";
  return stream === "stderr" ? "[stderr] " : "[clockwork] ";
}

/** The longest start of `text` within `bytes` UTF-8 bytes (at least one character), never half a surrogate pair. */
function prefixWithin(text: string, bytes: number): string {
  let end = 0;
  let size = 0;
  for (const char of text) {
    size += Buffer.byteLength(char);
    if (size > bytes && end > 0) break;
    end += char.length;
  }
  return text.slice(0, end);
}
