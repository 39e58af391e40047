// http steps: one request with fetch; the response body (capped) is the output.
import { formatBytes } from "../core/duration";
import { CappedOutput } from "../core/outputCap";
import { redactUrl } from "../core/redact";
import type { HttpStep } from "../sdk";
import { StepFailure, type StepContext, type StepOutcome } from "./types";

export async function runHttp(step: HttpStep, ctx: StepContext): Promise<StepOutcome> {
  const { options } = step;
  const url = ctx.render(options.url, "url");
  const method = options.method ?? (options.body === undefined ? "GET" : "POST");
  checkUrl(url);
  const headers = new Headers();
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const rendered = ctx.render(value);
    if (/[\r\n]/.test(rendered)) throw new StepFailure(`header ${name}: a header value cannot contain a line break`, { retryable: false });
    headers.set(name, rendered);
  }
  let body: string | undefined;
  if (typeof options.body === "string") body = ctx.render(options.body);
  else if (options.body !== undefined) {
    body = JSON.stringify(ctx.renderJson(options.body));
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }

  ctx.log.info(`${method} ${redactUrl(url)}`);
  const response = await send(url, { method, headers, body, signal: ctx.signal });
  const output = await readCapped(response);
  ctx.log.info(`${response.status} ${response.statusText} (${formatBytes(output.total)})`);
  const text = output.text();
  if (text) ctx.log.stdout(text.endsWith("\n") ? text : `${text}\n`);

  const expected = options.expectStatus === undefined ? null : [options.expectStatus].flat();
  const ok = expected ? expected.includes(response.status) : response.status >= 200 && response.status < 300;
  if (!ok) {
    const wanted = expected ? expected.join(" or ") : "2xx";
    const excerpt = text.trim().slice(0, 500);
    throw new StepFailure(
      `${method} ${redactUrl(url)} answered ${response.status} ${response.statusText} (expected ${wanted})${excerpt ? `: ${excerpt}` : ""}`,
    );
  }
  return { output: text };
}

export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StepFailure(`"${redactUrl(url)}" is not a valid URL`, { retryable: false });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new StepFailure(`"${redactUrl(url)}" is not an http:// or https:// URL`, { retryable: false });
  }
}

/** fetch, with network failures turned into messages that say what went wrong. */
export async function send(url: string, init: RequestInit & { signal: AbortSignal }): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (init.signal.aborted) throw new StepFailure("the request was aborted");
    throw new StepFailure(`cannot reach ${redactUrl(url)}: ${networkReason(error)}`);
  }
}

export function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: "connection refused (is the server running?)",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host name lookup failed",
    ECONNRESET: "the connection was reset",
    ETIMEDOUT: "the connection timed out",
    EHOSTUNREACH: "host unreachable",
    UND_ERR_SOCKET: "the connection closed unexpectedly",
    UND_ERR_HEADERS_TIMEOUT: "no response headers in time",
  };
  if (code && reasons[code]) return `${reasons[code]} (${code})`;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** Reads a response body, keeping at most the output cap. */
export async function readCapped(response: Response): Promise<CappedOutput> {
  const output = new CappedOutput();
  if (!response.body) return output;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    output.push(Buffer.from(value));
    // Past the cap only the size is of interest; stop downloading a huge body.
    if (output.total > 64 * 1024 * 1024) {
      await reader.cancel();
      break;
    }
  }
  return output;
}
