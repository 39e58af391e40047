// Keeps the run store from growing without bound: finished runs older than
// the retention period (CLOCKWORK_RETENTION_DAYS, default 30) are pruned when
// the agent starts and every six hours after. The store's prune keeps the latest
// successful run of each workflow whatever its age, so `{previous.x}` keeps
// working.
import { invalid, messageOf } from "../errors";
import type { Events } from "../events";
import type { RunRepository } from "../store";

export const DEFAULT_RETENTION_DAYS = 30;
const PRUNE_EVERY_MS = 6 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Retention in days from the environment; 0 keeps every run forever. */
export function retentionDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CLOCKWORK_RETENTION_DAYS;
  if (raw === undefined || raw === "") return DEFAULT_RETENTION_DAYS;
  const days = Number(raw);
  if (!Number.isFinite(days) || days < 0) {
    throw invalid(`CLOCKWORK_RETENTION_DAYS must be a number of days (0 keeps everything), got "${raw}"`);
  }
  return days;
}

export function startRetention(runs: RunRepository, events: Events, days: number, now: () => number = Date.now): () => void {
  if (days === 0) return () => undefined;
  const prune = () =>
    runs.prune(now() - days * DAY_MS).then(
      (removed) => {
        if (removed > 0) events.emit("agent:log", { level: "info", message: `pruned ${removed} run(s) older than ${days} days` });
      },
      (error: unknown) => events.emit("agent:log", { level: "warn", message: `pruning old runs failed: ${messageOf(error)}` }),
    );
  void prune();
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
