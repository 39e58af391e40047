// The agent's HTTP server: signed webhooks, the `/run` API and a health
// check. Nothing else answers: every other path is 404, with no listing and
// no documentation pages.
//
//   POST /webhook/:name   HMAC-signed delivery → 202 {"run_id"}
//   POST /run             Bearer-token call    → 202 {"run_id"}  (404 without CLOCKWORK_API_TOKEN)
//   GET  /healthz         200 {"status":"ok","requests":{accepted,duplicates,rejected}}
//
// `?wait=1` on either POST holds the response until the run finishes and
// answers 200 with its RunRecord. The server only talks HTTP: finding the
// trigger, writing the run row and running it are the injected `deps`, so
// the same code serves the agent and the tests' fakes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Events } from "../events";
import { messageOf } from "../errors";
import type { RunRecord, TriggerContext } from "../protocol";
import { verifyBearer, verifySignature } from "../core/signature";
import { deliveryIdOf, parseBody, pickHeaders } from "../core/webhookHeaders";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Deliveries with the same id inside this window return the first run. */
export const DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** An enabled webhook, as the server needs it. */
export interface WebhookTarget {
  triggerId: number;
  name: string;
  secret: string;
  /** Extra headers the registration exposes to the run. */
  headers: string[];
  maxBodyBytes: number;
}

/** The registered trigger a `/run` call resolved to. */
export interface ApiTarget {
  triggerId: number;
  name: string;
}

export interface TriggeredRunRequest {
  kind: "webhook" | "api";
  triggerId: number;
  triggerName: string;
  context: TriggerContext;
  deliveryId: string | null;
}

export interface HttpServerDeps {
  events: Events;
  /** CLOCKWORK_API_TOKEN; null leaves `/run` out. */
  apiToken: string | null;
  now?: () => number;
  /** An enabled webhook by name; null when unknown or paused. */
  findWebhook(name: string): WebhookTarget | null;
  /** A registered trigger by its name, or by the workflow name of one; null when the agent knows none. */
  findApiTarget(workflow: string): ApiTarget | null;
  /** The run a delivery id already started for this trigger since `sinceMs`, if any. */
  findDelivery(triggerId: number, deliveryId: string, sinceMs: number): string | null;
  /** Writes the run row and hands the run to the pool. */
  startRun(request: TriggeredRunRequest): Promise<{ runId: string }> | { runId: string };
  /** Resolves with the run's record once it has finished. */
  waitForRun(runId: string): Promise<RunRecord>;
  /** False while the agent shuts down: new deliveries get 503. */
  isAccepting?(): boolean;
}

export interface HttpCounters {
  accepted: number;
  duplicates: number;
  /** Rejections by status code. */
  rejected: Record<number, number>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** What goes into the log; never a secret. Defaults to the message. */
    readonly reason: string = message,
  ) {
    super(message);
  }
}

type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: boolean };

