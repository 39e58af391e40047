// Durations in workflow options: milliseconds as a number, or a string with
// a unit ("500ms", "30s", "5m", "1h", "1.5s"). Pure.

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;

/** Milliseconds for `value`, or throws an Error whose message says what is accepted. */
export function parseDuration(value: unknown): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${value} is not a duration: use a number of milliseconds ≥ 0`);
    return Math.round(value);
  }
  if (typeof value === "string") {
    const match = PATTERN.exec(value);
    if (match) return Math.round(Number(match[1]) * UNITS[match[2]!]!);
  }
  throw new Error(
    `${JSON.stringify(value)} is not a duration: use milliseconds (a number) or a string such as "500ms", "30s", "5m", "1h"`,
  );
}

/** Bytes as B, KiB or MiB with one decimal where it helps. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${trim(bytes / 1024)} KiB`;
  return `${trim(bytes / (1024 * 1024))} MiB`;
}

function trim(n: number): string {
  return n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
}
