// CodeLens above a workflow: its triggers, its last run, and the commands to
// run or schedule it. They say "in 3 min", so the client is asked to fetch
// them again whenever a trigger or run changes, and once a minute.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CodeLensRefreshRequest, type Connection } from "vscode-languageserver";
import type { AgentServices } from "../daemon/services";
import { workflowLenses } from "./codeLens";
import type { OpenDocuments } from "./openDocuments";

/** The most triggers named above one workflow; the rest are counted ("+12 more"). */
const LENS_TRIGGERS = 10;

/** CodeLens say "in 3 min": ask the client to fetch them again this often while files are open. */
const LENS_REFRESH_MS = 60_000;

export interface ServedLenses {
  /** Asks the client to fetch the lenses again (coalesced). */
  refresh(): void;
  /** Stops the refresh timers and event subscriptions. */
  dispose(): void;
}

export function serveCodeLens(connection: Connection, services: AgentServices, docs: OpenDocuments): ServedLenses {
  const { documents, stateOf, isWorkflow, scanOf } = docs;
  connection.onCodeLens(async ({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc || !isWorkflow(doc.uri)) return [];
    const scan = scanOf(doc);
    const at = doc.positionAt(scan.workflowAt ?? 0);
    const file = resolve(fileURLToPath(doc.uri));
    // Asked again after every trigger change: only this file's triggers, on an index, and only as many as a line shows.
    const { records: triggers, total } = await services.store.triggers.ofWorkflowFile(file, LENS_TRIGGERS);
    const name = stateOf(doc.uri).workflowName ?? triggers[0]?.workflowName;
    const lastRun = name ? (await services.store.runs.listRuns({ workflow: name, limit: 1 }))[0] : undefined;
    const moreTriggers = total - triggers.length;
    return workflowLenses({ uri: doc.uri, range: { start: at, end: at }, triggers, moreTriggers, lastRun, nowMs: Date.now() });
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

  return {
    refresh: refreshLenses,
    dispose: () => {
      offs.forEach((off) => off());
      clearInterval(ticker);
      clearTimeout(refreshTimer);
    },
  };
}
