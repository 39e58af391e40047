// Completion inside a placeholder's `{…}`: the steps before this one, the
// previous run's steps, the trigger's and the run's fields. In an mcp
// step's `server: "…"`, the servers configured in mcp.json.
import { CompletionItemKind, MarkupKind, type CompletionItem, type Connection } from "vscode-languageserver";
import { mcpServerNameAt } from "./mcpSites";
import type { OpenDocuments } from "./openDocuments";
import { completionSite, placeholderCompletions, type PlaceholderCompletion } from "./placeholderSites";

export function serveCompletion(connection: Connection, docs: OpenDocuments, mcpServers: () => { names: string[]; file: string }): void {
  const { documents, isWorkflow, scanOf } = docs;
  connection.onCompletion(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc || !isWorkflow(doc.uri)) return null;
    const scan = scanOf(doc);
    const serverName = mcpServerNameAt(scan, doc.offsetAt(position));
    if (serverName) {
      const range = { start: doc.positionAt(serverName.start), end: doc.positionAt(serverName.end) };
      const { names, file } = mcpServers();
      const items: CompletionItem[] = names.map((name) => ({
        label: name,
        kind: CompletionItemKind.Module,
        detail: `MCP server in ${file}`,
        textEdit: { range, newText: name },
      }));
      return { isIncomplete: false, items };
    }
    const site = completionSite(scan, doc.offsetAt(position));
    if (!site) return null;
    const range = { start: doc.positionAt(site.replaceStart), end: doc.positionAt(site.replaceEnd) };
    const items: CompletionItem[] = placeholderCompletions(scan, site).map((c, i) => ({
      label: c.label,
      kind: KINDS[c.kind],
      detail: c.detail,
      documentation: { kind: MarkupKind.Markdown, value: c.documentation },
      sortText: String(i).padStart(4, "0"),
      filterText: c.label,
      textEdit: { range, newText: c.label + (site.needsClose && !c.label.endsWith(".") ? "}" : "") },
      // `trigger.headers.` needs a name typed after it; keep the list open.
      ...(c.label.endsWith(".") ? { command: { title: "Suggest", command: "editor.action.triggerSuggest" } } : {}),
    }));
    return { isIncomplete: false, items };
  });
}

const KINDS: Record<PlaceholderCompletion["kind"], CompletionItemKind> = {
  step: CompletionItemKind.Variable,
  previous: CompletionItemKind.Reference,
  trigger: CompletionItemKind.Field,
  run: CompletionItemKind.Field,
};
