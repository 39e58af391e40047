// The editor's view of mcp steps, served by a real agent over its socket as
// the VS Code extension uses it: completion of the servers configured in
// mcp.json, a hover naming the server and tool a step calls, and the load
// error for a server mcp.json does not have, at the step's server option.
import assert from "node:assert/strict";
import net from "node:net";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import type { CompletionList, Diagnostic, Hover, PublishDiagnosticsParams } from "vscode-languageserver-protocol";
import { AgentProcess, removeDir, tempHome, writeWorkflow } from "./agent-harness";
import { EVERYTHING, NODE, writeMcpConfig } from "./mcp-harness";

const SOURCE = `import { defineWorkflow, mcp } from "clockwork";

export default defineWorkflow({
  name: "editor-mcp",
  steps: [
    mcp("issues", { server: "github", tool: "search_issues", arguments: { q: "is:open" } }),
    mcp("echo", { server: { command: "npx", env: { TOKEN: "\${env:GH_TOKEN}" } }, tool: "echo", arguments: { message: "{issues}" } }),
  ],
});
`;

describe("mcp steps in the editor", { timeout: 60_000 }, () => {
  let home: string;
  let agent: AgentProcess;
  let socket: net.Socket;
  let lsp: MessageConnection;
  let uri: string;
  const published: PublishDiagnosticsParams[] = [];
  const waiters: Array<() => void> = [];

  async function diagnosticsFor(version: number): Promise<Diagnostic[]> {
    for (;;) {
      const found = published.find((p) => p.uri === uri && p.version === version);
      if (found) return found.diagnostics;
      await new Promise<void>((wake) => waiters.push(wake));
    }
  }

  const positionOf = (text: string, source = SOURCE, delta = 0) => {
    const offset = source.indexOf(text) + delta;
    const before = source.slice(0, offset).split("\n");
    return { line: before.length - 1, character: before[before.length - 1]!.length };
  };

  before(async () => {
    home = tempHome("mcp-editor");
    const ws = join(home, "ws");
    mkdirSync(ws);
    writeMcpConfig(home, { servers: { github: { type: "http", url: "https://api.example.com/mcp", headers: { Authorization: "Bearer ${env:GH_TOKEN}" } } }, mcpServers: { everything: { command: NODE, args: [EVERYTHING] } } });
    const file = writeWorkflow(ws, "editor.workflow.ts", SOURCE);
    uri = pathToFileURL(file).href;
    agent = await AgentProcess.start(home);
    socket = net.connect(agent.socketPath);
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    lsp = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
    lsp.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      published.push(p);
      for (const wake of waiters.splice(0)) wake();
    });
    lsp.onRequest("workspace/codeLens/refresh", () => null);
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

  it("loads the file without a problem: ${env:NAME} in a server is no placeholder", async () => {
    assert.deepEqual(await diagnosticsFor(1), []);
  });

  it("completes a server's name with the servers mcp.json configures", async () => {
    const position = positionOf('"github"', SOURCE, 1);
    const list = (await lsp.sendRequest("textDocument/completion", { textDocument: { uri }, position })) as CompletionList;
    assert.deepEqual(list.items.map((i) => i.label), ["github", "everything"]);
    assert.match(list.items[0]!.detail!, /^MCP server in .*mcp\.json$/);
  });

  it("shows the server and tool a step calls on hover over its name, never a header's value", async () => {
    const hover = (await lsp.sendRequest("textDocument/hover", { textDocument: { uri }, position: positionOf('"issues"', SOURCE, 2) })) as Hover;
    const text = (hover.contents as { value: string }).value;
    assert.match(text, /Calls tool `search_issues` on MCP server `github`: Streamable HTTP at https:\/\/api\.example\.com\/mcp\./);
    assert.doesNotMatch(text, /Bearer/);
    const inline = (await lsp.sendRequest("textDocument/hover", { textDocument: { uri }, position: positionOf('"echo"', SOURCE, 2) })) as Hover;
    assert.match((inline.contents as { value: string }).value, /Calls tool `echo` on the MCP server written here \(stdio: npx\)\./);
  });

  it("reports a server mcp.json does not have at the step's server option, with the names it has", async () => {
    const text = SOURCE.replace('server: "github"', 'server: "gitub"');
    lsp.sendNotification("textDocument/didChange", { textDocument: { uri, version: 2 }, contentChanges: [{ text }] });
    const [problem, ...rest] = await diagnosticsFor(2);
    assert.deepEqual(rest, []);
    assert.match(problem!.message, /^step "issues" \(mcp\): no MCP server named "gitub" in .*mcp\.json \(did you mean "github"\?\); the servers it configures: "github", "everything"$/);
    assert.equal(problem!.range.start.line, positionOf("server: \"gitub\"", text).line);
  });
});
