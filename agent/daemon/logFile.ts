// The agent's log file with size-based rotation: `agent.log` grows to
// `maxBytes`, then becomes `agent.log.1` (the older `.1` becomes `.2`, and so
// on), keeping `keep` files in all. Writes are synchronous appends so that the
// last lines before a crash are on disk.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { unlinkQuietly } from "./lock";

export const DEFAULT_LOG_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_LOG_KEEP = 3;

export class LogFile {
  private fd: number | undefined;
  private size = 0;

  constructor(
    readonly file: string,
    private readonly maxBytes = DEFAULT_LOG_MAX_BYTES,
    private readonly keep = DEFAULT_LOG_KEEP,
  ) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.open();
  }

  write(text: string): void {
    if (this.fd === undefined) return;
    const bytes = Buffer.byteLength(text);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    try {
      writeSync(this.fd, text);
      this.size += bytes;
    } catch {
      // A full disk must not take the agent down; the line is lost.
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    this.fd = openSync(this.file, "a", 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    unlinkQuietly(`${this.file}.${this.keep - 1}`);
    for (let index = this.keep - 2; index >= 0; index--) {
      const from = index === 0 ? this.file : `${this.file}.${index}`;
      try {
        renameSync(from, `${this.file}.${index + 1}`);
      } catch {
        // A missing older file just means fewer generations so far.
      }
    }
    this.open();
  }
}
