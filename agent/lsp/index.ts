// Editor features for workflow files, served over each socket client's LSP
// connection: diagnostics from the real loader (so the editor says exactly
// what a run would say), CodeLens to run and schedule, hover and completion
// for placeholders and cron strings. The pure parts live beside this file;
// each serve*.ts wires one feature to the connection, the store and the
// agent's events, and this one puts them together.
import { TextDocumentSyncKind, type Connection, type ServerCapabilities } from "vscode-languageserver";
import type { AgentServices } from "../daemon/services";
import { configuredServerNames, mcpConfigPath } from "../steps/mcp/configFile";
import { openDocuments } from "./openDocuments";
import { serveCodeLens } from "./serveCodeLens";
import { serveCompletion } from "./serveCompletion";
import { serveDiagnostics } from "./serveDiagnostics";
import { serveHover } from "./serveHover";

export { WORKFLOW_FILE } from "./openDocuments";

export const languageCapabilities: ServerCapabilities = {
  textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
  codeLensProvider: { resolveProvider: false },
  hoverProvider: true,
  // A quote opens an mcp step's server name, whose completions are the configured servers.
  completionProvider: { triggerCharacters: ["{", ".", '"', "'"], resolveProvider: false },
};

/**
 * Registers the handlers on one client's connection and returns the
 * capabilities to announce. `closed` aborts when the client goes away, which
 * stops the timers and event subscriptions made here.
 */
export function registerLanguageFeatures(
  connection: Connection,
  services: AgentServices,
  closed?: AbortSignal,
): ServerCapabilities {
  const docs = openDocuments();
  const lenses = serveCodeLens(connection, services, docs);
  // A check that learns the workflow's name changes what the lenses say.
  serveDiagnostics(connection, services, docs, () => lenses.refresh());
  serveHover(connection, services, docs);
  serveCompletion(connection, docs, () => {
    const file = mcpConfigPath(services.config.home);
    return { names: configuredServerNames(file), file };
  });
  docs.documents.listen(connection);

  const teardown = () => {
    lenses.dispose();
    for (const s of docs.states.values()) clearTimeout(s.timer);
    docs.states.clear();
  };
  if (closed?.aborted) teardown();
  else closed?.addEventListener("abort", teardown, { once: true });

  return languageCapabilities;
}
