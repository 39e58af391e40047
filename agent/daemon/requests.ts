// Every clockwork/* request the agent answers: the params each one accepts
// (checked here, so a client sending garbage gets an InvalidParams error
// naming the field instead of a crash deeper in) and the service call it maps
// to. The socket server registers this table on each connection.
import { z } from "zod";
import type { RequestType } from "vscode-languageserver-protocol";
import { valueText } from "../core/placeholders";
import { listTimezones } from "../core/timezones";
import { defaultTimezone } from "../core/cron";
import { invalid } from "../errors";
import * as P from "../protocol";
import type { AgentServices } from "./services";
import { untilWatching } from "./watcherComponent";
import { registerWebhook } from "./webhooks";

export interface RequestHandler {
  type: RequestType<any, any, any>;
  /** Validates and normalises the params; a failure becomes InvalidParams. */
  params: z.ZodType;
  handle(params: any, services: AgentServices): unknown | Promise<unknown>;
}

const name = z.string().min(1);
const overlap = z.enum(["skip", "queue", "parallel"]);
const catchup = z.enum(["once", "skip"]);
const fileEvent = z.enum(["created", "modified", "deleted"]);
const triggerType = z.enum(["schedule", "webhook", "watcher"]);
const runStatus = z.enum(["queued", "running", "success", "failed", "cancelled", "skipped"]);
// Methods without params accept none, null, or an empty object.
const none = z.preprocess((v) => v ?? {}, z.object({}));
const optionalObject = <T extends z.ZodRawShape>(shape: T) => z.preprocess((v) => v ?? {}, z.strictObject(shape));

function handler<P, R>(
  type: RequestType<P, R, void>,
  params: z.ZodType,
  handle: (params: P, services: AgentServices) => R | Promise<R>,
): RequestHandler {
  return { type, params, handle };
}

export const requestHandlers: RequestHandler[] = [
  handler(P.Status, none, (_p, s) => s.status()),

  handler(
    P.ListTriggers,
    optionalObject({ type: triggerType.optional(), names: z.array(name).max(10_000).optional() }),
    async (p, s) => {
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
  ),

  handler(
    P.RegisterSchedule,
    z.strictObject({
      file: name,
      cron: z.string(),
      timezone: z.string().optional(),
      name: name.optional(),
      overlap: overlap.optional(),
      catchup: catchup.optional(),
    }),
    (p, s) => s.triggerOps.registerSchedule(p),
  ),

  handler(
    P.RegisterWebhook,
    z.strictObject({
      file: name,
      name: name.optional(),
      headers: z.array(z.string()).optional(),
      secret: z.string().min(1).optional(),
      maxBodyBytes: z.number().int().positive().optional(),
    }),
    async (p, s) =>
      registerWebhook({ triggers: s.store.triggers, triggerOps: s.triggerOps, events: s.events, httpUrl: (await s.status()).httpUrl }, p),
  ),

  handler(
    P.RegisterWatcher,
    z.strictObject({
      file: name,
      path: name,
      events: z.array(fileEvent).optional(),
      recursive: z.boolean().optional(),
      glob: z.string().optional(),
      name: name.optional(),
    }),
    (p, s) => untilWatching(s, () => s.triggerOps.registerWatcher(p)),
  ),

  handler(
    P.UpdateTrigger,
    z.strictObject({
      name,
      cron: z.string().optional(),
      timezone: z.string().optional(),
      overlap: overlap.optional(),
      catchup: catchup.optional(),
      path: name.optional(),
      events: z.array(fileEvent).optional(),
      recursive: z.boolean().optional(),
      glob: z.string().nullable().optional(),
    }),
    (p, s) => untilWatching(s, () => s.triggerOps.update(p)),
  ),

  handler(P.SetTriggerPaused, z.strictObject({ name, paused: z.boolean() }), (p, s) =>
    untilWatching(s, async () => s.triggerOps.setPaused(p.name, p.paused)),
  ),

  handler(P.UnregisterTrigger, z.strictObject({ name }), (p, s) => s.triggerOps.unregister(p.name)),

  handler(
    P.FireTrigger,
    z.strictObject({
      name,
      body: z.unknown().optional(),
      // Header names are case-insensitive; {trigger.headers.*} reads them lower-case.
      headers: z
        .record(z.string().min(1), z.string())
        .transform((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v])))
        .optional(),
    }),
    async (p: P.FireTriggerParams, s) => {
      const context: P.TriggerContext = {};
      if (p.body !== undefined) context.body = p.body;
      if (p.headers !== undefined) context.headers = p.headers;
      return { runId: (await s.fireTrigger(p.name, context)).id };
    },
  ),

  handler(
    P.WebhookDeliveries,
    z.strictObject({ name, limit: z.number().int().min(1).max(50).optional() }),
    async (p: { name: string; limit?: number }, s) => {
      const trigger = await s.store.triggers.require(p.name);
      if (trigger.type !== "webhook") throw invalid(`"${p.name}" is a ${trigger.type}, not a webhook: it has no deliveries`);
      return (await s.store.runs.recentWithContext(p.name, "webhook", p.limit ?? 10)).map(({ run, context }) => deliveryOf(run, context));
    },
  ),

  handler(P.StartRun, z.strictObject({ file: name, body: z.unknown().optional() }), async (p, s) => {
    const run = await s.startFile(p.file, p.body === undefined ? {} : { body: p.body });
    return { runId: run.id };
  }),

  handler(
    P.ListRuns,
    optionalObject({
      workflow: z.string().optional(),
      trigger: z.string().optional(),
      status: runStatus.optional(),
      limit: z.number().int().positive().max(10_000).optional(),
    }),
    (p, s) => s.store.runs.listRuns(p),
  ),

  handler(P.GetRun, z.strictObject({ id: name }), (p, s) => s.store.runs.getRun(p.id)),

  handler(P.CancelRun, z.strictObject({ id: name }), (p, s) => s.cancelRun(p.id)),

  handler(
    P.RunLogs,
    z.strictObject({
      id: name,
      afterSeq: z.number().int().min(0).optional(),
      limit: z.number().int().positive().max(100_000).optional(),
    }),
    async (p, s) => {
      const run = await s.store.runs.getRun(p.id);
      const { steps: _steps, trigger: _trigger, ...summary } = run;
      return { run: summary, chunks: await s.store.runs.logsAfter(run.id, p.afterSeq ?? 0, p.limit) };
    },
  ),

  handler(
    P.CronPreviewRequest,
    z.strictObject({
      expression: z.string(),
      timezone: z.string().optional(),
      count: z.number().int().min(1).max(100).optional(),
    }),
    (p, s) => s.cronPreview(p.expression, p.timezone, p.count),
  ),

  handler(P.Timezones, none, () => ({ zones: listTimezones(), defaultZone: defaultTimezone() })),
];

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
