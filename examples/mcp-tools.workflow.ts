// Calls tools on an MCP server: the reference "everything" server, started
// with npx for the run (the first run downloads it, hence the longer
// timeout) and ended with it. Its three steps share one server process.
//
//   clockwork run mcp-tools.workflow.ts --body '{"name": "Ada", "a": 2, "b": 3}'
//
// A server used by several workflows goes in ~/.clockwork/mcp.json instead
// (the same "servers" / "mcpServers" file VS Code and Claude Desktop read)
// and is named by its key: mcp("x", { server: "everything", tool: … }).
import { defineWorkflow, mcp, shell } from "clockwork";

const everything = { command: "npx", args: ["-y", "@modelcontextprotocol/server-everything"] };

export default defineWorkflow({
  name: "mcp-tools",
  steps: [
    mcp("greeting", { server: everything, tool: "echo", arguments: { message: "Hello, {trigger.body.name}!" }, timeout: "3m" }),
    // Exactly one {trigger.body…} placeholder keeps the body's JSON type: a and b arrive as numbers.
    mcp("sum", { server: everything, tool: "get-sum", arguments: { a: "{trigger.body.a}", b: "{trigger.body.b}" } }),
    mcp("weather", { server: everything, tool: "get-structured-content", arguments: { location: "Chicago" } }),
    shell("show", ["echo", "{greeting} {sum} {weather}"]),
  ],
});
