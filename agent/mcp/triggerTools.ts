// The MCP tools about triggers and schedules: list them, register a
// schedule, pause and resume any trigger, and explain a cron expression
// (the same pure function `clockwork cron` and the editor's preview use, so
// it needs no agent).
import { z } from "zod";
import { cronPreview } from "../core/cron";
import { TRIGGER_TYPES } from "../core/triggerKinds";
import { invalid } from "../errors";
import { ListTriggers, RegisterSchedule, SetTriggerPaused } from "../protocol";
import { defineTool, READ_ONLY, type ToolDefinition } from "./tool";

const triggerName = z.string().min(1).describe("the trigger's name (see list_triggers)");
const timezone = z
  .string()
  .min(1)
  .optional()
  .describe("an IANA timezone such as Europe/Berlin or America/New_York (default: this machine's zone)");

export const listTriggers = defineTool({
  name: "list_triggers",
  title: "List triggers",
  description:
    "Every registered Clockwork trigger: schedules (cron, timezone, human-readable description, next fire), webhooks (URL), file watchers (path, events) and run triggers (the workflows and outcomes whose runs start them), each with its workflow, state (active, paused, error and why) and last run. Webhook secrets are never shown.",
  input: {
    type: z.enum(TRIGGER_TYPES).optional().describe("only triggers of this kind"),
  },
  annotations: READ_ONLY,
  async call(args, { agent }) {
    const params = args.type === undefined ? {} : { type: args.type };
    return { data: { triggers: await agent.with((client) => client.request(ListTriggers, params)) } };
  },
});

export const registerSchedule = defineTool({
  name: "register_schedule",
  title: "Register a schedule",
  description:
    "Runs a Clockwork workflow file on a cron schedule from now on, in the Clockwork agent (which keeps firing it whether or not this conversation goes on). Returns the new trigger with its description and next fire. Check an expression first with preview_cron. A name already used by any trigger is refused.",
  input: {
    file: z
      .string()
      .min(1)
      .describe("the workflow file (*.workflow.ts, .js or .mjs): an absolute path, or one relative to this server's folder (over HTTP it must be inside that folder)"),
    cron: z
      .string()
      .min(1)
      .describe('a cron expression: 5 fields ("0 9 * * 1-5"), 6 with seconds first, or a nickname (@hourly, @daily, @weekly, @monthly, @yearly)'),
    timezone,
    name: z.string().min(1).optional().describe("the schedule's name, unique across all triggers (default: the workflow's name)"),
    overlap: z
      .enum(["skip", "queue", "parallel"])
      .optional()
      .describe("when a fire comes while the previous run still goes: skip it (recorded as skipped; default), queue one, or run in parallel"),
    catchup: z
      .enum(["once", "skip"])
      .optional()
      .describe("after the agent was down or the machine asleep: fire once for the missed time (default), or skip it"),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async call(args, { agent, files }) {
    const params = { ...args, file: files.resolve(args.file) };
    return { data: await agent.with((client) => client.request(RegisterSchedule, params)) };
  },
});

/** pause_trigger and resume_trigger: one request, two directions. */
function pauseTool(paused: boolean): ToolDefinition {
  return defineTool({
    name: paused ? "pause_trigger" : "resume_trigger",
    title: paused ? "Pause a trigger" : "Resume a trigger",
    description: paused
      ? "Pauses a Clockwork trigger of any kind by name: a schedule stops firing, a webhook answers 404, a watcher stops watching, until resume_trigger. Pausing a paused trigger changes nothing."
      : "Resumes a paused Clockwork trigger by name. A schedule continues at its next regular time, with no backlog of the fires it missed while paused. Resuming an active trigger changes nothing.",
    input: { name: triggerName },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async call(args, { agent }) {
      return { data: await agent.with((client) => client.request(SetTriggerPaused, { name: args.name, paused })) };
    },
  });
}

export const pauseTrigger = pauseTool(true);
export const resumeTrigger = pauseTool(false);

export const previewCron = defineTool({
  name: "preview_cron",
  title: "Explain a cron expression",
  description:
    "What a cron expression means, in words, and its next fire times in a timezone, exactly as Clockwork's scheduler computes them (day-of-month and day-of-week combine with OR, as in Vixie cron; DST gaps and overlaps fire once). Nothing is registered.",
  input: {
    expression: z.string().min(1).describe('the cron expression, e.g. "0 9 * * 1-5", "*/15 * * * *", "@daily"'),
    timezone,
    count: z.number().int().min(1).max(100).optional().describe("how many next fires to list (default 5)"),
  },
  annotations: READ_ONLY,
  async call(args) {
    const preview = cronPreview(args.expression, args.timezone, args.count ?? 5, Date.now());
    if (!preview.ok) throw invalid(preview.error);
    return { data: preview };
  },
});
