// The entry of the MCP bundle (dist/mcp.js): `clockwork mcp` loads it only
// when it runs, so the SDK never weighs on the start of other commands.
import type { Config } from "../config";
import { AgentAccess } from "./agentAccess";
import { serveHttp } from "./http";
import { createMcpServer } from "./server";
import { serveStdio } from "./stdio";
import { workflowFiles } from "./workflowFiles";

export interface McpRunOptions {
  config: Config;
  /** Relative workflow paths in tool calls are taken from here; over HTTP, files must be inside it. */
  cwd: string;
  /** Serve Streamable HTTP on this loopback port (with `config.apiToken`); stdio when absent. */
  httpPort?: number;
  startAgent: boolean;
  log: (line: string) => void;
}

/** Serves over stdio until the host closes it, or over HTTP until SIGINT/SIGTERM; resolves with the exit code. */
export async function runMcp(options: McpRunOptions): Promise<number> {
  const agent = new AgentAccess({ config: options.config, startAgent: options.startAgent, log: options.log });
  const files = workflowFiles(options.cwd, options.httpPort !== undefined);
  const newServer = () => createMcpServer({ agent, files });
  if (options.httpPort === undefined) {
    await serveStdio(newServer());
    return 0;
  }
  const http = await serveHttp({ port: options.httpPort, token: options.config.apiToken!, createServer: newServer, log: options.log });
  process.stdout.write(`serving MCP (Streamable HTTP) on ${http.url}; clients send Authorization: Bearer $CLOCKWORK_API_TOKEN\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await http.close();
  return 0;
}
