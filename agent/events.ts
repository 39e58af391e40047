// The typed event map. Everything the runner, scheduler, watcher and HTTP
// server do is announced here; the log file, the socket notifications and
// the tests all listen to these events instead of polling or sleeping.
import { EventEmitter } from "node:events";
import type { AgentStatus, FileEvent, LogChunk, RunSummary, StepRecord } from "./protocol";

export interface ClockworkEvents {
  "run:queued": RunSummary;
  "run:started": RunSummary;
  "run:step": { runId: string; step: StepRecord };
  "run:log": LogChunk;
  "run:finished": RunSummary;
  /** A cancel was asked for a run that another process executes. */
  "run:cancelRequested": { runId: string };
  "schedule:fired": { trigger: string; runId: string; scheduledFor: string };
  "schedule:skipped": { trigger: string; runId: string | null; scheduledFor: string; reason: string };
  "triggers:changed": { names: string[] };
  "webhook:rejected": { name: string; status: number; reason: string };
  "watcher:error": { trigger: string; error: string };
  "watcher:recovered": { trigger: string };
  /** A watcher's chokidar instance is ready: changes from now on are seen. */
  "watcher:ready": { trigger: string };
  /** A debounced file change was decided: it started a run, or it was not one the watcher listens to. */
  "watcher:settled": { trigger: string; path: string; event: FileEvent; fired: boolean };
  "agent:status": AgentStatus;
  /** Something worth a line in the agent log that no client needs. */
  "agent:log": { level: "info" | "warn" | "error"; message: string };
}

export type EventName = keyof ClockworkEvents;

export class Events {
  private readonly emitter = new EventEmitter();
  private relaying = 0;

  constructor() {
    // Every socket client and test may listen; that is not a leak.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends EventName>(name: K, payload: ClockworkEvents[K]): void {
    this.emitter.emit(name, payload);
  }

  /**
   * Emits what happened on another agent sharing the store (team mode):
   * clients hear of it as of anything else, while `relayed` tells the
   * listeners that act only on this agent's own work (its log, its
   * bookkeeping, the relay itself) to leave it alone.
   */
  emitRelayed<K extends EventName>(name: K, payload: ClockworkEvents[K]): void {
    this.relaying++;
    try {
      this.emitter.emit(name, payload);
    } finally {
      this.relaying--;
    }
  }

  /** True while a listener runs for an event relayed from another agent. */
  get relayed(): boolean {
    return this.relaying > 0;
  }

  on<K extends EventName>(name: K, listener: (payload: ClockworkEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  /** Resolves with the first payload that satisfies `match`. */
  waitFor<K extends EventName>(
    name: K,
    match: (payload: ClockworkEvents[K]) => boolean = () => true,
  ): Promise<ClockworkEvents[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (payload) => {
        if (match(payload)) {
          off();
          resolve(payload);
        }
      });
    });
  }
}
