// Hover over a placeholder (what it stands for, its last value) or a cron
// string (what it means, its next fires).
import { MarkupKind } from "vscode-languageserver";
import type { AgentServices } from "../daemon/services";
import type { AgentConnection } from "../daemon/socketServer";
import { hoverAt } from "./hover";
import type { OpenDocuments } from "./openDocuments";

export function serveHover(connection: AgentConnection, services: AgentServices, docs: OpenDocuments): void {
  const { documents, stateOf, isWorkflow, scanOf } = docs;
  connection.onHover(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc || !isWorkflow(doc.uri)) return null;
    const name = stateOf(doc.uri).workflowName;
    const found = hoverAt(scanOf(doc), doc.offsetAt(position), {
      workflowName: name,
      previousOutput: name ? (step) => services.store.runs.previousOutput(name, step) : undefined,
      cronPreview: (e) => services.cronPreview(e, undefined, 5),
      nowMs: Date.now(),
    });
    if (!found) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: found.markdown },
      range: { start: doc.positionAt(found.start), end: doc.positionAt(found.end) },
    };
  });
}
