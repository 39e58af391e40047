// Step outputs are capped so that one chatty command cannot grow the store
// without bound. Pure: bytes go in, capped text with a visible marker comes out.
import { formatBytes } from "./duration";

/** The most a step's stored output (and each placeholder value made from it) can hold. */
export const OUTPUT_CAP_BYTES = 1024 * 1024;

export function truncationMarker(totalBytes: number, keptBytes: number): string {
  return `\n[… output truncated by Clockwork: ${formatBytes(totalBytes)} in total, the first ${formatBytes(keptBytes)} kept]`;
}

/** Collects a byte stream, keeping the first `cap` bytes and counting the rest. */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly cap: number = OUTPUT_CAP_BYTES) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept >= this.cap) return;
    const room = this.cap - this.kept;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  /** The text, trimmed when `trim` is set, with the marker appended when bytes were dropped. */
  text(trim = false): string {
    let buffer = Buffer.concat(this.chunks);
    if (this.truncated) buffer = buffer.subarray(0, utf8Boundary(buffer));
    const text = buffer.toString("utf8");
    if (!this.truncated) return trim ? text.trim() : text;
    return (trim ? text.trimStart() : text) + truncationMarker(this.total, buffer.length);
  }
}

/** Caps a string that is already in memory (a code step's return value, a model's reply). */
export function capText(text: string, cap: number = OUTPUT_CAP_BYTES): string {
  if (Buffer.byteLength(text) <= cap) return text;
  const out = new CappedOutput(cap);
  out.push(Buffer.from(text));
  return out.text();
}

/** The largest length ≤ buffer.length that does not cut a UTF-8 sequence in half. */
function utf8Boundary(buffer: Buffer): number {
  let end = buffer.length;
  // Step back over continuation bytes (10xxxxxx) to the lead byte of the last character.
  let i = end - 1;
  while (i >= 0 && i >= end - 4 && (buffer[i]! & 0xc0) === 0x80) i--;
  if (i < 0) return end;
  const lead = buffer[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (end - i < need) end = i;
  return end;
}
