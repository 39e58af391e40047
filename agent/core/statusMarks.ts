// The mark each run or step status gets, in one table with a column per
// form: the terminal's glyphs (the CLI's run output and listings), the
// editor's glyphs (run panels, tooltips) and the codicon the editor draws
// (the Runs tree, the CodeLens). A status added to the protocol is a compile
// error here until it has a mark in every form. Pure; the extension bundles it.
import type { RunStatus } from "../protocol";

export type MarkForm = "terminal" | "editor" | "codicon";

export const STATUS_MARKS: Record<RunStatus, Record<MarkForm, string>> = {
  queued: { terminal: "…", editor: "○", codicon: "clock" },
  running: { terminal: "▸", editor: "●", codicon: "sync~spin" },
  success: { terminal: "✓", editor: "✓", codicon: "pass" },
  failed: { terminal: "✗", editor: "✗", codicon: "error" },
  cancelled: { terminal: "■", editor: "⊘", codicon: "circle-slash" },
  skipped: { terminal: "○", editor: "↷", codicon: "debug-step-over" },
};

/** One form's marks by status. */
export function statusMarks(form: MarkForm): Record<RunStatus, string> {
  return Object.fromEntries(Object.entries(STATUS_MARKS).map(([status, marks]) => [status, marks[form]])) as Record<RunStatus, string>;
}
