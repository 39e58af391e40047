// $CLOCKWORK_HOME/mcp.json: the MCP servers a workflow can name instead of
// writing them out. The file says which commands run, so it is used only
// when it is the user's own and nobody else can write to it, as every other
// file in the home.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../config";
import { describeServer, McpConfigError, parseMcpConfig, type McpConfigEntry, type McpServerDefinition } from "../../core/mcpServers";
import { suggest } from "../../core/suggest";
import { messageOf } from "../../errors";
import { checkOwnFile } from "../../privateHome";

export const MCP_CONFIG_NAME = "mcp.json";

export interface McpConfigFile {
  file: string;
  exists: boolean;
  entries: ReadonlyMap<string, McpConfigEntry>;
}

/** Where the servers are configured: mcp.json in the home. */
export function mcpConfigPath(home: string = loadConfig().home): string {
  return join(home, MCP_CONFIG_NAME);
}

/**
 * Reads the file (a missing one has no servers); throws McpConfigError,
 * starting with the path, when it is someone else's, writable by others,
 * or not a configuration.
 */
export function readMcpConfig(file: string = mcpConfigPath()): McpConfigFile {
  let exists: boolean;
  try {
    exists = checkOwnFile(file);
  } catch (error) {
    throw new McpConfigError(messageOf(error));
  }
  if (!exists) return { file, exists, entries: new Map() };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new McpConfigError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`);
  }
  try {
    return { file, exists, entries: parseMcpConfig(text) };
  } catch (error) {
    throw new McpConfigError(`${file} ${messageOf(error)}`);
  }
}

/** The server `name` configures; McpConfigError saying which names exist when it is not there or cannot be used. */
export function namedServer(config: McpConfigFile, name: string): McpServerDefinition {
  const entry = config.entries.get(name);
  if (entry === undefined) {
    if (!config.exists) {
      throw new McpConfigError(
        `no MCP server named "${name}": there is no ${config.file}; configure servers there as { "servers": { "${name}": { "command": "…", "args": […] } } }, or write the server in the step`,
      );
    }
    const names = [...config.entries.keys()];
    const known = names.length === 0 ? "it configures none" : `the servers it configures: ${names.map((n) => `"${n}"`).join(", ")}`;
    throw new McpConfigError(`no MCP server named "${name}" in ${config.file}${suggest(name, names)}; ${known}`);
  }
  if ("problem" in entry) throw new McpConfigError(`the MCP server "${name}" in ${config.file} cannot be used: ${entry.problem}`);
  return entry.server;
}

/** The configured names, for completion; none when the file cannot be read. */
export function configuredServerNames(file: string = mcpConfigPath()): string[] {
  try {
    return [...readMcpConfig(file).entries.keys()];
  } catch {
    return [];
  }
}

/** What the server `name` is (`stdio: npx -y …`), or why the file has none by that name; for the editor's hover. */
export function describeNamedServer(name: string, file: string = mcpConfigPath()): string {
  try {
    return describeServer(namedServer(readMcpConfig(file), name));
  } catch (error) {
    return messageOf(error);
  }
}
