// Webhook signature verification over the raw request body.
//
// Three header shapes are accepted:
//   X-Clockwork-Signature: sha256=<hex of HMAC-SHA256(secret, body)>
//   X-Hub-Signature-256:   sha256=<hex>                (GitHub)
//   Stripe-Signature:      t=<unix seconds>,v1=<hex>[,v1=<hex>…]
//                          over "<t>.<body>", with a timestamp tolerance
//
// Every path through `verifySignature` does the same work: one HMAC over the
// body and at least one 32-byte `timingSafeEqual`, whatever is wrong with the
// header (missing, wrong prefix, malformed hex, wrong length, wrong value,
// stale timestamp). Malformed input is replaced by a fixed-size dummy digest
// and compared anyway, and the verdict is combined without branching on the
// comparison, so a sender cannot learn from response time which part of a
// forged signature was wrong. Pure: the current time is passed in.
import { createHmac, timingSafeEqual } from "node:crypto";

export type SignatureScheme = "clockwork" | "github" | "stripe";

/** Stripe's default tolerance, used for every Stripe-signed request. */
export const STRIPE_TOLERANCE_MS = 5 * 60 * 1000;

const DIGEST_BYTES = 32;

export interface SignatureInput {
  /** Request headers with lower-case names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The body as received: one buffer, or the chunks it arrived in (never joined just to be refused). */
  rawBody: Buffer | readonly Buffer[];
  secret: string;
  nowMs: number;
  toleranceMs?: number;
}

export type SignatureResult =
  | { ok: true; scheme: SignatureScheme }
  | { ok: false; scheme: SignatureScheme | null; reason: string };

/** The first header that carries a signature, in a fixed order of preference. */
function pickHeader(headers: SignatureInput["headers"]): { scheme: SignatureScheme | null; value: string } {
  const candidates: Array<[SignatureScheme, string]> = [
    ["clockwork", "x-clockwork-signature"],
    ["github", "x-hub-signature-256"],
    ["stripe", "stripe-signature"],
  ];
  for (const [scheme, name] of candidates) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value === "string") return { scheme, value };
  }
  return { scheme: null, value: "" };
}

/**
 * True when the request carries any of the signature headers. A request
 * without one is refused before its body is read: whether a header is
 * present is no secret, and reading a body only to refuse it lets any
 * sender make the agent buffer large bodies.
 */
export function hasSignatureHeader(headers: SignatureInput["headers"]): boolean {
  return pickHeader(headers).scheme !== null;
}

const PADDING = "0".repeat(DIGEST_BYTES * 2);
// Hex digit values by character code; -1 for everything that is not one.
const HEX_VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUES["0123456789abcdef".charCodeAt(i)] = i;
  HEX_VALUES["0123456789ABCDEF".charCodeAt(i)] = i;
}

/**
 * Decodes a 64-character hex digest into 32 bytes with the same work for
 * any input: exactly 64 characters are examined (missing ones read as "0"),
 * without stopping at the first bad one, so a short, long or malformed
 * value takes as long as a well-formed wrong one. `valid` says whether the
 * input was exactly 64 hex digits; the bytes are only meaningful then, and
 * the caller compares them anyway.
 */
function decodeDigest(hex: string): { bytes: Buffer; valid: boolean } {
  const bytes = Buffer.alloc(DIGEST_BYTES);
  let bad = hex.length === DIGEST_BYTES * 2 ? 0 : 1;
  // Always 64 characters to read, whatever came in, built the same way
  // (the leading "#" keeps an empty input from taking a shortcut).
  const source = ("#" + hex + PADDING).slice(1, DIGEST_BYTES * 2 + 1);
  for (let i = 0; i < DIGEST_BYTES * 2; i++) {
    const code = source.charCodeAt(i);
    const value = HEX_VALUES[code & 0xff]!;
    bad |= (value >>> 31) | (code >>> 8 ? 1 : 0);
    bytes[i >> 1] = (bytes[i >> 1]! << 4) | (value & 0x0f);
  }
  return { bytes, valid: bad === 0 };
}

