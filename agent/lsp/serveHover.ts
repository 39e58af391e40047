// Hover over a placeholder (what it stands for, its last value), a cron
// string (what it means, its next fires) or a step's name (what it produced
// last time; for an mcp step, the server and tool it calls).
import { MarkupKind, type Connection } from "vscode-languageserver";
import type { AgentServices } from "../daemon/services";
import { describeNamedServer, mcpConfigPath } from "../steps/mcp/configFile";
import { hoverAt } from "./hover";
import type { OpenDocuments } from "./openDocuments";

export function serveHover(connection: Connection, services: AgentServices, docs: OpenDocuments): void {
  const { documents, stateOf, isWorkflow, scanOf } = docs;
  connection.onHover(async ({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc || !isWorkflow(doc.uri)) return null;
    const name = stateOf(doc.uri).workflowName;
    // Read once, before the (pure) hover looks a step up in it.
    const previous = name ? await services.store.runs.previousOutputs(name) : undefined;
    const found = hoverAt(scanOf(doc), doc.offsetAt(position), {
      workflowName: name,
      previousOutput: previous
        ? (step) => (step in previous.outputs ? { runId: previous.runId, output: previous.outputs[step]! } : undefined)
        : undefined,
      cronPreview: (e) => services.cronPreview(e, undefined, 5),
      mcpServer: (server) => describeNamedServer(server, mcpConfigPath(services.config.home)),
      nowMs: Date.now(),
    });
    if (!found) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: found.markdown },
      range: { start: doc.positionAt(found.start), end: doc.positionAt(found.end) },
    };
  });
}
