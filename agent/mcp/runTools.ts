// The MCP tools about runs: list them, read one (steps and outputs, capped),
// read its log, start one (optionally waiting for its end) and cancel one.
// Each is one or two requests to the agent over its socket.
import { z } from "zod";
import { requireActive } from "../cli/commands/runControl";
import { invalid } from "../errors";
import { CancelRun, FINISHED_STATUSES, FireTrigger, GetRun, ListRuns, RunLogs, StartRun, type RunRecord } from "../protocol";
import { cappedRun, DEFAULT_LOG_CAP_BYTES, DEFAULT_OUTPUT_CAP_BYTES, logFooter, logPage } from "./runViews";
import { RunWatch } from "./runWatch";
import { defineTool, READ_ONLY, type ToolContext, type ToolOutput } from "./tool";

const runId = z.string().min(1).describe("a run id, or any unique prefix of one (list_runs and run_workflow give ids)");
const outputCap = z
  .number()
  .int()
  .min(256)
  .max(1024 * 1024)
  .optional()
  .describe(`the most bytes shown of each step's output and error (default ${DEFAULT_OUTPUT_CAP_BYTES}); longer text ends with a truncation marker, and get_run_logs has everything the run wrote`);

/**
 * How long run_workflow waits by default before answering with the run as it
 * stands: under the 60 s after which many MCP clients give up on a call, so
 * the model gets the run's id and state rather than a timeout.
 */
export const DEFAULT_WAIT_SECONDS = 50;
/** Chunks read per get_run_logs call; the byte cap usually stops a page first. */
const LOG_CHUNKS_PER_CALL = 2000;

export const listRuns = defineTool({
  name: "list_runs",
  title: "List runs",
  description:
    "Recent Clockwork runs, newest first, whatever started them (manual, cron, webhook, file, api). Each has id, workflowName, workflowFile, triggerKind, triggerName, status (queued, running, success, failed, cancelled, skipped), times (ISO 8601, UTC) and error. Use get_run for a run's steps and outputs.",
  input: {
    workflow: z.string().min(1).optional().describe("only runs of this workflow (its name, e.g. daily-digest)"),
    trigger: z.string().min(1).optional().describe("only runs started by this registered trigger (see list_triggers)"),
    status: z.enum(["queued", "running", "success", "failed", "cancelled", "skipped"]).optional().describe("only runs with this status"),
    limit: z.number().int().min(1).max(200).optional().describe("how many runs (default 20)"),
  },
  annotations: READ_ONLY,
  async call(args, { agent }) {
    return { data: { runs: await agent.with((client) => client.request(ListRuns, args)) } };
  },
});

export const getRun = defineTool({
  name: "get_run",
  title: "Get a run",
  description:
    "One Clockwork run in full: its workflow, trigger (with the body, path or scheduled time it carried), status, error and every step with its status, output, error, exit code, attempts and times. Long outputs are capped (see max_output_bytes).",
  input: { id: runId, max_output_bytes: outputCap },
  annotations: READ_ONLY,
  async call(args, { agent }) {
    const run = await agent.with((client) => client.request(GetRun, { id: args.id }));
    return { data: cappedRun(run, args.max_output_bytes ?? DEFAULT_OUTPUT_CAP_BYTES) };
  },
});

export const getRunLogs = defineTool({
  name: "get_run_logs",
  title: "Get a run's log",
  description:
    "Everything a Clockwork run wrote (stdout, stderr marked [stderr], Clockwork's own notes marked [clockwork]) in order, under a line per step, ending with the run's status. A long log comes in pages: the last line then says which after_seq (and offset) to pass for the next page. Works while the run is still going.",
  input: {
    id: runId,
    after_seq: z.number().int().min(0).optional().describe("start after this log sequence number, as the previous page's last line says (default 0: the start)"),
    offset: z.number().int().min(0).optional().describe("with after_seq: characters of the next chunk already read, as the previous page's last line says (default 0)"),
    max_bytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .optional()
      .describe(`the most bytes of log text in one page (default ${DEFAULT_LOG_CAP_BYTES})`),
  },
  annotations: READ_ONLY,
  async call(args, { agent }) {
    const from = { afterSeq: args.after_seq ?? 0, offset: args.offset ?? 0 };
    const { logs, steps } = await agent.with(async (client) => {
      // The log first, then the steps: every step the log names is then known.
      const logs = await client.request(RunLogs, { id: args.id, afterSeq: from.afterSeq, limit: LOG_CHUNKS_PER_CALL });
      return { logs, steps: (await client.request(GetRun, { id: logs.run.id })).steps };
    });
    // More may follow what was read: a full batch of chunks, or a run that still writes.
    const more = logs.chunks.length === LOG_CHUNKS_PER_CALL || !FINISHED_STATUSES.includes(logs.run.status);
    const page = logPage(logs.chunks, steps, from, args.max_bytes ?? DEFAULT_LOG_CAP_BYTES, more);
    return {
      data: { run: logs.run, log: page.text, next: page.next },
      text: page.text + logFooter(logs.run, page),
    };
  },
});

