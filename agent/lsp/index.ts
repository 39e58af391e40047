// Editor features for workflow files, served over each socket client's LSP
// connection: diagnostics from the real loader (so the editor says exactly
// what a run would say), CodeLens to run and schedule, hover and completion
// for placeholders and cron strings. The pure parts live beside this file;
// this one wires them to the connection, the store and the agent's events.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CodeLensRefreshRequest,
  CompletionItemKind,
  MarkupKind,
  TextDocuments,
  TextDocumentSyncKind,
  type CompletionItem,
  type Connection,
  type ServerCapabilities,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { AgentServices } from "../daemon/services";
import { messageOf } from "../errors";
import type { WorkflowProblem } from "../workflow/load";
import { workflowLenses } from "./codeLens";
import { cronDiagnostics, problemToDiagnostic, sourceDiagnostic } from "./diagnostics";
import { hoverAt } from "./hover";
import { completionSite, placeholderCompletions, placeholderProblems, type PlaceholderCompletion } from "./placeholderSites";
import { scanSource, type SourceScan } from "./sourceScan";

/** How long typing must pause before the file is checked again. */
const CHECK_DELAY_MS = 150;
/** CodeLens say "in 3 min": ask the client to fetch them again this often while files are open. */
const LENS_REFRESH_MS = 60_000;

export const WORKFLOW_FILE = /\.workflow\.(ts|js|mjs)$/;

export const languageCapabilities: ServerCapabilities = {
  textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
  codeLensProvider: { resolveProvider: false },
  hoverProvider: true,
  completionProvider: { triggerCharacters: ["{", "."], resolveProvider: false },
};

interface DocState {
  timer?: NodeJS.Timeout;
  checking?: Promise<void>;
  again?: boolean;
  /** Aborts the evaluation in flight: a newer text makes its answer useless. */
  inFlight?: AbortController;
  /** The workflow's name, once the file has loaded. */
  workflowName?: string;
  scan?: { version: number; scan: SourceScan };
}

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
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocState>();
  const stateOf = (uri: string) => {
    let s = states.get(uri);
    if (!s) states.set(uri, (s = {}));
    return s;
  };
  const isWorkflow = (uri: string) => uri.startsWith("file:") && WORKFLOW_FILE.test(uri);
  const log = (message: string) => services.events.emit("agent:log", { level: "warn", message: `language features: ${message}` });

  const scanOf = (doc: TextDocument): SourceScan => {
    const s = stateOf(doc.uri);
    if (s.scan?.version !== doc.version) s.scan = { version: doc.version, scan: scanSource(doc.getText()) };
    return s.scan.scan;
  };

  // ---- diagnostics: the real loader on the editor's text, evaluated in the
  // editor's executor (the agent's loop never runs it), so what the editor
  // says is what a run would say, and an endless loop being typed costs an
  // executor, not the agent.
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
    if (before !== s.workflowName) refreshLenses();
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

  // ---- CodeLens
  connection.onCodeLens(async ({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc || !isWorkflow(doc.uri)) return [];
    const scan = scanOf(doc);
    const at = doc.positionAt(scan.workflowAt ?? 0);
    const file = resolve(fileURLToPath(doc.uri));
    const triggers = (await services.store.triggers.list()).filter((t) => resolve(t.workflowFile) === file);
    const name = stateOf(doc.uri).workflowName ?? triggers[0]?.workflowName;
    const lastRun = name ? (await services.store.runs.listRuns({ workflow: name, limit: 1 }))[0] : undefined;
    return workflowLenses({ uri: doc.uri, range: { start: at, end: at }, triggers, lastRun, nowMs: Date.now() });
  });

  let refreshTimer: NodeJS.Timeout | undefined;
  function refreshLenses(): void {
    if (refreshTimer || documents.all().length === 0) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      // A client without refresh support answers with an error; it will ask again on its own.
      connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    }, 200);
  }
  const offs = [
    services.events.on("triggers:changed", refreshLenses),
    services.events.on("run:started", refreshLenses),
    services.events.on("run:finished", refreshLenses),
  ];
  const ticker = setInterval(refreshLenses, LENS_REFRESH_MS);
  ticker.unref();

  // ---- hover
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
      nowMs: Date.now(),
    });
    if (!found) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: found.markdown },
      range: { start: doc.positionAt(found.start), end: doc.positionAt(found.end) },
    };
  });

  // ---- completion inside {…}
  connection.onCompletion(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc || !isWorkflow(doc.uri)) return null;
    const scan = scanOf(doc);
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

  documents.listen(connection);

  const teardown = () => {
    offs.forEach((off) => off());
    clearInterval(ticker);
    clearTimeout(refreshTimer);
    for (const s of states.values()) clearTimeout(s.timer);
    states.clear();
  };
  if (closed?.aborted) teardown();
  else closed?.addEventListener("abort", teardown, { once: true });

  return languageCapabilities;
}

const KINDS: Record<PlaceholderCompletion["kind"], CompletionItemKind> = {
  step: CompletionItemKind.Variable,
  previous: CompletionItemKind.Reference,
  trigger: CompletionItemKind.Field,
  run: CompletionItemKind.Field,
};
