// `clockwork run <file>`: runs a workflow here and now, in this terminal's
// environment and working directory, streaming each step's output live. The
// run is recorded like any other (history, show, logs); Ctrl-C cancels it.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { loadConfig } from "../../config";
import { invalid, messageOf } from "../../errors";
import { Events } from "../../events";
import type { RunSummary, TriggerContext } from "../../protocol";
import { executeRun } from "../../runner/executeRun";
import { failOrphanRuns, ownerFor } from "../../runner/orphans";
import { connectStore, type NewRun, type Store } from "../../store";
import type { UserCode } from "../../executor/userCode";
import { startUserCode, takeEarlyUserCode } from "../earlyExecutor";
import { WorkflowLoadError, type LoadedWorkflow } from "../../workflow/load";
import { reportToAgent } from "../client";
import { colour, printJson } from "../output";
import { indent, LogPrinter, runResultLine, stepHeader, stepResultLine } from "../runFormat";

interface RunOptions {
  body?: string;
  json?: boolean;
}

export function runCommands(program: Command): void {
  program
    .command("run")
    .description("Run a workflow file now, streaming each step's output; exits 0 on success, 1 on failure")
    .argument("<file>", "the workflow file, e.g. hello.workflow.ts")
    .option("--body <json|@file>", "a trigger body to try the workflow with, available as {trigger.body}: JSON or text, @file to read a file, @- for stdin")
    .option("--json", "print only the finished run record as JSON (no live output)")
    .addHelpText(
      "after",
      `
Examples:
  clockwork run hello.workflow.ts
  clockwork run webhook-handler.workflow.ts --body '{"action":"opened","number":7}'
  clockwork run webhook-handler.workflow.ts --body @payload.json
  clockwork run hello.workflow.ts --json | jq .status

The run executes in this process, with this shell's environment and working
directory. Ctrl-C cancels it: running commands are killed (their whole
process group) and the run is recorded as cancelled. Exit status: 0 success,
1 failed, 130 cancelled by Ctrl-C, 143 by SIGTERM.`,
    )
    .action(async (file: string, options: RunOptions) => {
      const code = await runWorkflowFile(file, options);
      // A code step that ignored its cancel signal may still hold timers or
      // sockets; the run is over and recorded, so leave once output is out.
      process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
    });
}

async function runWorkflowFile(fileArg: string, options: RunOptions): Promise<number> {
  const file = resolve(fileArg);
  const context: TriggerContext = {};
  if (options.body !== undefined) context.body = parseBody(options.body);

  const config = loadConfig();
  const userCode = takeEarlyUserCode() ?? startUserCode();
  const store = await connectStore(config);
  try {
    await failOrphanRuns(store.runs, { team: store.team !== undefined });
    let workflow: LoadedWorkflow;
    try {
      workflow = await userCode.loader.load(file);
    } catch (error) {
      const message = error instanceof WorkflowLoadError ? error.message : `${file}: ${messageOf(error)}`;
      const run = await store.runs.insertRun({
        workflowName: fileStem(file),
        workflowFile: file,
        triggerKind: "manual",
        context,
        status: "failed",
        error: message,
      });
      if (options.json) printJson(await store.runs.getRun(run.id));
      else process.stderr.write(`${colour.errRed("error:")} ${message}\n${colour.dim(`(recorded as failed run ${run.id})`)}\n`);
      return 1;
    }
    return await executeHere(store, userCode, workflow, { triggerKind: "manual", context }, options);
  } finally {
    await userCode.executors.close();
    await store.close();
  }
}

/** What a run executed in this process is recorded as, besides its workflow: a manual run, or a replay of another. */
export type HereRun = Pick<NewRun, "triggerKind" | "context" | "triggerId" | "triggerName" | "replayOf" | "scheduledFor">;

/**
 * Executes a loaded workflow in this process, recorded as `start` says,
 * printing it live (or, with --json, only the record at the end); returns
 * the exit status.
 */
