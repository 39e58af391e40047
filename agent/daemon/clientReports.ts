// A run executing in a client's own process (`clockwork run`) is reported
// over clockwork/report/* and re-emitted on the agent's events, so that the
// log file, the editor features and every other client see it live. The
// reporting client is not sent its own report back.
import type { Connection } from "vscode-languageserver/node";
import type { ClockworkEvents, EventName } from "../events";
import { messageOf } from "../errors";
import * as P from "../protocol";
import type { AgentServices } from "./services";

export class ReportRelay {
  /** The client whose report is being re-emitted right now; broadcasts skip it. */
  reporter: number | undefined;

  constructor(private readonly services: AgentServices) {}

  /** Listens for the reports of client `id` on its connection. */
  listen(connection: Connection, id: number): void {
    connection.onNotification(P.ReportRunChanged, (reported) => {
      if (!reported || typeof reported.id !== "string") return;
      // The store is the record: what the reporter wrote there is what is
      // passed on (a report cannot make a run look finished that is not).
      void this.services.store.runs.getSummary(reported.id).then(
        (run) => {
          if (!run) return;
          if (P.FINISHED_STATUSES.includes(run.status) && !P.FINISHED_STATUSES.includes(reported.status)) {
            // Read after the run had already ended (a busy agent): clients
            // still hear that it started; its own report of the end follows.
            if (reported.status === "queued") this.emit(id, "run:queued", { ...run, status: "queued", startedAt: null, finishedAt: null, error: null });
            else this.emit(id, "run:started", { ...run, status: "running", finishedAt: null, error: null });
          } else if (run.status === "queued") this.emit(id, "run:queued", run);
          else if (run.status === "running") this.emit(id, "run:started", run);
          else this.emit(id, "run:finished", run);
        },
        (error: unknown) =>
          this.services.events.emit("agent:log", { level: "warn", message: `a client's report on run ${reported.id} could not be checked against the store: ${messageOf(error)}` }),
      );
    });
    connection.onNotification(P.ReportStepChanged, (p) => {
      if (p && typeof p.runId === "string") this.emit(id, "run:step", p);
    });
    connection.onNotification(P.ReportRunLog, (chunk) => {
      if (chunk && typeof chunk.runId === "string") this.emit(id, "run:log", chunk);
    });
  }

  // Events are emitted synchronously, so every broadcast the report causes
  // happens while `reporter` names its client.
  private emit<K extends EventName>(from: number, event: K, payload: ClockworkEvents[K]): void {
    this.reporter = from;
    try {
      this.services.events.emit(event, payload);
    } finally {
      this.reporter = undefined;
    }
  }
}
