// The language features a real agent serves for workflow files, over its
// socket, as the VS Code extension uses them: diagnostics from the loader at
// the right position, CodeLens with the registered schedule and last run,
// hover over placeholders, completion inside {…}.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from "vscode-jsonrpc/node";
import type { CodeLens, CompletionList, Diagnostic, Hover, PublishDiagnosticsParams } from "vscode-languageserver-protocol";
import { AgentProcess, cli, removeDir, tempHome, writeWorkflow } from "./agent-harness";

const SOURCE = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "lsp-digest",
  steps: [
    shell("commits", "echo one"),
    shell("count", "echo {commits} {later}"),
    shell("later", "echo done"),
  ],
});
`;

describe("language features served by the agent", () => {
  let home: string;
  let agent: AgentProcess;
  let socket: net.Socket;
  let lsp: MessageConnection;
  let file: string;
  let uri: string;
  const published: PublishDiagnosticsParams[] = [];
  const waiters: Array<() => void> = [];
  let onRefresh: () => void = () => {};

  /** Resolves with the first diagnostics for `version` of the document. */
  async function diagnosticsFor(version: number): Promise<Diagnostic[]> {
    for (;;) {
      const found = published.find((p) => p.uri === uri && p.version === version);
      if (found) return found.diagnostics;
      await new Promise<void>((wake) => waiters.push(wake));
    }
  }

  before(async () => {
    home = tempHome("lsp");
    const ws = join(home, "ws");
    mkdirSync(ws);
    file = writeWorkflow(ws, "digest.workflow.ts", SOURCE);
    uri = pathToFileURL(file).href;
    agent = await AgentProcess.start(home);
    socket = net.connect(agent.socketPath);
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    lsp = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
    lsp.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      published.push(p);
      for (const wake of waiters.splice(0)) wake();
    });
    lsp.onRequest("workspace/codeLens/refresh", () => {
      onRefresh();
      return null;
    });
    lsp.listen();
    await lsp.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} });
    lsp.sendNotification("initialized", {});
    lsp.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text: SOURCE } });
  });

  after(async () => {
    lsp?.dispose();
    socket?.destroy();
    await agent?.stop();
    removeDir(home);
  });

  it("announces document sync, CodeLens, hover and completion in initialize", async () => {
    const socket2 = net.connect(agent.socketPath);
    await new Promise((resolve) => socket2.once("connect", resolve));
    const c = createMessageConnection(new StreamMessageReader(socket2), new StreamMessageWriter(socket2));
    c.listen();
    const result = (await c.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} })) as {
      capabilities: Record<string, unknown>;
    };
    c.dispose();
    socket2.destroy();
    assert.ok(result.capabilities.textDocumentSync);
    assert.ok(result.capabilities.codeLensProvider);
    assert.equal(result.capabilities.hoverProvider, true);
    assert.deepEqual((result.capabilities.completionProvider as { triggerCharacters: string[] }).triggerCharacters, ["{", ".", '"', "'"]);
  });

  it("reports a placeholder naming a later step at its position", async () => {
    const diagnostics = await diagnosticsFor(1);
    assert.equal(diagnostics.length, 1);
    const d = diagnostics[0]!;
    assert.match(d.message, /"later" runs after this step/);
    const line = SOURCE.split("\n")[d.range.start.line]!;
    assert.equal(line.slice(d.range.start.character, d.range.end.character), "{later}");
  });

  it("reports a syntax error of the unsaved text at its line and column, and clears it once fixed", async () => {
    const broken = SOURCE.replace('shell("later", "echo done")', 'shell("later" "echo done")');
    lsp.sendNotification("textDocument/didChange", { textDocument: { uri, version: 2 }, contentChanges: [{ text: broken }] });
    const diagnostics = await diagnosticsFor(2);
    // The syntax error, and (found in the source while typing) the placeholder naming a later step.
    assert.deepEqual(diagnostics.map((d) => d.range.start.line).sort(), [6, 7]);
    const syntax = diagnostics.find((d) => d.range.start.line === 7)!;
    assert.equal(syntax.range.start.character, broken.split("\n")[7]!.indexOf('"echo done"'));
    const fixed = SOURCE.replace(" {later}", "");
    lsp.sendNotification("textDocument/didChange", { textDocument: { uri, version: 3 }, contentChanges: [{ text: fixed }] });
    assert.deepEqual(await diagnosticsFor(3), []);
  });

  it("describes what a placeholder will read on hover", async () => {
    const line = 6;
    const character = SOURCE.split("\n")[line]!.indexOf("{commits}") + 3;
    const hover = (await lsp.sendRequest("textDocument/hover", { textDocument: { uri }, position: { line, character } })) as Hover;
    assert.match((hover.contents as { value: string }).value, /output of step `commits` \(shell, step 1\) in this run/);
  });

  it("completes earlier step names and trigger fields inside braces", async () => {
    const line = 6;
    const character = SOURCE.split("\n")[line]!.indexOf("{commits}") + 1;
    const list = (await lsp.sendRequest("textDocument/completion", { textDocument: { uri }, position: { line, character } })) as CompletionList;
    const labels = list.items.map((i) => i.label);
    assert.ok(labels.includes("commits"));
    assert.ok(labels.includes("trigger.body"));
    assert.ok(!labels.includes("later"));
  });

  it("shows Run Now and Schedule, then the registered schedule's next fire and the last run, refreshing lenses on changes", async () => {
    const lensTitles = async () =>
      ((await lsp.sendRequest("textDocument/codeLens", { textDocument: { uri } })) as CodeLens[]).map((l) => l.command?.title);
    assert.deepEqual(await lensTitles(), ["$(play) Run Now", "Schedule…"]);
    const refreshed = new Promise<void>((resolve) => (onRefresh = resolve));
    // The file on disk must load to be registered: drop the bad placeholder.
    writeWorkflow(join(home, "ws"), "digest.workflow.ts", SOURCE.replace(" {later}", ""));
    const registered = await cli(home, ["register", file, "--cron", "0 9 * * *", "--name", "lsp-daily", "--tz", "UTC"]);
    assert.equal(registered.code, 0, registered.stderr + registered.stdout);
    const run = await cli(home, ["run", file]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const titles = await lensTitles();
    assert.equal(titles[0], "$(play) Run Now");
    assert.match(titles[2] ?? "", /^\$\(watch\) lsp-daily next in /);
    assert.match(titles[3] ?? "", /^\$\(pass\) last run success /);
    // The agent asks the client to fetch the lenses again after such changes.
    await refreshed;
  });

  it("checks the text as it is typed by running it in an executor process, never in the agent", async () => {
    const marker = join(home, "ran-top-level-code");
    const text = `require("node:fs").writeFileSync(${JSON.stringify(marker)}, String(process.pid));\n${SOURCE.replace(" {later}", "")}`;
    lsp.sendNotification("textDocument/didChange", { textDocument: { uri, version: 4 }, contentChanges: [{ text }] });
    assert.deepEqual(await diagnosticsFor(4), []);
    assert.equal(existsSync(marker), true, "typing ran the loader, as a run would");
    const evaluatedBy = Number(readFileSync(marker, "utf8"));
    assert.notEqual(evaluatedBy, agent.pid, "the file's code ran outside the agent");
    assert.ok(evaluatedBy > 0);
  });
});
