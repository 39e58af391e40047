// `clockwork mcp`: the MCP server over standard input and output, the way
// MCP hosts (VS Code, Claude Desktop, …) start local servers. Standard
// output carries only MCP messages; anything for a person goes to stderr,
// which hosts show in their logs.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

/** Serves until the host closes our standard input (its way of ending a server), then closes the server. */
export async function serveStdio(server: McpServer): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
  });
  await server.connect(new StdioServerTransport());
  await ended;
  // Calls still running (a run_workflow that waits) are aborted; their runs go on in the agent.
  await server.close();
}
