// The documents one client has open, and what the editor features keep for
// each: the last source scan (shared by diagnostics, CodeLens, hover and
// completion, made once per version) and the state of its check.
import { TextDocuments } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { scanSource, type SourceScan } from "./sourceScan";

export const WORKFLOW_FILE = /\.workflow\.(ts|js|mjs)$/;

export interface DocState {
  timer?: NodeJS.Timeout;
  checking?: Promise<void>;
  again?: boolean;
  /** Aborts the evaluation in flight: a newer text makes its answer useless. */
  inFlight?: AbortController;
  /** The workflow's name, once the file has loaded. */
  workflowName?: string;
  scan?: { version: number; scan: SourceScan };
}

export interface OpenDocuments {
  readonly documents: TextDocuments<TextDocument>;
  readonly states: Map<string, DocState>;
  stateOf(uri: string): DocState;
  /** Features apply to workflow files on disk only, never to an untitled buffer. */
  isWorkflow(uri: string): boolean;
  /** The source scan of this version of the document, made once. */
  scanOf(doc: TextDocument): SourceScan;
}

export function openDocuments(): OpenDocuments {
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocState>();
  const stateOf = (uri: string) => {
    let s = states.get(uri);
    if (!s) states.set(uri, (s = {}));
    return s;
  };
  const isWorkflow = (uri: string) => uri.startsWith("file:") && WORKFLOW_FILE.test(uri);

  const scanOf = (doc: TextDocument): SourceScan => {
    const s = stateOf(doc.uri);
    if (s.scan?.version !== doc.version) s.scan = { version: doc.version, scan: scanSource(doc.getText()) };
    return s.scan.scan;
  };
  return { documents, states, stateOf, isWorkflow, scanOf };
}
