// MCP server definitions: mcp.json as VS Code and Claude Desktop write it,
// servers written in a step, ${env:NAME} filled in from the environment,
// and what a tool's result becomes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  describeServer,
  expandServer,
  inlineServerProblem,
  McpConfigError,
  parseMcpConfig,
  stripJsonComments,
  type McpServerDefinition,
} from "../../agent/core/mcpServers";
import { toolOutput } from "../../agent/steps/mcp/toolResult";

function parseError(text: string): string {
  try {
    parseMcpConfig(text);
  } catch (error) {
    assert.ok(error instanceof McpConfigError);
    return error.message;
  }
  assert.fail("expected the file to be refused");
}

describe("reading mcp.json", () => {
  test("VS Code's servers and Claude Desktop's mcpServers are both read, with the transport from the shape or the type", () => {
    const entries = parseMcpConfig(
      JSON.stringify({
        servers: { gh: { type: "http", url: "https://api.example/mcp", headers: { Authorization: "Bearer ${env:GH}" } } },
        mcpServers: { fs: { command: "npx", args: ["-y", "server-filesystem", "/tmp"], env: { DEBUG: 1, UNSET: null } }, web: { url: "http://127.0.0.1:3001/mcp" } },
        inputs: [{ id: "token", type: "promptString" }],
      }),
    );
    assert.deepEqual(Object.fromEntries(entries), {
      gh: { server: { transport: "http", url: "https://api.example/mcp", headers: { Authorization: "Bearer ${env:GH}" } } },
      fs: { server: { transport: "stdio", command: "npx", args: ["-y", "server-filesystem", "/tmp"], env: { DEBUG: "1" } } },
      web: { server: { transport: "http", url: "http://127.0.0.1:3001/mcp", headers: {} } },
    });
  });

  test("comments and trailing commas, as VS Code writes them, are allowed; strings holding // or /* stay whole", () => {
    const text = `{
  // my servers
  "servers": {
    /* the docs one */
    "docs": { "url": "https://example.com/mcp?a=//x", "headers": { "X": "/* not a comment */", }, },
  },
}`;
    assert.equal(stripJsonComments(text).length, text.length, "offsets are kept");
    const docs = parseMcpConfig(text).get("docs");
    assert.deepEqual(docs, { server: { transport: "http", url: "https://example.com/mcp?a=//x", headers: { X: "/* not a comment */" } } });
  });

  test("a file that is not a configuration says where and what is wrong", () => {
    // The rest of the sentence is the JSON parser's, which differs between Node versions.
    assert.match(parseError('{\n  "servers": {\n    "a": { "command": "x" }\n    "b": {}\n  }\n}'), /^is not valid JSON: line 4, column 5: \S/);
    assert.equal(parseError("[]"), 'must be an object: { "servers": { "name": { "command": … } } }');
    assert.equal(parseError('{"mcp": {}}'), 'has no "servers" (or "mcpServers") object: { "servers": { "name": { "command": … } } }');
    assert.equal(parseError('{"servers": {"a": {"command": "x"}}, "mcpServers": {"a": {"command": "y"}}}'), 'the server "a" is under both "servers" and "mcpServers"; keep one');
  });

  test("an entry Clockwork cannot use keeps its reason, and other hosts' extra keys are ignored", () => {
    const entries = parseMcpConfig(
      JSON.stringify({
        servers: {
          old: { type: "sse", url: "http://h/sse" },
          file: { command: "x", envFile: "${workspaceFolder}/.env" },
          ws: { command: "x", args: ["${workspaceFolder}"] },
          ok: { command: "x", disabled: false, autoApprove: ["t"], gallery: true },
          odd: { type: "websocket", url: "ws://h" },
        },
      }),
    );
    assert.match((entries.get("old") as { problem: string }).problem, /SSE server .* does not speak; .* Streamable HTTP/);
    assert.match((entries.get("file") as { problem: string }).problem, /uses "envFile", which the mcp step does not read/);
    assert.equal(
      (entries.get("ws") as { problem: string }).problem,
      "its args[0] uses ${workspaceFolder}, which Clockwork cannot fill in: it fills in only ${env:NAME}, a variable of the agent's environment",
    );
    assert.deepEqual(entries.get("ok"), { server: { transport: "stdio", command: "x", args: [], env: {} } });
    assert.equal((entries.get("odd") as { problem: string }).problem, 'its "type" is "websocket"; use "stdio" or "http"');
  });
});