function partsOf(body: Buffer | readonly Buffer[]): ReadonlyArray<Buffer> {
  return Buffer.isBuffer(body) ? [body] : body;
}

function hmac(secret: string, parts: ReadonlyArray<string | Buffer>): Buffer {
  const mac = createHmac("sha256", secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Parses `t=…,v1=…,v1=…`; unknown keys (v0, future schemes) are ignored as Stripe does. */
export function parseStripeHeader(value: string): { timestamp: number | null; v1: string[] } {
  let timestamp: number | null = null;
  const v1: string[] = [];
  for (const item of value.split(",")) {
    const eq = item.indexOf("=");
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const val = item.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(val)) timestamp = Number(val);
    else if (key === "v1") v1.push(val);
  }
  return { timestamp, v1 };
}

export function verifySignature(input: SignatureInput): SignatureResult {
  const { scheme, value } = pickHeader(input.headers);
  if (scheme === "stripe") return verifyStripe(input, value);

  // Clockwork and GitHub share one shape. A missing header falls through
  // here too and is compared against the dummy digest like any other
  // malformed value.
  const prefixOk = value.startsWith("sha256=");
  const digest = decodeDigest(prefixOk ? value.slice(7) : "");
  const expected = hmac(input.secret, partsOf(input.rawBody));
  const equal = timingSafeEqual(expected, digest.bytes);
  const ok = equal && digest.valid && prefixOk && scheme !== null;
  if (ok) return { ok: true, scheme: scheme! };
  const reason =
    scheme === null
      ? "no signature header"
      : !prefixOk
        ? "signature does not start with sha256="
        : !digest.valid
          ? "signature is not 64 hex characters"
          : "signature does not match";
  return { ok: false, scheme, reason };
}

function verifyStripe(input: SignatureInput, value: string): SignatureResult {
  const tolerance = input.toleranceMs ?? STRIPE_TOLERANCE_MS;
  const { timestamp, v1 } = parseStripeHeader(value);
  const expected = hmac(input.secret, [`${timestamp ?? 0}.`, ...partsOf(input.rawBody)]);
  // Compare every v1 candidate (Stripe sends several while a secret rotates)
  // and at least one dummy, accumulating without short-circuiting.
  let matched = false;
  const candidates = v1.length > 0 ? v1 : [""];
  for (const candidate of candidates) {
    const digest = decodeDigest(candidate);
    const equal = timingSafeEqual(expected, digest.bytes);
    matched = (equal && digest.valid) || matched;
  }
  const fresh = timestamp !== null && Math.abs(input.nowMs - timestamp * 1000) <= tolerance;
  if (matched && fresh) return { ok: true, scheme: "stripe" };
  const reason =
    timestamp === null
      ? "Stripe-Signature has no timestamp"
      : v1.length === 0
        ? "Stripe-Signature has no v1 signature"
        : !matched
          ? "signature does not match"
          : "Stripe-Signature timestamp is outside the tolerance";
  return { ok: false, scheme: "stripe", reason };
}

/** `sha256=<hex>` for a body, as senders compute X-Clockwork-Signature. */
export function signBody(secret: string, rawBody: Buffer | string): string {
  return "sha256=" + hmac(secret, [rawBody]).toString("hex");
}

/**
 * Compares an `Authorization: Bearer <token>` header with the configured
 * token in constant time: both sides are hashed to fixed-length digests
 * first, so neither a wrong length nor a wrong prefix answers faster.
 */
export function verifyBearer(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(.*)$/i.exec(authorization ?? "");
  const presented = match ? match[1]!.trim() : "";
  const a = createHmac("sha256", "clockwork-bearer").update(presented).digest();
  const b = createHmac("sha256", "clockwork-bearer").update(token).digest();
  return timingSafeEqual(a, b) && match !== null && token.length > 0;
}
