// The cron editor page (runs in the webview, bundled for the browser). It
// renders a plain form with native controls, so keyboard use and screen
// readers work as everywhere else in VS Code, and asks the host for a
// preview after each change: the description, the next five fires and every
// validation error come from the agent, so they say exactly what the
// scheduler and `clockwork register` will do. Errors wait until the user
// pauses typing.
import { relativeTime } from "../../../agent/core/relativeTime";
import { HostClient, type HostToWebview } from "../rpc";
import {
  CATCHUP_CHOICES,
  ERROR_DELAY_MS,
  OVERLAP_CHOICES,
  PRESETS,
  PreviewTracker,
  canSave,
  inlineErrors,
  matchingPreset,
  previewHint,
  type CronEditorInit,
  type CronEditorRequest,
  type FormState,
} from "./model";
import type { CronPreview } from "../../../agent/protocol";

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscode = acquireVsCodeApi();
const host = new HostClient<CronEditorRequest>((m) => vscode.postMessage(m));
const tracker = new PreviewTracker();
const PREVIEW_DELAY_MS = 120;

let init: CronEditorInit | undefined;
const state: FormState = { expression: "", timezone: "", preview: null, saving: false, settled: true };
let previewTimer: ReturnType<typeof setTimeout> | undefined;
let settleTimer: ReturnType<typeof setTimeout> | undefined;

window.addEventListener("message", (event: MessageEvent<HostToWebview<CronEditorInit, never>>) => {
  const message = event.data;
  if (host.receive(message)) return;
  if (message.type === "init") start(message.init);
});
host.ready();

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function start(data: CronEditorInit): void {
  init = data;
  state.expression = data.cron;
  state.timezone = data.timezone;
  render(data);
  update();
  byId<HTMLInputElement>("cron").focus();
  byId<HTMLInputElement>("cron").select();
}

function render(data: CronEditorInit): void {
  const app = byId<HTMLElement>("app");
  app.replaceChildren();
  app.removeAttribute("aria-busy");
  const editing = data.mode === "edit";

  const presetButtons = PRESETS.map((p) =>
    el("button", { type: "button", class: "preset", "data-cron": p.cron, "aria-pressed": "false", title: p.cron, text: p.label }),
  );
  const form = el("form", { id: "form", novalidate: "" },
    nameField(data, editing),
    cronField(data, presetButtons),
    zoneField(data),
    policyFields(data),
    previewSection(),
    formActions(editing),
  );
  app.append(heading(data, editing), form);
  listen(form, presetButtons);
}

function heading(data: CronEditorInit, editing: boolean): HTMLElement {
  return el("header", {},
    el("h1", { text: editing ? `Edit schedule “${data.name}”` : "Register a schedule" }),
    el("p", { class: "subtitle" }, "Runs ", el("code", { text: data.fileLabel, title: data.file }), " on a cron schedule."),
  );
}

function nameField(data: CronEditorInit, editing: boolean): HTMLElement {
  return el("div", { class: "field" },
    el("label", { for: "name", text: "Name" }),
    el("input", {
      id: "name",
      type: "text",
      value: data.name,
      placeholder: "the workflow's name",
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": "name-hint",
      ...(editing ? { readonly: "", "aria-readonly": "true" } : {}),
    }),
    el("p", { id: "name-hint", class: "hint", text: editing ? "A schedule keeps its name; unregister and register again to rename it." : "Unique among your triggers. Leave empty to use the workflow's name." }),
  );
}

function cronField(data: CronEditorInit, presetButtons: HTMLButtonElement[]): HTMLElement {
  const presets = el("div", { class: "presets", role: "group", "aria-label": "Presets" }, ...presetButtons);
  return el("div", { class: "field" },
    el("label", { for: "cron", text: "Cron expression" }),
    el("input", {
      id: "cron",
      type: "text",
      class: "mono",
      value: data.cron,
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": "cron-hint cron-error",
    }),
    el("p", { id: "cron-hint", class: "hint", text: "minute hour day-of-month month day-of-week (an optional seconds field may come first), or @hourly, @daily, @weekly, @monthly." }),
    el("p", { id: "cron-error", class: "error", role: "alert", hidden: "" }),
    presets,
  );
}

function zoneField(data: CronEditorInit): HTMLElement {
  const zoneList = el("datalist", { id: "zones" }, ...data.timezones.map((z) => el("option", { value: z })));
  return el("div", { class: "field" },
    el("label", { for: "timezone", text: "Time zone" }),
    el("input", {
      id: "timezone",
      type: "text",
      list: "zones",
      value: data.timezone,
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": "timezone-hint timezone-error",
    }),
    zoneList,
    el("p", { id: "timezone-hint", class: "hint", text: "Type to search the IANA zones (older names such as Asia/Calcutta work too). Fires follow this zone's clock, daylight saving included." }),
    el("p", { id: "timezone-error", class: "error", role: "alert", hidden: "" }),
  );
}

/** Overlap and catch-up, as plain selects. */
function policyFields(data: CronEditorInit): HTMLElement {
  const select = (id: string, choices: ReadonlyArray<{ value: string; label: string }>, value: string) =>
    el("select", { id }, ...choices.map((c) => el("option", { value: c.value, text: c.label, ...(c.value === value ? { selected: "" } : {}) })));
  return el("div", { class: "row" },
    el("div", { class: "field" }, el("label", { for: "overlap", text: "When the previous run is still going" }), select("overlap", OVERLAP_CHOICES, data.overlap)),
    el("div", { class: "field" }, el("label", { for: "catchup", text: "Fires missed while the agent was off" }), select("catchup", CATCHUP_CHOICES, data.catchup)),
  );
}