describe("servers written in a step", () => {
  test("the shape decides the transport, and a misspelt field is named", () => {
    assert.equal(inlineServerProblem({ command: "npx", args: ["-y", "x"], env: { A: "b" }, cwd: "sub" }), undefined);
    assert.equal(inlineServerProblem({ url: "http://127.0.0.1:1/mcp", headers: { A: "b" } }), undefined);
    assert.equal(inlineServerProblem({ command: "x", url: "http://h" }), "give either command (a stdio server) or url (Streamable HTTP), not both");
    assert.equal(inlineServerProblem({ url: "http://h", header: {} }), 'has an unknown field "header" (an HTTP server takes url, headers)');
    assert.equal(inlineServerProblem({ command: "x", args: "-y" }), "its args must be an array of strings");
    assert.equal(inlineServerProblem({ command: "x", env: { N: 1 } }), "its env.N must be a string");
  });
});

describe("${env:NAME} in a server's definition", () => {
  const server: McpServerDefinition = { transport: "http", url: "https://h/mcp?org=${env:ORG}", headers: { Authorization: "Bearer ${env:TOKEN}" } };

  test("is the variable's value where the run executes", () => {
    assert.deepEqual(expandServer(server, { TOKEN: "t0k", ORG: "acme" }), {
      transport: "http",
      url: "https://h/mcp?org=acme",
      headers: { Authorization: "Bearer t0k" },
    });
  });

  test("an unset variable is named, never replaced by an empty string", () => {
    assert.throws(
      () => expandServer(server, { ORG: "acme" }),
      new McpConfigError(
        "headers.Authorization names the environment variable TOKEN (${env:TOKEN}), which is not set where the run executes (the agent's environment for triggered runs, your shell for clockwork run)",
      ),
    );
  });

  test("a description shows the command or URL, never a header or an env value", () => {
    assert.equal(describeServer(expandServer(server, { TOKEN: "t0k", ORG: "acme" })), "Streamable HTTP at https://h/mcp?org=acme");
    const stdio: McpServerDefinition = { transport: "stdio", command: "node", args: ["/very/long/path/to/node_modules/server-everything/dist/index.js", "stdio"], env: { KEY: "s3cret" } };
    assert.equal(describeServer(stdio), "stdio: node …/server-everything/dist/index.js stdio");
  });
});

describe("what a tool's result becomes", () => {
  test("text content joined by newlines; structuredContent, when there is one, as JSON", () => {
    assert.deepEqual(toolOutput({ content: [{ type: "text", text: "one" }, { type: "text", text: "two" }] }), { text: "one\ntwo", notes: [] });
    assert.deepEqual(
      toolOutput({ content: [{ type: "text", text: '{"t": 36}' }], structuredContent: { t: 36, rain: true } }),
      { text: '{"t":36,"rain":true}', notes: [] },
    );
  });

  test("an embedded text resource is text; images and links are left out, and the log says so", () => {
    const result = toolOutput({
      content: [
        { type: "resource", resource: { uri: "file:///a.txt", text: "file text" } },
        { type: "image", data: "AAAA", mimeType: "image/png" },
        { type: "resource_link", uri: "file:///b.txt", name: "b" },
      ],
    });
    assert.equal(result.text, "file text");
    assert.deepEqual(result.notes, ["left out an image (image/png, 3 B): a step's output is text", "left out a link to file:///b.txt"]);
  });
});
