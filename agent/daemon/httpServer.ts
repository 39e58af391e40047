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
//
// Nothing is buffered before it has to be: a webhook without any signature
// header and a `/run` without the bearer token are refused before their
// body is read, and the bodies that are read share one memory budget
// (core/bodyBudget.ts); a body that does not fit is answered 503 with
// Retry-After before it is read (or as soon as it outgrows the budget).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Events } from "../events";
import { messageOf } from "../errors";
import type { RunRecord, TriggerContext } from "../protocol";
import { BodyBudget } from "../core/bodyBudget";
import { hasSignatureHeader, verifyBearer, verifySignature } from "../core/signature";
import { deliveryIdOf, parseBody, pickHeaders } from "../core/webhookHeaders";
import { DEFAULT_WEBHOOK_BODY_BYTES, webhookSegment } from "../core/webhookPolicy";
import { discardRest, reserveBody } from "./requestBody";

/** Deliveries with the same id inside this window return the first run. */
export const DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Slow senders: all headers within this, the whole request (body included) within REQUEST_TIMEOUT_MS. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/** Retry-After (seconds) while the agent is stopping or its store is gone: a restart takes a few seconds. */
const RETRY_AFTER_STOPPING_S = 30;
/** Retry-After (seconds) when the body budget is full: bodies in flight finish within seconds. */
const RETRY_AFTER_BUSY_S = 5;
/** How long closing waits for answers still being written (a `?wait=1` whose run just finished). */
const CLOSE_FLUSH_MS = 2000;

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
  findWebhook(name: string): Promise<WebhookTarget | null>;
  /** A registered trigger by its name, or by the workflow name of one; null when the agent knows none. */
  findApiTarget(workflow: string): Promise<ApiTarget | null>;
  /** The run a delivery id already started for this trigger since `sinceMs`, if any. */
  findDelivery(triggerId: number, deliveryId: string, sinceMs: number): Promise<string | null>;
  /** Writes the run row and hands the run to the pool. */
  startRun(request: TriggeredRunRequest): Promise<{ runId: string }>;
  /** Resolves with the run's record once it has finished. */
  waitForRun(runId: string): Promise<RunRecord>;
  /** Why new requests are refused (503) right now — the agent is shutting down, its store is gone — or null. */
  refusal?(): string | null;
  /** The memory budget shared by every request body in flight (default: a budget of DEFAULT_BODY_BUDGET_BYTES). */
  bodyBudget?: BodyBudget;
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
    /** Seconds for a Retry-After header (503s). */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export class HttpServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly inflight = new Map<string, Promise<{ runId: string; duplicate: boolean }>>();
  private boundUrl: string | null = null;
  /** Requests whose answer has not been sent yet; closing waits for them a moment. */
  private answering = 0;
  private onAnswered: (() => void) | null = null;
  private readonly budget: BodyBudget;
  /** Resolves (with null) when the server starts closing: `?wait=1` answers stop waiting then. */
  private startClosing!: (value: null) => void;
  private readonly closing = new Promise<null>((resolve) => (this.startClosing = resolve));
  readonly counters: HttpCounters = { accepted: 0, duplicates: 0, rejected: {} };

  constructor(private readonly deps: HttpServerDeps) {
    this.budget = deps.bodyBudget ?? new BodyBudget();
  }

  get url(): string | null {
    return this.boundUrl;
  }

  /** Starts listening; rejects (EADDRINUSE, EACCES…) without side effects on the agent. */
  async listen(host: string, port: number): Promise<string> {
    // Slow or stalled senders cannot hold a connection open for long. Node
    // checks these limits every `connectionsCheckingInterval` (30 s by
    // default, which let a slow body run to almost a minute); once a second
    // keeps the documented limit within a second.
    const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
      this.answering++;
      res.once("close", () => {
        this.answering--;
        if (this.answering === 0) this.onAnswered?.();
      });
      void this.handle(req, res);
    });
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
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

  /**
   * Stops listening and closes idle connections; answers still being
   * written get up to CLOSE_FLUSH_MS, then every connection is cut. The
   * agent closes the server after its runs have finished, so a `?wait=1`
   * caller whose run finished within the grace period has its answer.
   */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.boundUrl = null;
    this.startClosing(null);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.answering > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_FLUSH_MS);
        this.onAnswered = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let route = "";
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const wait = url.searchParams.get("wait") === "1";
      const webhook = webhookSegment(url.pathname);
      if (req.method === "GET" && url.pathname === "/healthz") {
        // Counts only, never names or reasons: enough to see that senders are refused.
        const bodies = { inFlightBytes: this.budget.inUse, peakBytes: this.budget.peak, budgetBytes: this.budget.limit };
        return this.send(res, 200, { status: "ok", requests: this.counters, bodies });
      }
      if (req.method === "POST" && webhook !== null) {
        route = printable(safeDecode(webhook));
        return await this.webhook(req, res, safeDecode(webhook), wait);
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
    this.checkAccepting();
    const target = await this.deps.findWebhook(name);
    if (!target) throw new HttpError(404, "not found", "unknown or paused webhook");
    if (!hasSignatureHeader(req.headers)) throw new HttpError(401, "invalid signature", "no signature header (body not read)");
    const body = await this.readBody(req, res, target.maxBodyBytes);
    if (!body) return; // The sender went away mid-body; there is no one to answer.
    const now = this.now();
    const verdict = verifySignature({ headers: req.headers, rawBody: body.chunks, secret: target.secret, nowMs: now });
    if (!verdict.ok) {
      body.release();
      throw new HttpError(401, "invalid signature", verdict.reason);
    }
    const parsed = parseBody(Buffer.concat(body.chunks, body.size));
    // The raw bytes are not needed past this point (a `?wait=1` may hold
    // its request open for as long as the run takes).
    body.release();
    const deliveryId = deliveryIdOf(req.headers, parsed, verdict.scheme === "stripe");
    const context: TriggerContext = { body: parsed, headers: pickHeaders(req.headers, target.headers) };
    const request: TriggeredRunRequest = { kind: "webhook", triggerId: target.triggerId, triggerName: target.name, context, deliveryId };
    const { runId, duplicate } = await this.startOnce(request, now);
    await this.answer(res, runId, duplicate, wait);
  }

  private async api(req: IncomingMessage, res: ServerResponse, wait: boolean) {
    this.checkAccepting();
    if (!verifyBearer(header(req, "authorization"), this.deps.apiToken ?? "")) {
      throw new HttpError(401, "invalid or missing bearer token");
    }
    const body = await this.readBody(req, res, DEFAULT_WEBHOOK_BODY_BYTES);
    if (!body) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(body.chunks, body.size).toString("utf8"));
    } catch {
      throw new HttpError(400, 'expected a JSON object {"workflow": "<name>", "body": …}', "body is not JSON");
    } finally {
      body.release();
    }
    const workflow = isObject(parsed) ? parsed.workflow : undefined;
    if (typeof workflow !== "string" || workflow === "") {
      throw new HttpError(400, 'expected a JSON object {"workflow": "<name>", "body": …}', "no workflow name");
    }
    const target = await this.deps.findApiTarget(workflow);
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
      const { runId } = await racing;
      this.counters.duplicates++;
      return { runId, duplicate: true };
    }
    // Registered before the first await, so a second delivery with this id
    // arriving meanwhile shares this check and this insert.
    const started = (async () => {
      const earlier = await this.deps.findDelivery(triggerId, deliveryId, now - DEDUPE_WINDOW_MS);
      if (earlier) return { runId: earlier, duplicate: true };
      const { runId } = await this.deps.startRun(request);
      return { runId, duplicate: false };
    })();
    this.inflight.set(key, started);
    try {
      const outcome = await started;
      if (outcome.duplicate) this.counters.duplicates++;
      else this.counters.accepted++;
      return outcome;
    } finally {
      this.inflight.delete(key);
    }
  }

  private async answer(res: ServerResponse, runId: string, duplicate: boolean, wait: boolean): Promise<void> {
    if (!wait) {
      return this.send(res, duplicate ? 200 : 202, duplicate ? { run_id: runId, duplicate: true } : { run_id: runId });
    }
    // A run still queued when the server closes (the agent stopped before
    // it could start) runs after the next start: its caller gets the 202
    // it would have had without `?wait=1`, not a cut connection.
    const record = await Promise.race([this.deps.waitForRun(runId), this.closing]);
    if (record === null) return this.send(res, 202, { run_id: runId });
    this.send(res, 200, record);
  }

  private checkAccepting(): void {
    const refusal = this.deps.refusal?.() ?? null;
    if (refusal !== null) throw new HttpError(503, refusal, refusal, RETRY_AFTER_STOPPING_S);
  }

  /**
   * Reads the body up to `limit` bytes within the body budget, or refuses
   * it: over the limit 413, over the budget 503. A declared Content-Length
   * is judged before a byte is read; a chunked body as soon as it crosses
   * either line, and what was read so far is dropped. Null: the sender went
   * away mid-body. The bytes count against the budget until `release` (at
   * the latest when the answer has gone out).
   */
  private async readBody(
    req: IncomingMessage,
    res: ServerResponse,
    limit: number,
  ): Promise<{ chunks: Buffer[]; size: number; release(): void } | null> {
    const reservation = reserveBody(req, limit, this.budget);
    res.once("close", () => reservation.release());
    const read = await reservation.read();
    if (read.ok) return { chunks: read.chunks, size: read.size, release: () => reservation.release() };
    reservation.release();
    if (read.why === "tooLarge") throw new HttpError(413, "body too large", `body over ${limit} bytes`);
    if (read.why === "overBudget") {
      const budget = `the ${this.budget.limit}-byte budget for request bodies in flight is used up`;
      throw new HttpError(503, "too many large requests at once; retry later", budget, RETRY_AFTER_BUSY_S);
    }
    return null;
  }

  private reject(res: ServerResponse, req: IncomingMessage, route: string | null, error: HttpError): void {
    this.counters.rejected[error.status] = (this.counters.rejected[error.status] ?? 0) + 1;
    if (route) this.deps.events.emit("webhook:rejected", { name: route, status: error.status, reason: error.reason });
    const headers: Record<string, string> = error.retryAfterS === undefined ? {} : { "retry-after": String(error.retryAfterS) };
    if (!req.complete) {
      // Refused before its body was read (or while reading it): answered at
      // once, and the rest is thrown away as it comes, never kept. Even when
      // the sender asked for `Connection: close`, the answer keeps the
      // connection: otherwise Node destroys the socket the moment the answer
      // is written, and the reset loses the answer (see discardRest).
      res.shouldKeepAlive = true;
      discardRest(req);
    }
    this.send(res, error.status, { error: error.message }, headers);
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

