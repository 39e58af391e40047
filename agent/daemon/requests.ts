// Every clockwork/* request the agent answers: the params each one accepts
// (checked here, so a client sending garbage gets an InvalidParams error
// naming the field instead of a crash deeper in) and the service call it maps
// to. The socket server registers this table on each connection.
import { z } from "zod";
import type { RequestType } from "vscode-languageserver-protocol";
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
    (p, s) => {
      if (!p.names) return s.store.triggers.list(p.type);
      // Clients re-read just the triggers a TriggersChanged names, instead of
      // every trigger after each change.
      const rows = p.names.map((n: string) => s.store.triggers.get(n)).filter((row) => row && (!p.type || row.type === p.type));
      return rows.map((row) => s.store.triggers.toRecord(row!));
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
    (p, s) =>
      registerWebhook({ triggers: s.store.triggers, triggerOps: s.triggerOps, events: s.events, httpUrl: s.status().httpUrl }, p),
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

  handler(P.FireTrigger, z.strictObject({ name, body: z.unknown().optional() }), (p, s) => ({
    runId: s.fireTrigger(p.name, p.body === undefined ? undefined : { body: p.body }).id,
  })),

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
    (p, s) => {
      const run = s.store.runs.getRun(p.id);
      const { steps: _steps, trigger: _trigger, ...summary } = run;
      return { run: summary, chunks: s.store.runs.logsAfter(run.id, p.afterSeq ?? 0, p.limit) };
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
];
