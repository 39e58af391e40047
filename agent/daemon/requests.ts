// Every clockwork/* request the agent answers and the service call it maps
// to. The table is keyed by the protocol's export names, so a request
// declared in agent/protocol.ts without a handler here (or a handler without
// a request) does not compile; each handler receives its params as the
// protocol types them, already checked by the schema of the same name in
// requestParams.ts. The socket server registers the table on each connection.
import type { z } from "zod";
import { valueText } from "../core/placeholders";
import { listTimezones } from "../core/timezones";
import { defaultTimezone } from "../core/cron";
import { invalid } from "../errors";
import * as P from "../protocol";
import { requestParams } from "./requestParams";
import type { ParamsOf, RequestName, ResultOf } from "./requestTypes";
import type { AgentServices } from "./services";
import { untilWatching } from "./watcherComponent";
import { registerWebhook } from "./webhooks";

export interface RequestHandler {
  method: string;
  /** Validates and normalises the params; a failure becomes InvalidParams. */
  params: z.ZodType;
  handle(params: unknown, services: AgentServices): unknown;
}

type Handlers = {
  [N in RequestName]: (params: ParamsOf<N>, services: AgentServices) => ResultOf<N> | Promise<ResultOf<N>>;
};

const handlers: Handlers = {
  Status: (_p, s) => s.status(),

  ListTriggers: async (p, s) => {
    if (!p.names) return s.store.triggers.list(p.type);
    // Clients re-read just the triggers a TriggersChanged names, instead of
    // every trigger after each change.
    const records = [];
    for (const n of p.names) {
      const row = await s.store.triggers.get(n);
      if (row && (!p.type || row.type === p.type)) records.push(await s.store.triggers.toRecord(row));
    }
    return records;
  },

  RegisterSchedule: (p, s) => s.triggerOps.registerSchedule(p),

  RegisterSchedules: (p, s) => s.triggerOps.registerSchedules(p.schedules),

  RegisterWebhook: async (p, s) =>
    registerWebhook({ triggers: s.store.triggers, triggerOps: s.triggerOps, events: s.events, httpUrl: (await s.status()).httpUrl }, p),

  RegisterWatcher: (p, s) => untilWatching(s, () => s.triggerOps.registerWatcher(p)),

  RegisterRunTrigger: (p, s) => s.triggerOps.registerRunTrigger(p),

  UpdateTrigger: (p, s) => untilWatching(s, () => s.triggerOps.update(p)),

  SetTriggerPaused: (p, s) => untilWatching(s, async () => s.triggerOps.setPaused(p.name, p.paused)),

  UnregisterTrigger: (p, s) => s.triggerOps.unregister(p.name),

  FireTrigger: async (p, s) => {
    const context: P.TriggerContext = {};
    if (p.body !== undefined) context.body = p.body;
    if (p.headers !== undefined) context.headers = p.headers;
    return { runId: (await s.fireTrigger(p.name, context)).id };
  },

  WebhookDeliveries: async (p, s) => {
    const trigger = await s.store.triggers.require(p.name);
    if (trigger.type !== "webhook") throw invalid(`"${p.name}" is a ${trigger.type}, not a webhook: it has no deliveries`);
    return (await s.store.runs.recentWithContext(p.name, "webhook", p.limit ?? 10)).map(({ run, context }) => deliveryOf(run, context));
  },

  StartRun: async (p, s) => {
    const run = await s.startFile(p.file, p.body === undefined ? {} : { body: p.body });
    return { runId: run.id };
  },

  ListRuns: (p, s) => s.store.runs.listRuns(p),

  GetRun: (p, s) => s.store.runs.getRun(p.id),

  CancelRun: (p, s) => s.cancelRun(p.id),

  RunLogs: async (p, s) => {
    const run = await s.store.runs.getRun(p.id);
    const { steps: _steps, trigger: _trigger, ...summary } = run;
    return { run: summary, chunks: await s.store.runs.logsAfter(run.id, p.afterSeq ?? 0, p.limit) };
  },

  CronPreviewRequest: (p, s) => s.cronPreview(p.expression, p.timezone, p.count),

  Timezones: () => ({ zones: listTimezones(), defaultZone: defaultTimezone() }),

  ReplayRun: (p, s) => s.replayRun(p.id, p.body),

  Backfill: (p, s) => s.backfill(p),
};

export const requestHandlers: RequestHandler[] = (Object.keys(handlers) as RequestName[]).map((name) => ({
  method: P[name].method,
  params: requestParams[name],
  // The schema of the same name produced these params, and requestParams.ts
  // proves its output is exactly ParamsOf<name>.
  handle: (params, services) => handlers[name](params as never, services),
}));

const PREVIEW_CHARS = 200;

/** A delivery as a list shows it: the body's first line of text, never the whole body. */
function deliveryOf(run: P.RunSummary, context: P.TriggerContext): P.WebhookDelivery {
  const text = context.body === undefined ? "" : valueText(context.body);
  const line = text.replace(/\s+/g, " ").trim();
  return {
    runId: run.id,
    receivedAt: run.createdAt,
    status: run.status,
    headers: context.headers ?? {},
    preview: line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line,
    bytes: Buffer.byteLength(text),
  };
}
