// The run panel page (runs in the webview, bundled for the browser): the
// run's header, its steps with status and duration, each step's output as it
// streams, and errors under the step that raised them. Output is appended
// incrementally, so a long log neither flickers nor loses the reader's
// scroll position or selection.
import { editorDuration } from "../../../agent/core/durationText";
import { relativeTime, runDuration } from "../../../agent/core/relativeTime";
import { HostClient, type HostToWebview } from "../rpc";
import {
  STATUS_GLYPHS,
  applyEvent,
  initialState,
  isActive,
  stepOutput,
  type RunPanelEvent,
  type RunPanelInit,
  type RunPanelRequest,
  type RunPanelState,
} from "./model";
import type { StepRecord } from "../../../agent/protocol";

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscode = acquireVsCodeApi();
const host = new HostClient<RunPanelRequest>((m) => vscode.postMessage(m));
let state: RunPanelState | undefined;
let clock: ReturnType<typeof setInterval> | undefined;

/** What each step's <pre> currently shows, to append rather than redraw. */
const rendered = new Map<number, { source: "log" | "output"; count: number }>();

window.addEventListener("message", (event: MessageEvent<HostToWebview<RunPanelInit, RunPanelEvent>>) => {
  const message = event.data;
  if (host.receive(message)) return;
  if (message.type === "init") {
    state = initialState(message.init);
    rendered.clear();
    build();
    render();
  } else if (message.type === "event" && state) {
    const before = state.run.id;
    state = applyEvent(state, message.event);
    if (state.run.id !== before || message.event.kind === "snapshot") {
      rendered.clear();
      build();
    }
    render();
  }
});
host.ready();

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** The page skeleton; filled in by render(). */
function build(): void {
  const app = byId<HTMLElement>("app");
  app.removeAttribute("aria-busy");
  app.replaceChildren(
    el("header", {},
      el("div", { class: "title" },
        el("span", { id: "status", class: "badge", role: "status" }),
        el("h1", { id: "workflow" }),
      ),
      el("p", { id: "meta", class: "meta" }),
      el("div", { class: "actions" },
        el("button", { id: "rerun", type: "button", text: "Rerun", title: "Run this workflow again with the same input" }),
        el("button", { id: "replay", type: "button", class: "secondary", text: "Replay", title: "Run it again as its trigger started it: same trigger, body, headers, file and scheduled time" }),
        el("button", { id: "replay-edited", type: "button", class: "secondary", text: "Replay with Edited Body…", title: "Edit the body as JSON, then replay with it" }),
        el("button", { id: "cancel", type: "button", class: "secondary", text: "Cancel", title: "Cancel this run" }),
        el("button", { id: "open", type: "button", class: "secondary", text: "Open Workflow", title: "Open the workflow file" }),
        el("span", { id: "action-error", class: "error", role: "alert", hidden: "" }),
      ),
      el("p", { id: "offline", class: "offline", role: "status", hidden: "" }),
    ),
    el("div", { id: "run-error", class: "run-error", role: "alert", hidden: "" }),
    el("ol", { id: "steps", class: "steps", "aria-label": "Steps" }),
    el("section", { id: "run-log", class: "run-log", hidden: "" }, el("h2", { text: "Run log" }), el("pre", { id: "run-log-text" })),
  );
  byId<HTMLButtonElement>("rerun").addEventListener("click", () => act({ method: "rerun" }));
  byId<HTMLButtonElement>("replay").addEventListener("click", () => act({ method: "replay" }));
  byId<HTMLButtonElement>("replay-edited").addEventListener("click", () => act({ method: "replayEdited" }));
  byId<HTMLButtonElement>("cancel").addEventListener("click", () => act({ method: "cancel" }));
  byId<HTMLButtonElement>("open").addEventListener("click", () => act({ method: "openFile" }));
}

function act(request: RunPanelRequest): void {
  const error = byId<HTMLElement>("action-error");
  error.hidden = true;
  host.request(request).catch((e: Error) => {
    error.textContent = e.message;
    error.hidden = false;
  });
}

