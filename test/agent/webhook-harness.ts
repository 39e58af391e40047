// Shared by the webhook, API and watcher tests: a real agent with its HTTP
// server on a free port, webhook registration through the CLI, raw HTTP
// requests (node:http, so bodies, headers and connection behaviour are
// exactly what the test says), and the agent's resident memory.
import { readFileSync } from "node:fs";
import { request, type Agent as HttpAgent } from "node:http";
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
export async function registerWebhook(t: TestAgent, file: string, args: string[] = [], input?: string): Promise<RegisteredWebhook> {
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

/** The agent's resident set size in bytes (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

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
