// The body a "Replay with Edited Body…" editor starts with, and reading it
// back. Pure; the glue is replay.ts.
import type { RunRecord } from "../agent/protocol";

/** The run's body as pretty JSON (a text body as a JSON string); `{}` when it had none, ready to fill in. */
export function replayBodyText(run: Pick<RunRecord, "trigger">): string {
  const body = run.trigger.body;
  return `${JSON.stringify(body === undefined ? {} : body, null, 2)}\n`;
}

/** The edited text as a body, or why it is not JSON (with the line, so the user finds the spot). */
export function parseReplayBody(text: string): { ok: true; body: unknown } | { ok: false; error: string } {
  if (text.trim() === "") return { ok: false, error: "the body is empty: write JSON ({} for an empty object, \"text\" for a text body)" };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split("\n").length : undefined;
    return { ok: false, error: `the body is not JSON${line === undefined ? "" : ` (line ${line})`}: ${message}` };
  }
}