/** The description and next fires, filled in by renderPreview. */
function previewSection(): HTMLElement {
  return el("section", { class: "preview", "aria-labelledby": "preview-title" },
    el("h2", { id: "preview-title", text: "Preview" }),
    el("p", { id: "description", class: "description", "aria-live": "polite" }),
    el("h3", { id: "fires-title", text: "Next five fires" }),
    el("ol", { id: "fires", "aria-labelledby": "fires-title" }),
  );
}

function formActions(editing: boolean): HTMLElement {
  return el("div", { class: "actions" },
    el("button", { type: "submit", id: "save", text: editing ? "Save" : "Register" }),
    el("button", { type: "button", id: "cancel", class: "secondary", text: "Cancel" }),
    el("p", { id: "save-error", class: "error", role: "alert", hidden: "" }),
  );
}

/** Wires the form's controls to the state, the preview and the host. */
function listen(form: HTMLFormElement, presetButtons: HTMLButtonElement[]): void {
  byId<HTMLInputElement>("cron").addEventListener("input", (e) => {
    state.expression = (e.target as HTMLInputElement).value;
    typing();
  });
  byId<HTMLInputElement>("timezone").addEventListener("input", (e) => {
    state.timezone = (e.target as HTMLInputElement).value;
    typing();
  });
  for (const id of ["cron", "timezone"]) byId<HTMLInputElement>(id).addEventListener("blur", settle);
  for (const button of presetButtons) {
    button.addEventListener("click", () => {
      const input = byId<HTMLInputElement>("cron");
      input.value = button.dataset.cron ?? "";
      state.expression = input.value;
      update();
      input.focus();
    });
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void save();
  });
  byId<HTMLButtonElement>("cancel").addEventListener("click", () => void host.request({ method: "cancel" }));
}

/** A keystroke: errors hide until the input rests for ERROR_DELAY_MS. */
function typing(): void {
  state.settled = false;
  clearTimeout(settleTimer);
  settleTimer = setTimeout(settle, ERROR_DELAY_MS);
  update();
}

function settle(): void {
  clearTimeout(settleTimer);
  if (state.settled) return;
  state.settled = true;
  renderPreview();
}

/** Re-renders the parts that depend on the input and asks for a new preview. */
function update(): void {
  const preset = matchingPreset(state.expression);
  for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>(".preset"))) {
    button.setAttribute("aria-pressed", String(button.dataset.cron === preset?.cron));
  }
  renderPreview();
  clearTimeout(previewTimer);
  if (state.expression.trim() === "" || state.timezone.trim() === "") return;
  const ticket = tracker.next();
  const expression = state.expression.trim();
  const timezone = state.timezone.trim();
  previewTimer = setTimeout(() => {
    host
      .request<CronPreview>({ method: "preview", expression, timezone })
      .then((result) => {
        if (!tracker.isCurrent(ticket)) return;
        showError("save-error", null);
        state.preview = { expression, timezone, result };
        renderPreview();
      })
      .catch((error: Error) => {
        // Not an answer about the input (the agent is not connected): say so
        // where the form's own problems go, blaming neither field.
        if (tracker.isCurrent(ticket)) showError("save-error", error.message);
      });
  }, PREVIEW_DELAY_MS);
}

function renderPreview(): void {
  const errors = inlineErrors(state);
  showError("cron-error", errors.expression);
  byId<HTMLInputElement>("cron").setAttribute("aria-invalid", String(errors.expression !== null));
  showError("timezone-error", errors.timezone);
  byId<HTMLInputElement>("timezone").setAttribute("aria-invalid", String(errors.timezone !== null));
  const p = state.preview;
  const current = p && p.expression === state.expression.trim() && p.timezone === state.timezone.trim() ? p.result : null;
  const description = byId<HTMLElement>("description");
  const fires = byId<HTMLOListElement>("fires");
  const section = description.closest(".preview");
  section?.classList.toggle("stale", current === null);
  if (current?.ok) {
    description.textContent = current.description;
    const format = new Intl.DateTimeFormat(undefined, {
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZone: current.timezone,
      timeZoneName: "short",
    });
    const now = Date.now();
    fires.replaceChildren(
      ...current.next.map((at) => {
        const ms = Date.parse(at);
        return el("li", {}, el("time", { datetime: at, text: format.format(ms) }), el("span", { class: "relative", text: ` · ${relativeTime(ms, now)}` }));
      }),
    );
    if (current.next.length === 0) fires.replaceChildren(el("li", { class: "hint", text: "This expression never fires again." }));
  } else if (current && !current.ok) {
    description.textContent = "—";
    fires.replaceChildren(el("li", { class: "hint", text: previewHint(state) ?? "" }));
  }
  byId<HTMLButtonElement>("save").disabled = !canSave(state);
}

function showError(id: string, message: string | null): void {
  const node = byId<HTMLElement>(id);
  node.textContent = message ?? "";
  node.hidden = message === null;
}

async function save(): Promise<void> {
  if (!init || !canSave(state)) return;
  state.saving = true;
  renderPreview();
  showError("save-error", null);
  try {
    await host.request({
      method: "save",
      values: {
        name: byId<HTMLInputElement>("name").value,
        cron: state.expression,
        timezone: state.timezone,
        overlap: byId<HTMLSelectElement>("overlap").value as CronEditorInit["overlap"],
        catchup: byId<HTMLSelectElement>("catchup").value as CronEditorInit["catchup"],
      },
    });
  } catch (error) {
    showError("save-error", (error as Error).message);
  } finally {
    state.saving = false;
    renderPreview();
  }
}
