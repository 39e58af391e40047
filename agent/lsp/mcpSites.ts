// mcp steps as the editor reads them from the source: where a server's name
// is typed (completion offers the names configured in mcp.json), and which
// server and tool a step calls (its hover says so). Pure; the configured
// servers are passed in.
import type { SourceScan, StringSegment } from "./sourceScan";
import { stringAt } from "./sourceScan";

/** The `server: "…"` string of an mcp step under the cursor, whose whole text a completion replaces. */
export function mcpServerNameAt(scan: SourceScan, offset: number): StringSegment | undefined {
  const s = stringAt(scan, offset);
  if (!s || s.step === undefined || s.isKey || s.quote === "`") return undefined;
  return scan.steps[s.step]?.kind === "mcp" && isOption(s, "server") ? s : undefined;
}

/** A value written directly under an option (`server: "x"`), not deeper inside it. */
function isOption(s: StringSegment, option: string): boolean {
  return s.option === option && s.key === option && !s.isKey;
}

export interface McpCallFacts {
  tool?: string;
  /** The name of a server in mcp.json. */
  serverName?: string;
  /** A server written in the step: its command or URL. */
  inline?: string;
}

/** The tool and server an mcp step names, as far as plain strings in its source say. */
export function mcpCallFacts(scan: SourceScan, index: number): McpCallFacts {
  const facts: McpCallFacts = {};
  for (const s of scan.strings) {
    if (s.step !== index || s.isKey) continue;
    if (isOption(s, "tool")) facts.tool = s.text;
    else if (isOption(s, "server")) facts.serverName = s.text;
    else if (s.option === "server" && s.key === "command") facts.inline = `stdio: ${s.text}`;
    else if (s.option === "server" && s.key === "url") facts.inline = `Streamable HTTP at ${s.text}`;
  }
  return facts;
}

/** The hover's lines for an mcp step; `describe` says what a configured server is (or why there is none). */
export function mcpHoverLines(facts: McpCallFacts, describe: (name: string) => string): string[] {
  const tool = facts.tool ? `tool \`${facts.tool}\`` : "a tool";
  if (facts.serverName !== undefined) return [`Calls ${tool} on MCP server \`${facts.serverName}\`: ${describe(facts.serverName)}.`];
  if (facts.inline !== undefined) return [`Calls ${tool} on the MCP server written here (${facts.inline}).`];
  return [`Calls ${tool} on an MCP server.`];
}