export async function executeHere(store: Store, userCode: UserCode, workflow: LoadedWorkflow, start: HereRun, options: { json?: boolean }): Promise<number> {
  // This process owns the run it executes: an id for its lifetime, so a kill shows as an orphan.
  const owner = ownerFor("cli");
  const run = await store.runs.insertRun({ ...start, workflowName: workflow.name, workflowFile: workflow.file, status: "running", owner });
  const events = new Events();
  if (!options.json) printLive(events, run);

  const controller = new AbortController();
  // With an agent running, every other client sees this run live and can cancel it.
  const stopReporting = await reportToAgent(loadConfig(), events, run.id, () => controller.abort("requested from another client"));
  let cancelledBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (cancelledBy) return; // already cancelling; the process groups get SIGKILL after the grace period
    cancelledBy = signal;
    if (!options.json) process.stdout.write(`\n${colour.yellow(`cancelling (${signal === "SIGINT" ? "Ctrl-C" : signal})…`)}\n`);
    controller.abort(signal === "SIGINT" ? "Ctrl-C" : `${signal} received`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  let summary: RunSummary;
  try {
    summary = await executeRun({ store: store.runs, events, runId: run.id, signal: controller.signal, workflow, env: process.env, loader: userCode.loader, owner });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    await stopReporting();
  }

  if (options.json) printJson(await store.runs.getRun(run.id));
  else process.stdout.write(`${runResultLine(summary)}\n`);
  if (summary.status === "success") return 0;
  if (summary.status === "cancelled" && cancelledBy) return cancelledBy === "SIGINT" ? 130 : cancelledBy === "SIGTERM" ? 143 : 129;
  return 1;
}

/** Live output: a header as each step starts, its output indented, a status line as it ends. */
function printLive(events: Events, run: RunSummary): void {
  const printer = new LogPrinter();
  /** Steps that streamed their output as it came (shell, http, llm, mcp); a code step's return value never is. */
  const streamed = new Set<number>();
  process.stdout.write(`${colour.bold(run.workflowName)} ${colour.dim(`· run ${run.id} · ${run.workflowFile}`)}\n`);
  events.on("run:step", ({ step }) => {
    printer.endLine();
    if (step.status === "running" && step.attempts <= 1) process.stdout.write(`${stepHeader(step)}\n`);
    else if (step.status !== "running") {
      // An output the log never saw is shown (briefly) here.
      const seen = step.kind !== "code" && streamed.has(step.index);
      if (!seen && step.status === "success" && step.output) process.stdout.write(`${indent(preview(step.output))}\n`);
      process.stdout.write(`${stepResultLine(step)}\n`);
    }
  });
  events.on("run:log", (chunk) => {
    if (chunk.stream === "stdout" && chunk.step !== null) streamed.add(chunk.step);
    printer.chunk(chunk);
  });
  events.on("run:finished", () => printer.endLine());
}

const PREVIEW_LINES = 20;

/** The first lines of a step's output; `clockwork show` has all of it. */
function preview(output: string): string {
  const lines = output.split("\n");
  if (lines.length <= PREVIEW_LINES) return output;
  return [...lines.slice(0, PREVIEW_LINES), colour.dim(`… ${lines.length - PREVIEW_LINES} more lines (clockwork show has them all)`)].join("\n");
}

/** The text `--body` gives: inline, from a file (@file) or from standard input (@-). */
export function bodyText(value: string): string {
  if (!value.startsWith("@")) return value;
  const source = value.slice(1);
  try {
    return source === "-" ? readFileSync(0, "utf8") : readFileSync(resolve(source), "utf8");
  } catch (error) {
    throw invalid(`--body ${value}: cannot read ${source === "-" ? "standard input" : source} (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`);
  }
}

/** `--body`: JSON is parsed, anything else is kept as text (as a webhook body would be). */
export function parseBody(value: string): unknown {
  const text = bodyText(value);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** "hello" for hello.workflow.ts: what a run of a file that does not load is recorded under. */
export function fileStem(file: string): string {
  return basename(file).replace(/(\.workflow)?\.(m|c)?(ts|js)$/, "") || basename(file);
}
