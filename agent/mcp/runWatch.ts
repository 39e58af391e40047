// Waiting for a run to finish over the agent socket, with the notifications
// every client already gets (clockwork/runChanged, clockwork/stepChanged):
// no polling and no request of its own.
//
// A RunWatch listens from the moment it is made, so it must be made on the
// connection *before* the request that starts the run: the agent subscribes
// a connection when it receives its first request, so every change of the
// new run reaches it, even one that comes before we know the run's id.
import type { AgentClient } from "../cli/client";
import { FINISHED_STATUSES, GetRun, RunChanged, StepChanged, type StepRecord } from "../protocol";

export type WaitOutcome = "finished" | "timeout";

export interface WaitOptions {
  timeoutMs: number;
  /** Aborts the wait (the client cancelled the call); the run goes on. */
  signal: AbortSignal;
  onStep?: (step: StepRecord) => void;
}

export class RunWatch {
  private readonly finished = new Set<string>();
  private readonly steps: Array<{ runId: string; step: StepRecord }> = [];
  private wake: (() => void) | null = null;
  private readonly offs: Array<() => void>;

  constructor(private readonly client: AgentClient) {
    this.offs = [
      client.onNotification(RunChanged, (run) => {
        if (FINISHED_STATUSES.includes(run.status)) this.finished.add(run.id);
        this.wake?.();
      }),
      client.onNotification(StepChanged, (change) => {
        this.steps.push(change);
        this.wake?.();
      }),
    ];
  }

  /** Resolves once run `runId` has finished, or with "timeout"; rejects when aborted or when the agent goes away. */
  async until(runId: string, options: WaitOptions): Promise<WaitOutcome> {
    // A run that finished some other way than we heard of is read from the
    // record once. Its steps' notifications came before this answer, so they
    // are still reported below.
    const record = await this.client.request(GetRun, { id: runId });
    if (FINISHED_STATUSES.includes(record.status)) this.finished.add(runId);
    let timer: NodeJS.Timeout | undefined;
    let abort = () => {};
    const timedOut = new Promise<WaitOutcome>((resolve) => (timer = setTimeout(() => resolve("timeout"), options.timeoutMs)));
    // Promise.race handles the rejections of these two even when they come after it has settled.
    const aborted = new Promise<never>((_resolve, reject) => {
      abort = () => reject(new Error(`stopped waiting for run ${runId}: the call was cancelled (the run goes on)`));
      if (options.signal.aborted) abort();
      options.signal.addEventListener("abort", abort, { once: true });
    });
    const gone = this.client.closed.then(() => {
      throw new Error(`the agent closed the connection before run ${runId} finished (did it stop?); read the run with get_run`);
    });
    try {
      return await Promise.race([this.heard(runId, options.onStep), timedOut, aborted, gone]);
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener("abort", abort);
      this.wake = null;
    }
  }

  dispose(): void {
    this.offs.forEach((off) => off());
  }

  private async heard(runId: string, onStep?: (step: StepRecord) => void): Promise<WaitOutcome> {
    for (;;) {
      for (const change of this.steps.splice(0)) if (change.runId === runId) onStep?.(change.step);
      if (this.finished.has(runId)) return "finished";
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