export const runWorkflow = defineTool({
  name: "run_workflow",
  title: "Run a workflow",
  description:
    "Runs a Clockwork workflow now, in the Clockwork agent: either a registered trigger's workflow (by trigger name; the run is recorded under that trigger) or a workflow file. Returns the run record at once (queued), or with wait: true once the run has finished, with every step's output. The workflow's steps run with the agent's environment and may change things outside Clockwork.",
  input: {
    trigger: z.string().min(1).optional().describe("the name of a registered trigger (see list_triggers); give this or file"),
    file: z
      .string()
      .min(1)
      .optional()
      .describe("a workflow file (*.workflow.ts, .js or .mjs): an absolute path, or one relative to this server's folder (over HTTP it must be inside that folder); give this or trigger"),
    body: z
      .unknown()
      .optional()
      .describe("a trigger body, as a webhook would send it: any JSON value, available to the workflow as {trigger.body} (and {trigger.body.a.b} inside an object); a string stays text"),
    wait: z.boolean().optional().describe("true: answer once the run has finished, with its record (default false: answer at once)"),
    timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .optional()
      .describe(`with wait: answer after this long even if the run is still going (default ${DEFAULT_WAIT_SECONDS}); the run goes on`),
    max_output_bytes: outputCap,
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  async call(args, context) {
    if ((args.trigger === undefined) === (args.file === undefined)) {
      throw invalid("give exactly one of `trigger` (the name of a registered trigger, see list_triggers) and `file` (a workflow file)");
    }
    const file = args.file === undefined ? undefined : context.files.resolve(args.file);
    return context.agent.with(async (client) => {
      // Listening starts before the run does, so not even its first step is missed.
      const watch = args.wait ? new RunWatch(client) : null;
      try {
        const { runId } =
          file === undefined
            ? await client.request(FireTrigger, { name: args.trigger!, body: args.body })
            : await client.request(StartRun, { file, body: args.body });
        const seconds = args.timeout_seconds ?? DEFAULT_WAIT_SECONDS;
        const outcome = watch ? await watch.until(runId, waitOptions(seconds, context)) : "started";
        const run = cappedRun(await client.request(GetRun, { id: runId }), args.max_output_bytes ?? DEFAULT_OUTPUT_CAP_BYTES);
        return runOutput(run, outcome, seconds);
      } finally {
        watch?.dispose();
      }
    });
  },
});

export const cancelRun = defineTool({
  name: "cancel_run",
  title: "Cancel a run",
  description:
    "Cancels a queued or running Clockwork run: its running step's processes are ended and the run is recorded as cancelled. Returns the run once it has stopped. A run that has already finished is an error.",
  input: { id: runId },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async call(args, { agent }) {
    const run = await agent.with(async (client) => {
      // As `clockwork cancel` does: a finished run is an error, not a silent success.
      const current = await client.request(GetRun, { id: args.id });
      requireActive(current);
      return client.request(CancelRun, { id: current.id });
    });
    return { data: run };
  },
});

function waitOptions(seconds: number, context: ToolContext) {
  return {
    timeoutMs: seconds * 1000,
    signal: context.signal,
    onStep: (step: { name: string; status: string }) => context.progress(`step ${step.name}: ${step.status}`),
  };
}

function runOutput(run: RunRecord, outcome: "finished" | "timeout" | "started", seconds: number): ToolOutput {
  if (outcome === "finished") return { data: run };
  const note =
    outcome === "started"
      ? `Started run ${run.id} (${run.workflowName}); it is ${run.status}. Read it later with get_run or get_run_logs.`
      : `Run ${run.id} (${run.workflowName}) is still ${run.status} after ${seconds} s; it goes on. Read it later with get_run or get_run_logs.`;
  return { data: run, note };
}
