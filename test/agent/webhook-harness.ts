// Shared by the webhook, API and watcher tests: a real agent with its HTTP
// server on a free port, webhook registration through the CLI, raw HTTP
// requests (node:http, so bodies, headers and connection behaviour are
// exactly what the test says), raw uploads over a socket, and the agent's
// bookkeeping of the request bodies it holds.
import { request, type Agent as HttpAgent } from "node:http";
import { connect } from "node:net";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Status, type RunRecord } from "../../agent/protocol";
import { AgentProcess, baseEnv, removeDir, tempHome, type Watcher } from "./agent-harness";
import { runCli } from "../helpers/cli";

export interface TestAgent {
  home: string;
  work: string;
  agent: AgentProcess;
  watcher: Watcher;
  /** http://127.0.0.1:<port> */
  url: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** Starts an agent on a free port (CLOCKWORK_HTTP_PORT=0) and learns its address from `status`. */
export async function startTestAgent(label: string, env: NodeJS.ProcessEnv = {}): Promise<TestAgent> {
  const home = tempHome(label);
  const work = join(home, "work");
  mkdirSync(work);
  const agent = await AgentProcess.start(home, env);
  const watcher = await agent.watch();
  const status = await watcher.client.request(Status, undefined);
  if (!status.httpUrl) throw new Error(`the agent reports no HTTP address: ${status.httpError}`);
  return {
    home,
    work,
    agent,
    watcher,
    url: status.httpUrl,
    env: baseEnv(home, env),
    async stop() {
      watcher.client.close();
      await agent.stop();
      removeDir(home);
    },
  };
}

export interface RegisteredWebhook {
  name: string;
  url: string;
  secret: string;
}

/** `clockwork register-webhook … --json`; returns the URL and the one-time secret. */
export async function registerWebhook(t: Pick<TestAgent, "env" | "work">, file: string, args: string[] = [], input?: string): Promise<RegisteredWebhook> {
  const result = await runCli(["register-webhook", file, "--json", ...args], { env: t.env, cwd: t.work, ...(input === undefined ? {} : { input }) });
  if (result.code !== 0) throw new Error(`register-webhook failed (${result.code}): ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { trigger: { name: string }; url: string; secret?: string };
  return { name: parsed.trigger.name, url: parsed.url, secret: parsed.secret ?? "" };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

export interface PostOptions {
  headers?: Record<string, string>;
  agent?: HttpAgent | false;
}

/** One HTTP request with a fully buffered response. */
export function post(url: string, body: string | Buffer, options: PostOptions = {}): Promise<HttpResult> {
  return send("POST", url, body, options);
}

export function send(method: string, url: string, body: string | Buffer | null, options: PostOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = body === null ? null : Buffer.isBuffer(body) ? body : Buffer.from(body);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (payload) headers["content-length"] = String(payload.length);
    const req = request(url, { method, headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload ?? undefined);
  });
}

export const runOf = (result: HttpResult) => result.json<RunRecord>();

/** A workflow whose one code step returns the trigger's body as JSON; cheap to run many times. */
export function echoBodyWorkflow(name: string): string {
  return `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({
  name: ${JSON.stringify(name)},
  steps: [code("echo", (ctx) => JSON.stringify({ body: ctx.trigger.body ?? null, headers: ctx.trigger.headers ?? null }))],
});
`;
}

/** A workflow with one trivial code step, the cheapest run there is. */
export function trivialWorkflow(name: string): string {
  return `import { defineWorkflow, code } from "clockwork";
export default defineWorkflow({ name: ${JSON.stringify(name)}, steps: [code("ok", () => "ok")] });
`;
}

export interface RawAnswer {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
}

export interface RawUpload {
  /** Resolves once the agent's status line and headers have arrived, however much of the body was sent. */
  answer: Promise<RawAnswer>;
  /** Sends the rest of the body (when `sendFirst` held it back). */
  finish(): void;
  close(): void;
}

export interface RawUploadOptions {
  /** Body bytes in all. */
  total: number;
  /** Declare Content-Length (else the body is sent chunked). */
  declared: boolean;
  /** Extra request headers, e.g. a signature. */
  headers?: Record<string, string>;
  /** Send only this many body bytes until `finish()`; default all. */
  sendFirst?: number;
}

/**
 * A POST over a raw socket, the body sent in 64 KiB chunks as fast as the
 * agent reads them. Raw because the agent may answer and stop reading while
 * the body is still being sent: an HTTP client then reports EPIPE and drops
 * the answer it already received, whereas here whatever arrives is read
 * regardless of write errors.
 */
export function rawUpload(url: string, options: RawUploadOptions): RawUpload {
  const { hostname, port, pathname, search } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = "";
  socket.setEncoding("latin1");
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    socket.on("data", (d: string) => {
      received += d;
      const end = received.indexOf("\r\n\r\n");
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (end < 0 || !match) return;
      const headers: Record<string, string> = {};
      for (const line of received.slice(0, end).split("\r\n").slice(1)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(match[1]), headers });
    });
    socket.on("close", () => reject(new Error(`no HTTP answer; got ${JSON.stringify(received.slice(0, 200))}`)));
  });
  answer.catch(() => undefined);
  socket.on("error", () => undefined); // EPIPE/ECONNRESET once the agent hangs up: expected.
  const head = [
    `POST ${pathname}${search} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    options.declared ? `Content-Length: ${options.total}` : "Transfer-Encoding: chunked",
    "Connection: close",
    "",
    "",
  ].join("\r\n");
  const chunk = Buffer.alloc(64 * 1024, "x");
  let sent = 0;
  let allowed = options.sendFirst ?? options.total;
  const pump = () => {
    while (sent < allowed && !socket.destroyed && socket.writable) {
      const size = Math.min(chunk.length, allowed - sent);
      const piece = chunk.subarray(0, size);
      sent += size;
      const framed = options.declared ? piece : Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), piece, Buffer.from("\r\n")]);
      if (!socket.write(framed)) return void socket.once("drain", pump);
    }
    if (sent >= options.total && !options.declared && socket.writable) socket.write("0\r\n\r\n");
  };
  socket.once("connect", () => {
    socket.write(head);
    pump();
  });
  return {
    answer,
    finish() {
      allowed = options.total;
      pump();
    },
    close: () => socket.destroy(),
  };
}

export interface BodyFigures {
  inFlightBytes: number;
  peakBytes: number;
  budgetBytes: number;
}

/** The agent's request-body bookkeeping, from GET /healthz. */
export async function bodyFigures(baseUrl: string): Promise<BodyFigures> {
  const res = await send("GET", `${baseUrl}/healthz`, null);
  return res.json<{ bodies: BodyFigures }>().bodies;
}