function render(): void {
  if (!state) return;
  const run = state.run;
  const now = Date.now();
  const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 24;

  const badge = byId<HTMLElement>("status");
  badge.textContent = `${STATUS_GLYPHS[run.status] ?? ""} ${run.status}`;
  badge.className = `badge status-${run.status}`;
  byId<HTMLElement>("workflow").textContent = run.workflowName;
  const started = Date.parse(run.startedAt ?? run.createdAt);
  const duration = runDuration(run, now);
  const trigger = run.triggerName ? `${run.triggerKind} · ${run.triggerName}` : run.triggerKind;
  byId<HTMLElement>("meta").textContent = [
    `run ${run.id}`,
    trigger,
    run.replayOf ? `replay of ${run.replayOf}` : "",
    run.backfill && run.scheduledFor ? `backfill for ${new Date(run.scheduledFor).toLocaleString()}` : "",
    run.missed ? `missed ${run.missed.count} instant${run.missed.count === 1 ? "" : "s"} before it` : "",
    `started ${new Date(started).toLocaleString()} (${relativeTime(started, now)})`,
    duration === null ? "" : `${run.status === "running" ? "running for" : "took"} ${editorDuration(duration)}`,
  ]
    .filter(Boolean)
    .join(" · ");
  byId<HTMLButtonElement>("cancel").disabled = !isActive(run) || !state.connected;
  for (const id of ["rerun", "replay", "replay-edited"]) byId<HTMLButtonElement>(id).disabled = !state.connected;
  const offline = byId<HTMLElement>("offline");
  offline.hidden = state.connected;
  offline.textContent = state.offline;

  const runError = byId<HTMLElement>("run-error");
  // A run-level error that no step owns (the file did not load, the agent
  // stopped) is shown at the top; a step's error is shown under the step.
  const ownedByStep = run.steps.some((s) => s.error && run.error?.includes(s.error));
  runError.hidden = !run.error || ownedByStep;
  runError.textContent = run.error ?? "";

  const list = byId<HTMLOListElement>("steps");
  for (const step of run.steps) renderStep(list, step, now);

  const runLog = state.logs.get("run") ?? [];
  byId<HTMLElement>("run-log").hidden = runLog.length === 0;
  byId<HTMLElement>("run-log-text").textContent = runLog.map((c) => c.text).join("");

  if (atBottom && run.status === "running") window.scrollTo(0, document.body.scrollHeight);
  // Durations count every second while the run goes; "5 min ago" needs
  // far fewer updates once it is over.
  clearInterval(clock);
  clock = setInterval(render, run.status === "running" ? 1000 : 30_000);
}

function renderStep(list: HTMLOListElement, step: StepRecord, now: number): void {
  let item = document.getElementById(`step-${step.index}`);
  if (!item) {
    item = el("li", { id: `step-${step.index}`, class: "step" },
      el("div", { class: "step-head" },
        el("span", { class: "glyph", "aria-hidden": "true" }),
        el("span", { class: "name" }),
        el("span", { class: "kind" }),
        el("span", { class: "facts" }),
      ),
      el("pre", { class: "output", tabindex: "0", "aria-label": `Output of step ${step.name}` }),
      el("div", { class: "step-error", role: "alert", hidden: "" }),
    );
    // Keep the list in step order whatever order steps arrive in.
    const after = Array.from(list.children).find((c) => Number(c.id.slice(5)) > step.index);
    list.insertBefore(item, after ?? null);
  }
  item.className = `step status-${step.status}`;
  item.querySelector(".glyph")!.textContent = STATUS_GLYPHS[step.status] ?? "";
  item.querySelector(".name")!.textContent = step.name;
  item.querySelector(".kind")!.textContent = step.kind;
  const duration = runDuration(step, now);
  const facts = [
    step.status,
    duration === null ? "" : editorDuration(duration),
    step.attempts > 1 ? `attempt ${step.attempts}` : "",
    step.exitCode !== null && step.exitCode !== 0 ? `exit ${step.exitCode}` : "",
  ].filter(Boolean);
  item.querySelector(".facts")!.textContent = facts.join(" · ");

  const pre = item.querySelector("pre")!;
  const lines = stepOutput(state!, step);
  const source = (state!.logs.get(step.index)?.length ?? 0) > 0 ? "log" : "output";
  const shown = rendered.get(step.index);
  if (!shown || shown.source !== source || shown.count > lines.length) {
    pre.replaceChildren();
    rendered.set(step.index, { source, count: 0 });
  }
  const progress = rendered.get(step.index)!;
  for (const line of lines.slice(progress.count)) pre.append(el("span", { class: line.stream, text: line.text }));
  progress.count = lines.length;
  pre.hidden = lines.length === 0;

  const error = item.querySelector<HTMLElement>(".step-error")!;
  error.hidden = !step.error;
  error.textContent = step.error ?? "";
}
