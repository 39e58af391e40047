// Team mode: what an agent's clients missed while its listening connection
// was down. PostgreSQL keeps no notification for a listener that is away, so
// once the connection is back the agent reads from the store what it would
// have heard: for each run executing elsewhere that it had heard of, its
// steps, the log lines after the last one heard, and where the run stands
// now; then every run created since the connection was lost. They go out
// as relayed events, the same upserts clients get live (a RunChanged
// carries the whole summary, a step its whole record), so a view following
// a run sees it finish and a `?wait=1` caller gets its answer.
import type { Events } from "../events";
import type { LogChunk, RunSummary } from "../protocol";
import type { Store } from "../store";
import { isFinished } from "./runControl";

/**
 * Runs created this long before the connection was lost are read again
 * too: announcements may have been in flight, and a run's creation time
 * comes from the clock of the host that accepted it.
 */
const LOST_MARGIN_MS = 60_000;
/** The most runs created meanwhile that are caught up on, newest first (views show the latest runs). */
const RECENT_LIMIT = 500;
const LOG_PAGE = 1000;

export class RunsHeard {
  /** Runs executing elsewhere, not yet heard finished: the seq of the last log line heard of each. */
  private readonly remote = new Map<string, number>();
  /** Runs queued or running on this agent: its own events reach its clients, and are newer than anything read here. */
  private readonly local = new Set<string>();

  // A run is in one of the two at most: whichever agent was last heard of
  // it has it (a run this agent accepted may be started by another).

  /** The runs queued or running on this agent. */
  localRuns(): string[] {
    return [...this.local];
  }

  /** A run event of this agent's own. */
  localRun(run: RunSummary): void {
    this.remote.delete(run.id);
    if (isFinished(run)) this.local.delete(run.id);
    else this.local.add(run.id);
  }

  /** A run event relayed from another agent. */
  remoteRun(run: RunSummary): void {
    this.local.delete(run.id);
    if (isFinished(run)) this.remote.delete(run.id);
    else if (!this.remote.has(run.id)) this.remote.set(run.id, 0);
  }

  /**
   * The relayed chunks of a followed run not passed on yet (a catch-up may
   * have read some of them first), remembering the last. Chunks of a run
   * not followed all pass: its last lines may come after its end.
   */
  freshChunks(runId: string, chunks: LogChunk[]): LogChunk[] {
    const heard = this.remote.get(runId);
    if (heard === undefined) return chunks;
    const fresh = chunks.filter((chunk) => chunk.seq > heard);
    // A catch-up may pass thousands of lines: no spread into Math.max.
    this.remote.set(runId, fresh.reduce((last, chunk) => Math.max(last, chunk.seq), heard));
    return fresh;
  }

  /** Emits, as relayed events, what the store says happened to runs while nothing was heard since `lostAt`. */
  async catchUp(store: Store, events: Events, lostAt: number): Promise<void> {
    const followed = new Set(this.remote.keys());
    for (const runId of followed) await this.catchUpRun(store, events, runId);
    const since = lostAt - LOST_MARGIN_MS;
    const recent = (await store.runs.listRuns({ limit: RECENT_LIMIT })).filter((run) => Date.parse(run.createdAt) >= since);
    for (const run of recent.reverse()) {
      if (followed.has(run.id) || this.remote.has(run.id) || this.local.has(run.id)) continue;
      emitRun(events, run);
      this.remoteRun(run);
    }
  }

  private async catchUpRun(store: Store, events: Events, runId: string): Promise<void> {
    const run = await store.runs.getSummary(runId);
    const steps = run ? await store.runs.getSteps(runId) : [];
    const chunks = run ? await logsAfter(store, runId, this.remote.get(runId) ?? 0) : [];
    // Gone, or taken from the shared queue by this agent meanwhile (its own events are newer).
    if (!run || this.local.has(runId)) {
      this.remote.delete(runId);
      return;
    }
    for (const step of steps) events.emitRelayed("run:step", { runId, step });
    for (const chunk of this.freshChunks(runId, chunks)) events.emitRelayed("run:log", chunk);
    emitRun(events, run);
    this.remoteRun(run);
  }
}

/** Every log line of `runId` after `afterSeq`, a page at a time. */
async function logsAfter(store: Store, runId: string, afterSeq: number): Promise<LogChunk[]> {
  const all: LogChunk[] = [];
  for (;;) {
    const page = await store.runs.logsAfter(runId, all.at(-1)?.seq ?? afterSeq, LOG_PAGE);
    all.push(...page);
    if (page.length < LOG_PAGE) return all;
  }
}

function emitRun(events: Events, run: RunSummary): void {
  if (isFinished(run)) events.emitRelayed("run:finished", run);
  else events.emitRelayed(run.status === "queued" ? "run:queued" : "run:started", run);
}