export class HttpServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly inflight = new Map<string, Promise<string>>();
  private boundUrl: string | null = null;
  readonly counters: HttpCounters = { accepted: 0, duplicates: 0, rejected: {} };

  constructor(private readonly deps: HttpServerDeps) {}

  get url(): string | null {
    return this.boundUrl;
  }

  /** Starts listening; rejects (EADDRINUSE, EACCES…) without side effects on the agent. */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    // Slow or stalled senders cannot hold a connection open for long.
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (error) => this.log("error", `HTTP server: ${messageOf(error)}`));
    this.server = server;
    const address = server.address() as AddressInfo;
    const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    this.boundUrl = `http://${shownHost}:${address.port}`;
    return this.boundUrl;
  }

  /** Stops accepting connections and closes idle ones; waiting `?wait=1` responses are cut. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.boundUrl = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let route = "";
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const wait = url.searchParams.get("wait") === "1";
      const webhook = /^\/webhook\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && url.pathname === "/healthz") {
        // Counts only, never names or reasons: enough to see that senders are refused.
        return this.send(res, 200, { status: "ok", requests: this.counters });
      }
      if (req.method === "POST" && webhook) {
        route = printable(safeDecode(webhook[1]!));
        return await this.webhook(req, res, safeDecode(webhook[1]!), wait);
      }
      if (req.method === "POST" && url.pathname === "/run" && this.deps.apiToken !== null) {
        route = "/run";
        return await this.api(req, res, wait);
      }
      this.reject(res, req, null, new HttpError(404, "not found"));
    } catch (error) {
      if (error instanceof HttpError) return this.reject(res, req, route, error);
      this.log("error", `HTTP ${route || req.url}: ${messageOf(error)}`);
      if (!res.headersSent) this.send(res, 500, { error: "internal error" });
      else res.destroy();
    }
  }

  private async webhook(req: IncomingMessage, res: ServerResponse, name: string, wait: boolean) {
    const target = this.deps.findWebhook(name);
    if (!target) throw new HttpError(404, "not found", "unknown or paused webhook");
    this.checkAccepting();
    const read = await this.readBody(req, target.maxBodyBytes);
    if (!read.ok) {
      if (read.tooLarge) throw new HttpError(413, "body too large", `body over ${target.maxBodyBytes} bytes`);
      return; // The sender went away mid-body; there is no one to answer.
    }
    const now = this.now();
    const verdict = verifySignature({ headers: req.headers, rawBody: read.body, secret: target.secret, nowMs: now });
    if (!verdict.ok) throw new HttpError(401, "invalid signature", verdict.reason);
    const body = parseBody(read.body);
    const deliveryId = deliveryIdOf(req.headers, body, verdict.scheme === "stripe");
    const context: TriggerContext = { body, headers: pickHeaders(req.headers, target.headers) };
    const request: TriggeredRunRequest = { kind: "webhook", triggerId: target.triggerId, triggerName: target.name, context, deliveryId };
    const { runId, duplicate } = await this.startOnce(request, now);
    await this.answer(res, runId, duplicate, wait);
  }

  private async api(req: IncomingMessage, res: ServerResponse, wait: boolean) {
    if (!verifyBearer(header(req, "authorization"), this.deps.apiToken ?? "")) {
      throw new HttpError(401, "invalid or missing bearer token");
    }
    this.checkAccepting();
    const read = await this.readBody(req, DEFAULT_MAX_BODY_BYTES);
    if (!read.ok) {
      if (read.tooLarge) throw new HttpError(413, "body too large", `body over ${DEFAULT_MAX_BODY_BYTES} bytes`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(read.body.toString("utf8"));
    } catch {
      throw new HttpError(400, 'expected a JSON object {"workflow": "<name>", "body": …}', "body is not JSON");
    }
    const workflow = isObject(parsed) ? parsed.workflow : undefined;
    if (typeof workflow !== "string" || workflow === "") {
      throw new HttpError(400, 'expected a JSON object {"workflow": "<name>", "body": …}', "no workflow name");
    }
    const target = this.deps.findApiTarget(workflow);
    if (!target) {
      throw new HttpError(404, `no registered trigger or workflow named "${printable(workflow)}"`, `unknown workflow "${printable(workflow)}"`);
    }
    const context: TriggerContext = isObject(parsed) && "body" in parsed ? { body: parsed.body } : {};
    const request: TriggeredRunRequest = { kind: "api", triggerId: target.triggerId, triggerName: target.name, context, deliveryId: null };
    const { runId } = await this.startOnce(request, this.now());
    await this.answer(res, runId, false, wait);
  }

  /**
   * Starts a run unless the same delivery already started one within the
   * dedupe window. Deliveries racing each other with one id share the first
   * one's promise, so the check and the insert cannot interleave.
   */
  private async startOnce(request: TriggeredRunRequest, now: number): Promise<{ runId: string; duplicate: boolean }> {
    const { deliveryId, triggerId } = request;
    if (deliveryId === null) {
      const { runId } = await this.deps.startRun(request);
      this.counters.accepted++;
      return { runId, duplicate: false };
    }
    const key = `${triggerId}\u0000${deliveryId}`;
    const racing = this.inflight.get(key);
    if (racing) {
      const runId = await racing;
      this.counters.duplicates++;
      return { runId, duplicate: true };
    }
    const earlier = this.deps.findDelivery(triggerId, deliveryId, now - DEDUPE_WINDOW_MS);
    if (earlier) {
      this.counters.duplicates++;
      return { runId: earlier, duplicate: true };
    }
    const started = Promise.resolve(this.deps.startRun(request)).then((r) => r.runId);
    this.inflight.set(key, started);
    try {
      const runId = await started;
      this.counters.accepted++;
      return { runId, duplicate: false };
    } finally {
      this.inflight.delete(key);
    }
  }

  private async answer(res: ServerResponse, runId: string, duplicate: boolean, wait: boolean): Promise<void> {
    if (!wait) {
      return this.send(res, duplicate ? 200 : 202, duplicate ? { run_id: runId, duplicate: true } : { run_id: runId });
    }
    const record = await this.deps.waitForRun(runId);
    this.send(res, 200, record);
  }

  private checkAccepting(): void {
    if (this.deps.isAccepting && !this.deps.isAccepting()) {
      throw new HttpError(503, "the agent is shutting down", "agent shutting down");
    }
  }

  /**
   * Reads the body up to `limit` bytes. A declared Content-Length over the
   * limit is refused before a byte is read; a streamed body is refused as
   * soon as it crosses the limit, and what was read so far is dropped.
   */
  private readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ ok: false, tooLarge: true });
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (result: BodyResult) => {
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("error", onError);
        req.off("close", onClose);
        resolve(result);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          chunks.length = 0;
          req.pause();
          done({ ok: false, tooLarge: true });
        } else chunks.push(chunk);
      };
      const onEnd = () => done({ ok: true, body: Buffer.concat(chunks, size) });
      const onError = () => done({ ok: false, tooLarge: false });
      const onClose = () => {
        if (!req.complete) done({ ok: false, tooLarge: false });
      };
      req.on("data", onData);
      req.on("end", onEnd);
      req.on("error", onError);
      req.on("close", onClose);
    });
  }

  private reject(res: ServerResponse, req: IncomingMessage, route: string | null, error: HttpError): void {
    this.counters.rejected[error.status] = (this.counters.rejected[error.status] ?? 0) + 1;
    if (route) this.deps.events.emit("webhook:rejected", { name: route, status: error.status, reason: error.reason });
    if (error.status === 413) {
      // Answer at once, then close. Closing a socket with unread bytes makes
      // the kernel reset the connection, and many clients (Node's own among
      // them) then lose the 413 they were sent. So the close "lingers": our
      // side is ended, whatever the sender still pushes is read and thrown
      // away (never kept), and the socket is destroyed after a short grace.
      res.shouldKeepAlive = false;
      res.on("finish", () => lingeringClose(req));
      this.send(res, 413, { error: error.message }, { connection: "close" });
      return;
    }
    this.send(res, error.status, { error: error.message });
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
      "cache-control": "no-store",
      ...headers,
    });
    res.end(text);
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  private log(level: "info" | "warn" | "error", message: string): void {
    this.deps.events.emit("agent:log", { level, message });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A request-supplied name made safe for one log line. */
function printable(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, "?");
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}

/** How long a refused sender may keep pushing bytes (discarded) before the socket is cut. */
const LINGER_MS = 2000;

function lingeringClose(req: IncomingMessage): void {
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  // No 'data' listener: resumed chunks are dropped as they arrive.
  req.removeAllListeners("data");
  req.resume();
  socket.end();
}
