// The fields of `{trigger.…}` and `{run.…}`, listed once with what each
// reads. The resolver (placeholders.ts) accepts exactly these, the shell
// environment (placeholderEnv.ts) exports each one, and the editor offers
// and explains them (agent/lsp/placeholderSites.ts). Pure.
import { orList } from "./orList";
import { RUN_TRIGGER_KINDS } from "./triggerKinds";

export const TRIGGER_FIELDS = {
  event: "What happened: created, modified or deleted for a file-triggered run; otherwise the trigger kind.",
  kind: `What started the run: ${orList(RUN_TRIGGER_KINDS)}.`,
  body: "The webhook or API body: JSON with sorted keys, or the raw text. Add .field.sub to read inside JSON.",
  headers: "An allow-listed request header of a webhook run, e.g. trigger.headers.x-github-event.",
  path: "The file that changed, for a file-triggered run.",
  file_event: "created, modified or deleted, for a file-triggered run.",
  name: "The name of the registered trigger that started the run.",
} as const;

export const RUN_FIELDS = {
  id: "This run's id.",
  scheduled_for: "The instant a cron run was due (ISO 8601).",
  workflow: "The workflow's name.",
} as const;

export type TriggerField = keyof typeof TRIGGER_FIELDS;
export type RunField = keyof typeof RUN_FIELDS;
/** `{trigger.body…}` reads inside the body and `{trigger.headers.<name>}` names a header; the others are one value each. */
export type ScalarTriggerField = Exclude<TriggerField, "body" | "headers">;

export const TRIGGER_FIELD_NAMES = Object.keys(TRIGGER_FIELDS) as TriggerField[];
export const RUN_FIELD_NAMES = Object.keys(RUN_FIELDS) as RunField[];
export const SCALAR_TRIGGER_FIELDS = TRIGGER_FIELD_NAMES.filter((f): f is ScalarTriggerField => f !== "body" && f !== "headers");
