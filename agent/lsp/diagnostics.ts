// Diagnostics for a workflow document: everything the loader reports (syntax
// and type-level bundling errors, validation, placeholders that can never
// resolve — each at its position) plus cron strings that do not parse.
// Turning problems into LSP diagnostics is pure; running the loader is not.
import { dirname, relative } from "node:path";
import { DiagnosticSeverity, type Diagnostic } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { CronPreview } from "../protocol";
import type { WorkflowProblem } from "../workflow/load";
import { findCronStrings } from "./cronStrings";
import type { SourceScan } from "./sourceScan";

const SOURCE = "clockwork";

/** One loader problem as a diagnostic. Problems in an imported file are shown at the top, naming where they are. */
export function problemToDiagnostic(problem: WorkflowProblem, doc: TextDocument, file: string): Diagnostic {
  const severity = problem.severity === "warning" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;
  if (problem.file && problem.file !== file) {
    const where = `${relative(dirname(file), problem.file)}:${problem.line}:${problem.column}`;
    return {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      severity,
      source: SOURCE,
      message: `${where}: ${problem.message}`,
    };
  }
  const line = Math.max(0, problem.line - 1);
  const character = Math.max(0, problem.column - 1);
  const start = doc.offsetAt({ line, character });
  const end = problem.length ? start + problem.length : wordEnd(doc.getText(), start);
  return {
    range: { start: doc.positionAt(start), end: doc.positionAt(end) },
    severity,
    source: SOURCE,
    message: problem.message,
  };
}

/** The end of the token at `offset`, so a squiggle covers something visible. */
function wordEnd(text: string, offset: number): number {
  const match = /^[\w$.@-]+|^\S/.exec(text.slice(offset, offset + 200));
  return offset + (match ? match[0].length : 0);
}

/** A problem found in the source text itself (offsets), as an error. */
export function sourceDiagnostic(problem: { message: string; start: number; end: number }, doc: TextDocument): Diagnostic {
  return {
    range: { start: doc.positionAt(problem.start), end: doc.positionAt(problem.end) },
    severity: DiagnosticSeverity.Error,
    source: SOURCE,
    message: problem.message,
  };
}

/** Cron strings that do not parse: errors under a `cron:` key, warnings for cron-shaped strings elsewhere. */
export function cronDiagnostics(
  scan: SourceScan,
  doc: TextDocument,
  preview: (expression: string) => CronPreview,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of findCronStrings(scan)) {
    const result = preview(c.expression);
    if (result.ok) continue;
    out.push({
      range: { start: doc.positionAt(c.segment.start), end: doc.positionAt(c.segment.end) },
      severity: c.declared ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      source: SOURCE,
      message: `Invalid cron expression: ${result.error}`,
    });
  }
  return out;
}
