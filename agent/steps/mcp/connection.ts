// One MCP client session with one server, over stdio (a process group of
// its own) or Streamable HTTP, through the official SDK's Client.
//
// This module is a bundle of its own (dist/mcpClient.js), loaded the first
// time a run calls a tool (./loadClient.ts): the SDK would otherwise add to
// the start-up of every command. Errors leave it as plain Errors with
// messages; the step turns them into step failures, because a class
// defined here is not the same class in the main bundle.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { LoggingMessageNotificationSchema, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { GroupStdioTransport, type StdioServer } from "./stdioTransport";

export type ConnectTarget = ({ transport: "stdio" } & StdioServer) | { transport: "http"; url: string; headers: Record<string, string> };

export interface ConnectionHooks {
  /** A stdio server's process started (it leads its own group). */
  started(pid: number): void;
  /** A stdio server's process group has ended. */
  ended(pid: number): void;
  /** What the server wrote on stderr. */
  stderr(text: string): void;
  /** A line about the session: the server's log messages, lines it wrote that were not MCP. */
  note(text: string): void;
}

export interface McpConnection {
  /** The server's process (stdio only). */
  readonly pid: number | undefined;
  /** What the server said it is in the handshake. */
  readonly serverName: string | undefined;
  /** Every tool, all pages. */
  listTools(signal: AbortSignal, timeoutMs: number): Promise<Tool[]>;
  callTool(name: string, args: Record<string, unknown>, signal: AbortSignal, timeoutMs: number): Promise<CallToolResult>;
  /** Why the session is over (the server exited, …), or undefined while it is usable. */
  ending(): string | undefined;
  /** The last lines the server wrote on stderr (stdio only). */
  stderrTail(): string;
  /** Ends the session: a stdio server's whole group is ended, an HTTP session is terminated. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  target: ConnectTarget;
  clientVersion: string;
  hooks: ConnectionHooks;
  signal: AbortSignal;
  timeoutMs: number;
}

/** How long closing an HTTP session may wait for the server to answer its DELETE. */
const TERMINATE_WAIT_MS = 2000;

/** Starts the server (stdio) or reaches it (HTTP) and completes the MCP handshake. */
export async function openMcpConnection(options: ConnectOptions): Promise<McpConnection> {
  const { target, hooks } = options;
  const stdio = target.transport === "stdio" ? new GroupStdioTransport(target, { started: hooks.started, stderr: hooks.stderr }) : undefined;
  const transport: Transport = stdio ?? new StreamableHTTPClientTransport(new URL(httpUrl(target)), { requestInit: { headers: httpHeaders(target) } });
  let closedByUs = false;
  let lostReason: string | undefined;
  const client = new Client({ name: "clockwork", version: options.clientVersion }, { capabilities: {} });
  client.onerror = (error) => hooks.note(error.message);
  client.onclose = () => {
    if (!closedByUs) lostReason ??= stdio?.ending ?? "closed the session";
  };
  client.setNotificationHandler(LoggingMessageNotificationSchema, ({ params }) => {
    const data = typeof params.data === "string" ? params.data : JSON.stringify(params.data);
    hooks.note(`server log (${params.level}${params.logger ? `, ${params.logger}` : ""}): ${data}`);
  });
  const close = async () => {
    if (closedByUs) return;
    closedByUs = true;
    if (transport instanceof StreamableHTTPClientTransport) await terminate(transport);
    const pid = stdio?.pid;
    await client.close();
    if (pid !== undefined) hooks.ended(pid);
  };
  try {
    await client.connect(transport, { signal: options.signal, timeout: options.timeoutMs });
  } catch (error) {
    // How a stdio server ended and what it said, before it is stopped: the step's message needs both.
    if (stdio && error !== null && typeof error === "object") Object.assign(error, { mcpEnding: stdio.ending, mcpStderr: stdio.stderrTail });
    await close().catch(() => undefined);
    throw error;
  }
  return {
    get pid() {
      return stdio?.pid;
    },
    serverName: client.getServerVersion()?.name,
    listTools: (signal, timeoutMs) => listAllTools(client, signal, timeoutMs),
    callTool: async (name, args, signal, timeoutMs) =>
      (await client.callTool({ name, arguments: args }, undefined, { signal, timeout: timeoutMs })) as CallToolResult,
    ending: () => (closedByUs ? "was closed" : (lostReason ?? stdio?.ending)),
    stderrTail: () => stdio?.stderrTail ?? "",
    close,
  };
}

async function listAllTools(client: Client, signal: AbortSignal, timeoutMs: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor }, { signal, timeout: timeoutMs });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** Ends the server's session (DELETE), without waiting long for a server that does not answer. */
async function terminate(transport: StreamableHTTPClientTransport): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, TERMINATE_WAIT_MS)));
  await Promise.race([transport.terminateSession().catch(() => undefined), timeout]);
  clearTimeout(timer);
}

const httpUrl = (target: ConnectTarget) => (target.transport === "http" ? target.url : "");
const httpHeaders = (target: ConnectTarget) => (target.transport === "http" ? target.headers : {});
