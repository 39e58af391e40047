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
  run: "The finished run a run trigger reacted to: add .id, .workflow, .status, .error or .trigger_kind.",
} as const;

/** The fields of `{trigger.run.…}`: the finished run that started a run trigger's run. */
export const TRIGGER_RUN_FIELDS = {
  id: "The id of the finished run this run trigger reacted to.",
  workflow: "The name of that run's workflow.",
  status: "How that run ended: success, failed, cancelled or skipped.",
  error: "Why that run failed, was cancelled or skipped (a run that succeeded has none).",
  trigger_kind: `What started that run: ${orList(RUN_TRIGGER_KINDS)}.`,
} as const;

export const RUN_FIELDS = {
  id: "This run's id.",
  scheduled_for: "The instant a cron run was due (ISO 8601).",
  workflow: "The workflow's name.",
} as const;

export type TriggerField = keyof typeof TRIGGER_FIELDS;
export type RunField = keyof typeof RUN_FIELDS;
export type TriggerRunField = keyof typeof TRIGGER_RUN_FIELDS;
/** Fields with parts: `{trigger.body…}` reads inside the body, `{trigger.headers.<name>}` names a header, `{trigger.run.<field>}` a field of the run. */
const COMPOUND_TRIGGER_FIELDS = ["body", "headers", "run"] as const satisfies readonly TriggerField[];
/** The trigger fields that are one value each. */
export type ScalarTriggerField = Exclude<TriggerField, (typeof COMPOUND_TRIGGER_FIELDS)[number]>;

export const TRIGGER_FIELD_NAMES = Object.keys(TRIGGER_FIELDS) as TriggerField[];
export const RUN_FIELD_NAMES = Object.keys(RUN_FIELDS) as RunField[];
export const TRIGGER_RUN_FIELD_NAMES = Object.keys(TRIGGER_RUN_FIELDS) as TriggerRunField[];
export const SCALAR_TRIGGER_FIELDS = TRIGGER_FIELD_NAMES.filter(
  (f): f is ScalarTriggerField => !(COMPOUND_TRIGGER_FIELDS as readonly string[]).includes(f),
);
