// The run panel's messages and its pure state: a run record that live events
// are folded into. Both the page (main.ts) and the host (panel.ts) import
// this file; it must stay free of DOM and VS Code imports.
import type { LogChunk, RunRecord, RunSummary, StepRecord } from "../../../agent/protocol";
import { statusMarks } from "../../../agent/core/statusMarks";

export interface RunPanelInit {
  run: RunRecord;
  chunks: LogChunk[];
}

/** Live changes the host forwards from agent notifications. */
export type RunPanelEvent =
  | { kind: "run"; run: RunSummary }
  | { kind: "step"; step: StepRecord }
  | { kind: "log"; chunk: LogChunk }
  /** The host fetched the whole run again (after a reconnect, or a rerun shown in this panel). */
  | { kind: "snapshot"; run: RunRecord; chunks: LogChunk[] }
  /** `offline`: why there is no agent, as the page should say it; absent while connected. */
  | { kind: "connection"; connected: boolean; offline?: string };

export type RunPanelRequest =
  | { method: "rerun" }
  | { method: "replay" }
  | { method: "replayEdited" }
  | { method: "cancel" }
  | { method: "openFile" };

export interface RunPanelState {
  run: RunRecord;
  /** Log chunks by step index; run-level lines under "run". */
  logs: Map<number | "run", LogChunk[]>;
  /** The highest chunk seq seen, so a chunk delivered twice is shown once. */
  lastSeq: number;
  connected: boolean;
  /** What the page says while not connected. */
  offline: string;
}

export function initialState(init: RunPanelInit): RunPanelState {
  const state: RunPanelState = { run: init.run, logs: new Map(), lastSeq: 0, connected: true, offline: "" };
  for (const chunk of init.chunks) addChunk(state, chunk);
  return state;
}

/**
 * Folds one event into the state (mutating it, the page re-renders after).
 * Events for another run are ignored; log chunks are deduplicated by seq,
 * since a chunk can arrive both in a snapshot and as a notification.
 */
export function applyEvent(state: RunPanelState, event: RunPanelEvent): RunPanelState {
  switch (event.kind) {
    case "snapshot": {
      const next = initialState({ run: event.run, chunks: event.chunks });
      next.connected = state.connected;
      next.offline = state.offline;
      return next;
    }
    case "connection":
      state.connected = event.connected;
      state.offline = event.offline ?? "";
      return state;
    case "run":
      if (event.run.id !== state.run.id) return state;
      state.run = { ...state.run, ...event.run };
      return state;
    case "step": {
      const steps = state.run.steps.filter((s) => s.index !== event.step.index);
      steps.push(event.step);
      steps.sort((a, b) => a.index - b.index);
      state.run = { ...state.run, steps };
      return state;
    }
    case "log":
      if (event.chunk.runId === state.run.id) addChunk(state, event.chunk);
      return state;
  }
}

function addChunk(state: RunPanelState, chunk: LogChunk): void {
  if (chunk.seq <= state.lastSeq) {
    // Out of order is possible only across a snapshot; look before adding.
    const list = state.logs.get(chunk.step ?? "run");
    if (list?.some((c) => c.seq === chunk.seq)) return;
  }
  const key = chunk.step ?? "run";
  const list = state.logs.get(key) ?? [];
  list.push(chunk);
  if (chunk.seq < state.lastSeq) list.sort((a, b) => a.seq - b.seq);
  state.logs.set(key, list);
  state.lastSeq = Math.max(state.lastSeq, chunk.seq);
}

/**
 * What a step's output area shows: the streamed log lines when there are
 * any (they include stderr and arrive live), otherwise the recorded output
 * (http and llm steps, or a run recorded before streaming).
 */
export function stepOutput(state: RunPanelState, step: StepRecord): Array<{ stream: LogChunk["stream"]; text: string }> {
  const chunks = state.logs.get(step.index);
  if (chunks && chunks.length > 0) return chunks.map((c) => ({ stream: c.stream, text: c.text }));
  return step.output ? [{ stream: "stdout", text: step.output }] : [];
}

/** Whether Cancel applies. */
export function isActive(run: RunSummary): boolean {
  return run.status === "queued" || run.status === "running";
}

/** The editor's glyph for each status, from the one table of status marks. */
export const STATUS_GLYPHS: Record<string, string> = statusMarks("editor");

/** The agent's connection as the panel describes it (the extension's states, without VS Code types). */
export type AgentState =
  | { kind: "connecting" | "starting" | "connected" }
  | { kind: "stopped"; reason: string }
  | { kind: "error"; message: string };

/**
 * What the panel says while there is no agent: waiting only when one is
 * expected back; after a deliberate stop or a failure, that it is not
 * running and the run is shown as it was.
 */
export function offlineText(state: AgentState): string {
  switch (state.kind) {
    case "connected":
      return "";
    case "connecting":
      return "Not connected to the agent: waiting for it to come back…";
    case "starting":
      return "Starting the agent…";
    case "stopped":
      return "The agent is not running, so this shows the run as it was when the agent stopped. Start the agent to follow runs live again.";
    case "error":
      return `The agent is not running (${state.message}). This shows the run as it was.`;
  }
}

/** An open run panel, as `choosePanel` sees it. */
export interface OpenPanel {
  runId: string;
  workflowFile: string;
  /** The user pinned its tab: a new run must not replace what it shows. */
  pinned: boolean;
}

/**
 * Where to show a run: the panel already showing it; else the workflow's
 * unpinned panel, whose content the new run replaces (as a test view reuses
 * one results view); else a new panel. Returns the index into `open`, or -1.
 */
export function choosePanel(
  open: readonly OpenPanel[],
  run: { id: string; workflowFile: string },
): { index: number; reuse: boolean } {
  const showing = open.findIndex((p) => p.runId === run.id);
  if (showing >= 0) return { index: showing, reuse: false };
  const reusable = open.findIndex((p) => p.workflowFile === run.workflowFile && !p.pinned);
  return reusable >= 0 ? { index: reusable, reuse: true } : { index: -1, reuse: false };
}
