// `clockwork logs <run> [--follow]`: a run's output as it was recorded,
// stdout, stderr and Clockwork's own notes, under a header per step. With
// --follow it keeps reading the store until the run finishes, so a run
// executing in another process (the agent, another terminal) can be watched.
import type { Command } from "commander";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../../config";
import { FINISHED_STATUSES, type LogChunk, type StepRecord } from "../../protocol";
import { failOrphanRuns } from "../../runner/orphans";
import { connectStore } from "../../store";
import type { RunRepository } from "../../store";
import { LogPrinter, runResultLine, stepHeader } from "../runFormat";

/** How often --follow looks for new output. */
const FOLLOW_POLL_MS = 100;
/** How often --follow checks that the run's process is still alive. */
const OWNER_CHECK_MS = 1000;

export function logsCommands(program: Command): void {
  program
    .command("logs")
    .description("Print a run's recorded output; --follow streams it until the run finishes")
    .argument("<run-id>", "a run id, or any unique prefix of one")
    .option("-f, --follow", "keep printing new output until the run finishes; exit 0 if it succeeded, 1 if not")
    .option("--json", "print one JSON object per log chunk (newline-delimited): { seq, runId, step, stream, at, text }")
    .addHelpText(
      "after",
      `
Examples:
  clockwork logs k3j2h1g0f9e8
  clockwork logs k3j -f          follow a run that is still going
  clockwork logs k3j --json | jq -r 'select(.stream == "stderr") | .text'`,
    )
    .action(async (id: string, options: { follow?: boolean; json?: boolean }) => {
      const store = await connectStore(loadConfig());
      try {
        await failOrphanRuns(store.runs, { team: store.team !== undefined });
        const status = await printLogs(store.runs, await store.runs.resolveId(id), { ...options, team: store.team !== undefined });
        if (options.follow) process.exitCode = status === "success" ? 0 : 1;
      } finally {
        await store.close();
      }
    });
}

async function printLogs(runs: RunRepository, runId: string, options: { follow?: boolean; json?: boolean; team: boolean }): Promise<string> {
  const printer = new LogPrinter();
  let steps: StepRecord[] = await runs.getSteps(runId);
  let afterSeq = 0;
  let lastOwnerCheck = Date.now();
  const print = async (chunk: LogChunk) => {
    if (options.json) {
      process.stdout.write(`${JSON.stringify(chunk)}\n`);
      return;
    }
    if (chunk.step !== printer.step) {
      printer.endLine();
      if (chunk.step !== null) {
        if (!steps.some((s) => s.index === chunk.step)) steps = await runs.getSteps(runId);
        const step = steps.find((s) => s.index === chunk.step);
        process.stdout.write(`${step ? stepHeader(step) : `step ${chunk.step}`}\n`);
      }
    }
    printer.chunk(chunk);
  };
  const drain = async () => {
    for (;;) {
      const chunks = await runs.logsAfter(runId, afterSeq, 1000);
      for (const chunk of chunks) await print(chunk);
      if (chunks.length > 0) afterSeq = chunks[chunks.length - 1]!.seq;
      if (chunks.length < 1000) return;
    }
  };

  for (;;) {
    // Read the status before the output: output written before a run
    // finishes is then always drained before we stop.
    const run = (await runs.getSummary(runId))!;
    await drain();
    const finished = FINISHED_STATUSES.includes(run.status);
    if (finished || !options.follow) {
      printer.endLine();
      if (!options.json && (finished || run.status === "running")) process.stdout.write(`${runResultLine(run)}\n`);
      return run.status;
    }
    if (Date.now() - lastOwnerCheck >= OWNER_CHECK_MS) {
      lastOwnerCheck = Date.now();
      // A run whose process died is marked failed here, which ends the loop.
      await failOrphanRuns(runs, { team: options.team });
    }
    await sleep(FOLLOW_POLL_MS);
  }
}
