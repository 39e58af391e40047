// `clockwork mcp [--http PORT] [--no-start-agent]`: Clockwork as an MCP
// server, so AI tools can list triggers and runs, run a workflow, register
// a schedule and preview cron. The tools talk to the agent over its socket
// and start it when none answers, as the editor does.
//
// The MCP server is a bundle of its own (dist/mcp.js, from agent/mcp/main.ts),
// loaded only when this command runs: the SDK would otherwise add to the
// start-up time of every other command.
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../config";
import { invalid } from "../../errors";
import { exitWithError } from "../output";

interface McpOptions {
  http?: string;
  cwd?: string;
  startAgent: boolean;
}

export function mcpCommands(program: Command): void {
  program
    .command("mcp")
    .description("Serve Clockwork's tools to AI assistants over MCP: stdio by default, or --http on loopback with a token")
    .option("--http <port>", "serve Streamable HTTP on 127.0.0.1:<port>/mcp instead of stdio (0: any free port); needs CLOCKWORK_API_TOKEN")
    .option("--cwd <folder>", "take relative workflow paths in tool calls from this folder (default: the current one)")
    .option("--no-start-agent", "do not start the agent when none is running; tools then fail with how to start it")
    .addHelpText(
      "after",
      `
Tools: list_triggers, list_runs, get_run, get_run_logs, run_workflow,
cancel_run, register_schedule, pause_trigger, resume_trigger, preview_cron.

In VS Code's .vscode/mcp.json:
  { "servers": { "clockwork": { "type": "stdio", "command": "clockwork",
                                "args": ["mcp", "--cwd", "\${workspaceFolder}"] } } }

Over HTTP, clients send Authorization: Bearer $CLOCKWORK_API_TOKEN:
  CLOCKWORK_API_TOKEN=... clockwork mcp --http 8788

See docs/mcp.md.`,
    )
    .action(async (options: McpOptions) => {
      const config = loadConfig();
      const log = (line: string) => process.stderr.write(`clockwork mcp: ${line}\n`);
      const port = options.http === undefined ? undefined : parsePort(options.http);
      const cwd = options.cwd === undefined ? process.cwd() : checkFolder(options.cwd);
      if (port !== undefined && !config.apiToken) {
        exitWithError(
          invalid(
            "--http needs CLOCKWORK_API_TOKEN: clients must send it as `Authorization: Bearer <token>`; set it to a long random value (e.g. `openssl rand -hex 32`) and give the same value to the client",
          ),
        );
      }
      const { runMcp } = loadMcpBundle();
      const code = await runMcp({ config, cwd, startAgent: options.startAgent, log, ...(port === undefined ? {} : { httpPort: port }) }).catch(
        (error: unknown) => exitWithError(port === undefined ? error : listenError(port, error)),
      );
      process.exit(code);
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) exitWithError(invalid(`--http: "${value}" is not a port number (0-65535)`));
  return port;
}

function checkFolder(value: string): string {
  const folder = resolve(value);
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) exitWithError(invalid(`--cwd: ${folder} is not a folder`));
  return folder;
}

function listenError(port: number, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? invalid(`--http ${port}: cannot listen on 127.0.0.1 (${code})`) : (error as Error);
}

type McpBundle = typeof import("../../mcp/main");

/** dist/mcp.js: beside this bundle once built, or in dist/ when running from source. */
function loadMcpBundle(): McpBundle {
  const candidates = [join(__dirname, "mcp.js"), join(__dirname, "..", "..", "..", "dist", "mcp.js")];
  const bundle = candidates.find((file) => existsSync(file));
  if (!bundle) throw new Error(`the MCP server bundle is missing (looked for ${candidates.join(", ")}); build it with \`npm run build\``);
  return require(bundle) as McpBundle;
}
