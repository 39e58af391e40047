// Diagnostics: the real loader on the editor's text, evaluated in the
// editor's executor (the agent's loop never runs it), so what the editor
// says is what a run would say, and an endless loop being typed costs an
// executor, not the agent.
import { fileURLToPath } from "node:url";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { AgentServices } from "../daemon/services";
import type { Connection } from "vscode-languageserver";
import { messageOf } from "../errors";
import type { WorkflowProblem } from "../workflow/load";
import { cronDiagnostics, problemToDiagnostic, sourceDiagnostic } from "./diagnostics";
import type { DocState, OpenDocuments } from "./openDocuments";
import { placeholderProblems } from "./placeholderSites";

/** How long typing must pause before the file is checked again. */
const CHECK_DELAY_MS = 150;

/**
 * Checks each workflow file when it is opened or saved and once typing
 * pauses, and publishes what the check found. `workflowNamed` is called when
 * a check finds the file's workflow name changed (CodeLens show it).
 */
export function serveDiagnostics(
  connection: Connection,
  services: AgentServices,
  docs: OpenDocuments,
  workflowNamed: () => void,
): void {
  const { documents, states, stateOf, isWorkflow, scanOf } = docs;
  const log = (message: string) => services.events.emit("agent:log", { level: "warn", message: `language features: ${message}` });

  const schedule = (doc: TextDocument, delayMs: number) => {
    if (!isWorkflow(doc.uri)) return;
    const s = stateOf(doc.uri);
    clearTimeout(s.timer);
    s.inFlight?.abort();
    s.timer = setTimeout(() => void check(doc.uri), delayMs);
  };

  const check = async (uri: string): Promise<void> => {
    const s = stateOf(uri);
    if (s.checking) {
      s.again = true;
      return s.checking;
    }
    s.checking = (async () => {
      do {
        s.again = false;
        const doc = documents.get(uri);
        if (!doc) return;
        const published = await checkOnce(doc, s);
        if (published === "stale") continue;
      } while (s.again);
    })()
      .catch((error) => log(`checking ${uri} failed: ${messageOf(error)}`))
      .finally(() => (s.checking = undefined));
    return s.checking;
  };

  const checkOnce = async (doc: TextDocument, s: DocState): Promise<"published" | "stale"> => {
    const { uri, version } = doc;
    const file = fileURLToPath(uri);
    const controller = new AbortController();
    s.inFlight = controller;
    let result: { workflow?: { name: string }; problems: WorkflowProblem[] };
    try {
      result = await services.editorLoader.check(file, doc.getText(), { signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) return "stale";
      throw error;
    } finally {
      if (s.inFlight === controller) s.inFlight = undefined;
    }
    const current = documents.get(uri);
    if (!current || current.version !== version) return "stale";
    const before = s.workflowName;
    if (result.workflow) s.workflowName = result.workflow.name;
    const scan = scanOf(current);
    const diagnostics = [
      ...result.problems.map((p) => problemToDiagnostic(p, current, file)),
      // The loader validates placeholders only once the file loads; until then the source scan says what it can.
      ...(result.workflow ? [] : placeholderProblems(scan).map((p) => sourceDiagnostic(p, current))),
      ...cronDiagnostics(scan, current, (e) => services.cronPreview(e, undefined, 1)),
    ];
    await connection.sendDiagnostics({ uri, version, diagnostics });
    if (before !== s.workflowName) workflowNamed();
    return "published";
  };

  // Opening a document also reports a content change; the immediate check wins.
  documents.onDidOpen((e) => schedule(e.document, 0));
  documents.onDidSave((e) => schedule(e.document, 0));
  documents.onDidChangeContent((e) => schedule(e.document, CHECK_DELAY_MS));
  documents.onDidClose((e) => {
    const s = states.get(e.document.uri);
    clearTimeout(s?.timer);
    s?.inFlight?.abort();
    states.delete(e.document.uri);
    if (isWorkflow(e.document.uri)) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }).catch(() => undefined);
  });
}
