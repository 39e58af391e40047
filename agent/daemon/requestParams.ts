// The params each clockwork/* request accepts, checked as they arrive so that
// a client sending garbage gets an InvalidParams error naming the field
// instead of a crash deeper in. Some schemas also normalise (absent params
// read as {}, header names lower-cased).
//
// agent/protocol.ts declares each request's params type, and each schema here
// must produce exactly that type: `ParamsChecked` at the end does not compile
// when a field is added, removed or retyped on either side, and names the
// request. The schemas stay out of the protocol module because the extension
// bundles that module: zod would more than double dist/extension.js (from
// about 420 KB to 880 KB, minified).
import { z } from "zod";
import { TRIGGER_TYPES } from "../core/triggerKinds";
import { MAX_SCHEDULES_PER_REQUEST, RUN_OUTCOMES } from "../protocol";
import type { ParamsOf, RequestName, SameType } from "./requestTypes";

const name = z.string().min(1);
const overlap = z.enum(["skip", "queue", "parallel"]);
const catchup = z.enum(["once", "skip"]);
const fileEvent = z.enum(["created", "modified", "deleted"]);
const triggerType = z.enum(TRIGGER_TYPES);
const runStatus = z.enum(["queued", "running", "success", "failed", "cancelled", "skipped"]);
// Methods without params accept none, null, or an empty object.
const none = z.preprocess((v) => v ?? {}, z.object({}));
const optionalObject = <T extends z.ZodRawShape>(shape: T) => z.preprocess((v) => v ?? {}, z.strictObject(shape));

const schedule = z.strictObject({
  file: name,
  cron: z.string(),
  timezone: z.string().optional(),
  name: name.optional(),
  overlap: overlap.optional(),
  catchup: catchup.optional(),
  host: name.optional(),
});

/** One schema per request the protocol exports, under the same name. */
export const requestParams = {
  Status: none,

  ListTriggers: optionalObject({ type: triggerType.optional(), names: z.array(name).max(10_000).optional() }),

  RegisterSchedule: schedule,

  // Each entry as RegisterSchedule takes it; a failure names the entry's
  // index and field ("at schedules[3].cron").
  RegisterSchedules: z.strictObject({ schedules: z.array(schedule).max(MAX_SCHEDULES_PER_REQUEST) }),

  RegisterWebhook: z.strictObject({
    file: name,
    name: name.optional(),
    headers: z.array(z.string()).optional(),
    secret: z.string().min(1).optional(),
    maxBodyBytes: z.number().int().positive().optional(),
    host: name.optional(),
  }),

  RegisterWatcher: z.strictObject({
    file: name,
    path: name,
    events: z.array(fileEvent).optional(),
    recursive: z.boolean().optional(),
    glob: z.string().optional(),
    name: name.optional(),
  }),

  RegisterRunTrigger: z.strictObject({
    file: name,
    workflows: z.array(z.string()).min(1).max(100),
    statuses: z.array(z.enum(RUN_OUTCOMES)).min(1).optional(),
    name: name.optional(),
  }),

  UpdateTrigger: z.strictObject({
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

  SetTriggerPaused: z.strictObject({ name, paused: z.boolean() }),

  UnregisterTrigger: z.strictObject({ name }),

  FireTrigger: z.strictObject({
    name,
    body: z.unknown().optional(),
    // Header names are case-insensitive; {trigger.headers.*} reads them lower-case.
    headers: z
      .record(z.string().min(1), z.string())
      .transform((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v])))
      .optional(),
  }),

  WebhookDeliveries: z.strictObject({ name, limit: z.number().int().min(1).max(50).optional() }),

  StartRun: z.strictObject({ file: name, body: z.unknown().optional() }),

  ListRuns: optionalObject({
    workflow: z.string().optional(),
    trigger: z.string().optional(),
    status: runStatus.optional(),
    limit: z.number().int().positive().max(10_000).optional(),
  }),

  GetRun: z.strictObject({ id: name }),

  CancelRun: z.strictObject({ id: name }),

  RunLogs: z.strictObject({
    id: name,
    afterSeq: z.number().int().min(0).optional(),
    limit: z.number().int().positive().max(100_000).optional(),
  }),

  CronPreviewRequest: z.strictObject({
    expression: z.string(),
    timezone: z.string().optional(),
    count: z.number().int().min(1).max(100).optional(),
  }),

  Timezones: none,

  ReplayRun: z.strictObject({ id: name, body: z.unknown().optional() }),

  Backfill: z.strictObject({
    name,
    from: name,
    to: name,
    dryRun: z.boolean().optional(),
    reprocess: z.enum(["none", "failed", "all"]).optional(),
    maxParallel: z.number().int().min(1).max(1000).optional(),
  }),
} satisfies Record<RequestName, z.ZodType>;

/** What a request's schema must produce: its params type, or nothing at all for a request without params. */
type ExpectedParams<N extends RequestName> = [ParamsOf<N>] extends [void] ? z.output<typeof none> : ParamsOf<N>;

/** The requests whose schema and protocol type differ. */
type Drifted = {
  [N in RequestName]: SameType<z.output<(typeof requestParams)[N]>, ExpectedParams<N>> extends true ? never : N;
}[RequestName];

type NoneOf<T extends never> = T;
/**
 * Compiles only while no request has drifted; otherwise the error names each
 * one ("Type '"RegisterSchedule"' does not satisfy the constraint 'never'").
 * test/unit/request-params.test.ts runs this check, since tests run untyped.
 */
export type ParamsChecked = NoneOf<Drifted>;
