// The kinds of trigger a user can register, declared once. The protocol's
// `TriggerType`, the records' per-kind details, the agent's counts, the CLI's
// listings and the editor's tree derive from this table, and every switch
// over a kind ends in `unreachable`, so a kind added here is a compile error
// in each place that has to handle it. Pure and free of Node imports: the
// extension bundles it.
import type { TriggerEvent } from "../sdk";

interface TriggerKindSpec {
  /** The key of its count in the agent's status ("schedules", "runTriggers"). */
  plural: string;
  /** What a sentence calls one and several ("run trigger", "run triggers"). */
  words: readonly [one: string, several: string];
  /** The heading of its group in listings and the editor's tree. */
  label: string;
  /** What a run it starts records as its trigger kind (`{trigger.kind}`). */
  runKind: TriggerEvent;
}

export const TRIGGER_KINDS = {
  schedule: { plural: "schedules", words: ["schedule", "schedules"], label: "Schedules", runKind: "cron" },
  webhook: { plural: "webhooks", words: ["webhook", "webhooks"], label: "Webhooks", runKind: "webhook" },
  watcher: { plural: "watchers", words: ["watcher", "watchers"], label: "Watchers", runKind: "file" },
  run: { plural: "runTriggers", words: ["run trigger", "run triggers"], label: "Run Triggers", runKind: "run" },
} as const satisfies Record<string, TriggerKindSpec>;

/** What can be registered. */
export type TriggerType = keyof typeof TRIGGER_KINDS;

/** Every kind, in the order listings show them. */
export const TRIGGER_TYPES = Object.keys(TRIGGER_KINDS) as TriggerType[];

export type TriggerCountKey = (typeof TRIGGER_KINDS)[TriggerType]["plural"];
/** How many triggers of each kind are registered: `{ schedules, webhooks, watchers, runTriggers }`. */
export type TriggerCounts = Record<TriggerCountKey, number>;

export function isTriggerType(value: unknown): value is TriggerType {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(TRIGGER_KINDS, value);
}

/** Counts from (kind, number) pairs, e.g. the rows of a GROUP BY; kinds without a pair count 0. */
export function triggerCounts(pairs: Iterable<readonly [TriggerType, number]>): TriggerCounts {
  const counts = Object.fromEntries(TRIGGER_TYPES.map((type) => [TRIGGER_KINDS[type].plural, 0])) as TriggerCounts;
  for (const [type, n] of pairs) counts[TRIGGER_KINDS[type].plural] += n;
  return counts;
}

/** "2 schedules, 1 webhook, 0 watchers, 0 run triggers": the counts in one line, as `clockwork status` and the status bar show them. */
export function triggerCountsText(counts: TriggerCounts): string {
  return TRIGGER_TYPES.map((type) => {
    const n = counts[TRIGGER_KINDS[type].plural];
    const [one, several] = TRIGGER_KINDS[type].words;
    return `${n} ${n === 1 ? one : several}`;
  }).join(", ");
}

/** The kind of registered trigger that starts runs of `runKind` (`cron` → schedule); none for manual and API runs. */
export function triggerTypeOfRun(runKind: TriggerEvent): TriggerType | undefined {
  return TRIGGER_TYPES.find((type) => TRIGGER_KINDS[type].runKind === runKind);
}

/** What can start a run (`{trigger.kind}`), in the order documentation lists them. */
export const RUN_TRIGGER_KINDS = ["manual", "cron", "webhook", "file", "api", "run"] as const satisfies readonly TriggerEvent[];
// A compile error here when the SDK's TriggerEvent gains a kind the list above lacks.
type MissingRunKind = Exclude<TriggerEvent, (typeof RUN_TRIGGER_KINDS)[number]>;
const runKindsComplete: [MissingRunKind] extends [never] ? true : MissingRunKind = true;
void runKindsComplete;
