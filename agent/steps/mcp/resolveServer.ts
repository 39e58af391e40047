// From a step's `server` option to what a connection needs: a named server
// looked up in mcp.json, `${env:NAME}` filled in from the run's environment,
// a stdio server's folder and environment decided.
import { statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { loadConfig } from "../../config";
import { describeServer, expandServer, inlineServer, McpConfigError, type McpServerDefinition } from "../../core/mcpServers";
import type { McpStep } from "../../sdk";
import { StepFailure, type StepContext } from "../types";
import type { ConnectTarget } from "./connection";
import { mcpConfigPath, namedServer, readMcpConfig } from "./configFile";

export interface ResolvedServer {
  /** `MCP server "github"`, or `MCP server (stdio: npx -y …)` for one written in the step. */
  label: string;
  /** Steps naming the same server (or writing the same one) share its session. */
  key: string;
  target: ConnectTarget;
}

/**
 * The few variables a stdio server inherits from the environment the run
 * executes in (as the MCP SDK's own default); anything else it needs is
 * given in its `env`, so the agent's secrets do not reach every server.
 */
const INHERITED = ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ"];

export function resolveServer(option: McpStep["options"]["server"], ctx: StepContext): ResolvedServer {
  const name = typeof option === "string" ? option : undefined;
  const definition = configFailure(() => (name === undefined ? inlineServer(option as unknown as Record<string, unknown>) : named(name, ctx)));
  const label = name === undefined ? `MCP server (${describeServer(definition)})` : `MCP server "${name}"`;
  const expanded = configFailure(() => expandServer(definition, ctx.env), label);
  return {
    label,
    key: JSON.stringify([name ?? null, definition]),
    target: expanded.transport === "http" ? expanded : stdioTarget(expanded, ctx),
  };
}

/** A configuration problem fails the step at once: no retry can fix the file. */
function configFailure<T>(read: () => T, label?: string): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof McpConfigError)) throw error;
    throw new StepFailure(label ? `${label}: ${error.message}` : error.message, { retryable: false });
  }
}

function named(name: string, ctx: StepContext): McpServerDefinition {
  return namedServer(readMcpConfig(mcpConfigPath(loadConfig(ctx.env).home)), name);
}

function stdioTarget(server: Extract<McpServerDefinition, { transport: "stdio" }>, ctx: StepContext): ConnectTarget {
  const base = dirname(ctx.workflow.file);
  const cwd = server.cwd === undefined ? base : isAbsolute(server.cwd) ? server.cwd : resolve(base, server.cwd);
  if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) {
    throw new StepFailure(`the MCP server's working directory ${cwd} does not exist or is not a folder`, { retryable: false });
  }
  const env: Record<string, string> = {};
  for (const key of INHERITED) if (ctx.env[key] !== undefined) env[key] = ctx.env[key]!;
  return { transport: "stdio", command: server.command, args: server.args, env: { ...env, ...server.env }, cwd };
}
