// Following a run the agent executes, over the socket, with the
// notifications every client gets (runChanged, stepChanged, runLog): no
// polling. A follower listens from the moment it is made, so it is made
// before the request that starts the run; what arrives before the run's id
// is known is kept and replayed for that run.
import { FINISHED_STATUSES, GetRun, RunChanged, RunLog, StepChanged, type LogChunk, type RunRecord, type StepRecord } from "../protocol";
import type { AgentClient } from "./client";
import { indent, LogPrinter, stepHeader, stepResultLine } from "./runFormat";

type Heard = { runId: string } & ({ kind: "finished" } | { kind: "step"; step: StepRecord } | { kind: "log"; chunk: LogChunk });

export class RunFollower {
  private readonly heard: Heard[] = [];
  private runId: string | null = null;
  private wake: (() => void) | null = null;
  private readonly printer = new LogPrinter();
  private readonly offs: Array<() => void>;

  /** `live`: print each step and its output as it happens. */
  constructor(
    private readonly client: AgentClient,
    private readonly live: boolean,
  ) {
    const hear = (item: Heard) => {
      if (this.runId !== null && item.runId !== this.runId) return;
      this.heard.push(item);
      this.wake?.();
    };
    this.offs = [
      client.onNotification(RunChanged, (run) => FINISHED_STATUSES.includes(run.status) && hear({ runId: run.id, kind: "finished" })),
      client.onNotification(StepChanged, ({ runId, step }) => hear({ runId, kind: "step", step })),
      client.onNotification(RunLog, (chunk) => hear({ runId: chunk.runId, kind: "log", chunk })),
    ];
  }

  /** Resolves with the run's record once it has finished; rejects when the agent goes away first. */
  async until(runId: string): Promise<RunRecord> {
    this.runId = runId;
    const kept = this.heard.splice(0).filter((item) => item.runId === runId);
    this.heard.push(...kept);
    const gone = this.client.closed.then(() => {
      throw new Error(`the agent closed the connection before run ${runId} finished (did it stop?); see it with clockwork show ${runId}`);
    });
    try {
      // A run that finished before we listened is read from its record.
      let finished = FINISHED_STATUSES.includes((await this.client.request(GetRun, { id: runId })).status);
      while (!finished) {
        finished = this.drain();
        if (!finished) await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), gone]);
      }
      this.drain();
      this.printer.endLine();
      return await this.client.request(GetRun, { id: runId });
    } finally {
      this.offs.forEach((off) => off());
    }
  }

  /** Prints what was heard; true once the run has finished. */
  private drain(): boolean {
    let finished = false;
    for (const item of this.heard.splice(0)) {
      if (item.kind === "finished") finished = true;
      else if (this.live) this.print(item);
    }
    return finished;
  }

  private print(item: Extract<Heard, { kind: "step" | "log" }>): void {
    if (item.kind === "log") return this.printer.chunk(item.chunk);
    const step = item.step;
    this.printer.endLine();
    if (step.status === "running" && step.attempts <= 1) process.stdout.write(`${stepHeader(step)}\n`);
    else if (step.status !== "running") {
      if (step.kind !== "shell" && step.status === "success" && step.output) process.stdout.write(`${indent(step.output)}\n`);
      process.stdout.write(`${stepResultLine(step)}\n`);
    }
  }
}
