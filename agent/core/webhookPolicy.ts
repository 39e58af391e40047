// Webhook policy, decided once for the agent, the CLI and the store: how
// long a sender-made secret must be, how a new one is made, which body sizes
// a registration may choose (and the default), how a size is written, and
// where a webhook is reached. Pure apart from the random bytes of a secret.
import { randomBytes } from "node:crypto";
import { invalid } from "../errors";

/** The body limit of a webhook registered without one, and of a `POST /run` body. */
export const DEFAULT_WEBHOOK_BODY_BYTES = 1024 * 1024;
/** The largest body a webhook may be configured to accept. */
export const MAX_WEBHOOK_BODY_BYTES = 100 * 1024 * 1024;
/** The shortest secret a sender may bring; the agent's own are 64 hex characters. */
export const MIN_SECRET_LENGTH = 16;

/** 256 random bits, hex: the secret a sender signs with. */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString("hex");
}

/**
 * A secret pasted or piped in (`--secret-stdin`): surrounding whitespace and
 * the trailing newline go, anything shorter than MIN_SECRET_LENGTH or with
 * whitespace inside is refused.
 */
export function normaliseImportedSecret(raw: string): string {
  const secret = raw.trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    throw invalid(`the secret must be at least ${MIN_SECRET_LENGTH} characters (leave --secret-stdin out to get a 256-bit one)`);
  }
  if (/\s/.test(secret)) throw invalid("the secret must not contain whitespace");
  return secret;
}

/** Parses `--max-body`: bytes, or a number with k/K/kb/KiB or m/M/mb/MiB (powers of 1024). */
export function parseByteSize(text: string): number {
  const bytes = bytesOf(text);
  if (bytes === null) throw invalid(`--max-body: "${text}" is not a size (e.g. 65536, 512k, 5m)`);
  return checkBodyLimit(bytes);
}

/** Bytes, or a number with k/K/kb/KiB or m/M/mb/MiB (powers of 1024); null when `text` is not a size. */
export function bytesOf(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(text);
  if (!match) return null;
  const unit = (match[2] ?? "b").toLowerCase();
  const factor = unit.startsWith("m") ? 1024 * 1024 : unit.startsWith("k") ? 1024 : 1;
  return Math.floor(Number(match[1]) * factor);
}

/** A webhook's body limit as registered: the default when absent; refused outside 1 byte to MAX_WEBHOOK_BODY_BYTES. */
export function checkBodyLimit(bytes: number = DEFAULT_WEBHOOK_BODY_BYTES): number {
  if (!Number.isInteger(bytes) || bytes <= 0 || bytes > MAX_WEBHOOK_BODY_BYTES) {
    throw invalid(`--max-body: choose between 1 byte and ${MAX_WEBHOOK_BODY_BYTES / 1024 / 1024} MiB`);
  }
  return bytes;
}

/** The route a webhook is delivered to: `/webhook/<name>`. */
export function webhookPath(name: string): string {
  return `/webhook/${encodeURIComponent(name)}`;
}

/** The name segment of a request path that is a webhook's route, still percent-encoded; null for any other path. */
export function webhookSegment(pathname: string): string | null {
  return /^\/webhook\/([^/]+)$/.exec(pathname)?.[1] ?? null;
}

/** The full URL under the HTTP server's base URL; null while the server is off. */
export function webhookUrl(base: string | null, name: string): string | null {
  return base ? `${base}${webhookPath(name)}` : null;
}
