// `clockwork mcp --http PORT`: the MCP server over Streamable HTTP, for
// hosts that connect to a URL instead of starting a process.
//
// Only the owner gets in: it listens on 127.0.0.1 only, every request needs
// `Authorization: Bearer $CLOCKWORK_API_TOKEN` (compared in constant time),
// and a Host or Origin that is not loopback is refused, so a web page that
// rebinds its own name to 127.0.0.1 cannot reach it either.
//
// Stateless: each POST gets a fresh McpServer and transport, and nothing is
// kept between requests, so no client can make the server hold sessions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { verifyBearer } from "../core/signature";
import { messageOf } from "../errors";

export const MCP_PATH = "/mcp";
/** The most a request body may hold; a run_workflow body is the only large thing a client sends. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

export interface HttpOptions {
  port: number;
  token: string;
  /** A new server for each request (stateless). */
  createServer: () => McpServer;
  log: (line: string) => void;
}

export interface McpHttpServer {
  /** e.g. http://127.0.0.1:8788/mcp */
  readonly url: string;
  close(): Promise<void>;
}

export async function serveHttp(options: HttpOptions): Promise<McpHttpServer> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      options.log(`request failed: ${messageOf(error)}`);
      if (!res.headersSent) reply(res, 500, "internal error");
      else res.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await listen(server, options.port);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${MCP_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HttpOptions): Promise<void> {
  const refusal = refuse(req);
  if (refusal) return reply(res, refusal.status, refusal.message);
  if (!verifyBearer(req.headers.authorization, options.token)) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="clockwork"');
    return reply(res, 401, "missing or wrong bearer token: send Authorization: Bearer $CLOCKWORK_API_TOKEN");
  }
  // No sessions, so no stream to resume (GET) and none to end (DELETE).
  if (req.method !== "POST") {
    res.setHeader("Allow", "POST");
    return reply(res, 405, "this server is stateless: POST JSON-RPC messages to it");
  }
  const body = await readJson(req);
  if (!body.ok) return reply(res, body.status, body.message);

  const mcp = options.createServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  // When the client goes away, calls still running (a run_workflow that
  // waits) are aborted with the server.
  res.on("close", () => void mcp.close().catch(() => undefined));
  await mcp.connect(transport);
  await transport.handleRequest(req, res, body.value);
}

/** Wrong path, or a Host or Origin that is not this machine's loopback. */
function refuse(req: IncomingMessage): { status: number; message: string } | null {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname !== MCP_PATH) return { status: 404, message: `not found: the MCP endpoint is ${MCP_PATH}` };
  const host = hostName(req.headers.host);
  if (host === null || !LOOPBACK_NAMES.has(host)) return { status: 403, message: "Host must be 127.0.0.1 or localhost" };
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) return { status: 403, message: "cross-origin requests are refused" };
  return null;
}

function hostName(host: string | undefined): string | null {
  if (!host) return null;
  const match = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(host.trim().toLowerCase());
  return match ? match[1]! : null;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && LOOPBACK_NAMES.has(url.hostname);
  } catch {
    return false;
  }
}

type Read = { ok: true; value: unknown } | { ok: false; status: number; message: string };

async function readJson(req: IncomingMessage): Promise<Read> {
  const tooLarge: Read = { ok: false, status: 413, message: `request body over ${MAX_BODY_BYTES} bytes` };
  if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) return tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  // Past the limit the rest is read and dropped, so the answer still reaches the sender.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) return tooLarge;
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { ok: false, status: 400, message: "the body is not JSON" };
  }
}

/** Plain errors before the MCP transport is involved: a JSON-RPC error object, as MCP clients expect. */
function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}
