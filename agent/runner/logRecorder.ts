// Writes a run's output to the store while it is produced, in small
// batches: a burst of writes becomes one insert, yet another process
// following the run (`clockwork logs -f`) sees output within a tick of
// LOG_FLUSH_MS. Each batch is announced as run:log events once it has its
// sequence numbers. Batches are written one after another, in order.
import type { Events } from "../events";
import { formatBytes } from "../core/duration";
import type { LogChunk } from "../protocol";
import type { Clock, NewLogChunk, RunRepository } from "../store";

export const LOG_FLUSH_MS = 50;
/** Per step, what the log keeps; the step's output has its own cap. */
export const STEP_LOG_CAP_BYTES = 4 * 1024 * 1024;
const FLUSH_AT_BYTES = 64 * 1024;

export class LogRecorder {
  private pending: NewLogChunk[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly logged = new Map<number | null, number>();
  private readonly dropped = new Map<number | null, number>();
  private closed = false;
  /** The write in flight; the next batch waits for it, so chunks keep their order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RunRepository,
    private readonly events: Events,
    private readonly runId: string,
    private readonly now: Clock = Date.now,
  ) {}

  write(step: number | null, stream: LogChunk["stream"], text: string): void {
    // A code step that ignored its cancel signal may still log after the run ended.
    if (!text || this.closed) return;
    if (stream !== "info") {
      const used = this.logged.get(step) ?? 0;
      const bytes = Buffer.byteLength(text);
      if (used + bytes > STEP_LOG_CAP_BYTES) {
        this.dropped.set(step, (this.dropped.get(step) ?? 0) + bytes);
        if (used >= STEP_LOG_CAP_BYTES) return;
        this.logged.set(step, STEP_LOG_CAP_BYTES);
        return;
      }
      this.logged.set(step, used + bytes);
    }
    const last = this.pending[this.pending.length - 1];
    if (last && last.step === step && last.stream === stream && stream !== "info") last.text += text;
    else this.pending.push({ step, stream, at: this.now(), text });
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_AT_BYTES) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), LOG_FLUSH_MS);
  }

  /** Notes, once per step, how much output the log cap left out. Call when the step ends. */
  endStep(step: number | null): Promise<void> {
    const dropped = this.dropped.get(step);
    if (dropped) {
      this.write(step, "info", `[log truncated: a further ${formatBytes(dropped)} of output was not recorded]\n`);
      this.dropped.delete(step);
    }
    return this.flush();
  }

  /** Writes what is pending; resolves once it (and every batch before it) is in the store and announced. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      this.writing = this.writing.then(() => this.store.appendLogs(this.runId, batch)).then(
        (chunks) => {
          for (const chunk of chunks) this.events.emit("run:log", chunk);
        },
        (error: unknown) => {
          // Losing log lines must not fail the run or crash the process.
          this.events.emit("agent:log", { level: "error", message: `run ${this.runId}: could not record output: ${(error as Error).message}` });
        },
      );
    }
    return this.writing;
  }

  close(): Promise<void> {
    const done = this.flush();
    this.closed = true;
    return done;
  }
}
