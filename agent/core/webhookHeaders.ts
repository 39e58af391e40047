// Which request headers a webhook run may see, and where its delivery id
// comes from.
//
// `{trigger.headers.X}` reads only a fixed allow-list plus the headers a
// registration names with `--header`. Credentials never reach a run: a
// registration naming authorization, a cookie, a signature or anything that
// looks like a secret is refused, and those headers are dropped even if a
// stored registration somehow names them.
import { invalid } from "../errors";

export const ALLOWED_HEADERS: readonly string[] = [
  "content-type",
  "user-agent",
  "x-github-event",
  "x-github-delivery",
  "x-stripe-event",
  "x-event-key",
  "idempotency-key",
];

const FORBIDDEN = /authorization|cookie|signature|secret|token|password|api-key|apikey/;
// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

export function isForbiddenHeader(name: string): boolean {
  return FORBIDDEN.test(name.toLowerCase());
}

/** Normalises the `--header` names of a registration; throws a ClockworkError for bad ones. */
export function validateExtraHeaders(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim().toLowerCase();
    if (!HEADER_NAME.test(name)) throw invalid(`"${raw}" is not a valid HTTP header name`);
    if (isForbiddenHeader(name)) {
      throw invalid(`header "${name}" carries credentials and is never passed to a run`);
    }
    if (!ALLOWED_HEADERS.includes(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/** The headers a run sees: allow-listed and registration-named ones, lower-case names. */
export function pickHeaders(
  headers: Record<string, string | string[] | undefined>,
  extra: readonly string[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...ALLOWED_HEADERS, ...extra]) {
    const key = name.toLowerCase();
    if (isForbiddenHeader(key)) continue;
    const value = headers[key];
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

const MAX_DELIVERY_ID = 200;

/**
 * The id that makes a delivery idempotent: `X-GitHub-Delivery`, then
 * `Idempotency-Key`, then the Stripe event id (`id` of a Stripe-signed JSON
 * body). Null when the sender gives none; such deliveries are never
 * deduplicated.
 */
export function deliveryIdOf(
  headers: Record<string, string | string[] | undefined>,
  body: unknown,
  stripeSigned: boolean,
): string | null {
  for (const name of ["x-github-delivery", "idempotency-key"]) {
    const raw = headers[name];
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (value) return value.slice(0, MAX_DELIVERY_ID);
  }
  if (stripeSigned && body !== null && typeof body === "object" && !Array.isArray(body)) {
    const id = (body as Record<string, unknown>).id;
    if (typeof id === "string" && id.length > 0) return id.slice(0, MAX_DELIVERY_ID);
  }
  return null;
}

/** `{trigger.body}`'s source: parsed JSON when the text is JSON, the raw text otherwise. */
export function parseBody(raw: Buffer): unknown {
  const text = raw.toString("utf8");
  if (text.trim() === "") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
