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
  type ServerCapabilities,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { AgentServices } from "../daemon/services";
import type { AgentConnection } from "../daemon/socketServer";
import { messageOf } from "../errors";
import { bundleWorkflow, CompileErrors } from "../workflow/compile";
import { checkWorkflow, type WorkflowProblem } from "../workflow/load";
import { workflowLenses } from "./codeLens";
import { cronDiagnostics, problemToDiagnostic, sourceDiagnostic } from "./diagnostics";
import { hoverAt } from "./hover";
import { completionSite, placeholderCompletions, placeholderProblems, type PlaceholderCompletion } from "./placeholderSites";
import { scanSource, type SourceScan } from "./sourceScan";

/** How long typing must pause before the file is checked again. */
const CHECK_DELAY_MS = 250;
/** CodeLens say "in 3 min": ask the client to fetch them again this often while files are open. */
const LENS_REFRESH_MS = 60_000;

export const WORKFLOW_FILE = /\.workflow\.(ts|js|mjs)$/;

export const languageCapabilities: ServerCapabilities = {
  textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
  codeLensProvider: { resolveProvider: false },
  hoverProvider: true,
  completionProvider: { triggerCharacters: ["{", "."], resolveProvider: false },
};

/**
 * `full` runs the loader on the text, which evaluates the file's top-level
 * code as a run would: done when a file is opened or saved. `quick` only
 * compiles it and checks placeholders and cron strings in the source: done
 * while the user types, so half-typed code (a loop being written, a call with
 * side effects) is never executed inside the agent on each keystroke.
 */
type CheckKind = "full" | "quick";

interface DocState {
  timer?: NodeJS.Timeout;
  next?: CheckKind;
  checking?: Promise<void>;
  again?: boolean;
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
  connection: AgentConnection,
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

  // ---- diagnostics
  const schedule = (doc: TextDocument, kind: CheckKind) => {
    if (!isWorkflow(doc.uri)) return;
    const s = stateOf(doc.uri);
    if (kind === "full" || s.next !== "full") s.next = kind;
    clearTimeout(s.timer);
    s.timer = setTimeout(() => void check(doc.uri), kind === "full" ? 0 : CHECK_DELAY_MS);
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
        const version = doc.version;
        const kind = s.next ?? "quick";
        s.next = undefined;
        const file = fileURLToPath(uri);
        const text = doc.getText();
        let problems: WorkflowProblem[];
        if (kind === "full") {
          const result = await checkWorkflow(file, text, { cacheDir: null });
          if (result.workflow) s.workflowName = result.workflow.name;
          problems = result.problems;
        } else problems = await compileProblems(file, text);
        const current = documents.get(uri);
        if (!current || current.version !== version) continue;
        const before = s.workflowName;
        const scan = scanOf(current);
        const diagnostics = [
          ...problems.map((p) => problemToDiagnostic(p, current, file)),
          ...(kind === "quick" ? placeholderProblems(scan).map((p) => sourceDiagnostic(p, current)) : []),
          ...cronDiagnostics(scan, current, (e) => services.cronPreview(e, undefined, 1)),
        ];
        await connection.sendDiagnostics({ uri, version, diagnostics });
        if (before !== s.workflowName) refreshLenses();
      } while (s.again);
    })()
      .catch((error) => log(`checking ${uri} failed: ${messageOf(error)}`))
      .finally(() => (s.checking = undefined));
    return s.checking;
  };

  // Opening a document also reports a content change; the full check wins.
  documents.onDidOpen((e) => schedule(e.document, "full"));
  documents.onDidSave((e) => schedule(e.document, "full"));
  documents.onDidChangeContent((e) => schedule(e.document, "quick"));
  documents.onDidClose((e) => {
    const s = states.get(e.document.uri);
    clearTimeout(s?.timer);
    states.delete(e.document.uri);
    if (isWorkflow(e.document.uri)) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }).catch(() => undefined);
  });

  // ---- CodeLens
  connection.onCodeLens(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc || !isWorkflow(doc.uri)) return [];
    const scan = scanOf(doc);
    const at = doc.positionAt(scan.workflowAt ?? 0);
    const file = resolve(fileURLToPath(doc.uri));
    const triggers = services.store.triggers.list().filter((t) => resolve(t.workflowFile) === file);
    const name = stateOf(doc.uri).workflowName ?? triggers[0]?.workflowName;
    const lastRun = name ? services.store.runs.listRuns({ workflow: name, limit: 1 })[0] : undefined;
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

/** Syntax errors and warnings from compiling the text, without running it. */
async function compileProblems(file: string, text: string): Promise<WorkflowProblem[]> {
  const own = <T extends { file: string }>({ file: where, ...p }: T) => ({ ...p, ...(where !== file ? { file: where } : {}) });
  try {
    return (await bundleWorkflow(file, text)).warnings.map(own);
  } catch (error) {
    if (error instanceof CompileErrors) return error.problems.map(own);
    return [{ message: `esbuild could not bundle the file: ${messageOf(error)}`, line: 1, column: 1, severity: "error" }];
  }
}

const KINDS: Record<PlaceholderCompletion["kind"], CompletionItemKind> = {
  step: CompletionItemKind.Variable,
  previous: CompletionItemKind.Reference,
  trigger: CompletionItemKind.Field,
  run: CompletionItemKind.Field,
};
