// `clockwork cancel <run>` and `clockwork fire <trigger>`: the CLI's Cancel
// and "Run Now" buttons.
//
// cancel: through the agent when one answers (it cancels its own runs and
// relays the request to a `clockwork run` that reported to it); with no
// agent, the process that owns the run gets SIGTERM, which `clockwork run`
// turns into a recorded cancel.
// fire: runs a registered trigger's workflow now, as a manual run executed by
// the agent (schedules, webhooks, watchers and run triggers all live there).
import type { Command } from "commander";
import { loadConfig } from "../../config";
import { ClockworkError } from "../../errors";
import { CancelRun, FireTrigger, type RunSummary } from "../../protocol";
import { failOrphanRuns, isProcessAlive } from "../../runner/orphans";
import { connectStore, type StoreLocation } from "../../store";
import { connect, tryConnect } from "../client";
import { colour, printJson } from "../output";
import { thisHost } from "../../store/host";

export function runControlCommands(program: Command): void {
  program
    .command("cancel")
    .description("Cancel a queued or running run: its processes are killed and it is recorded as cancelled")
    .argument("<run-id>", "a run id, or any unique prefix of one (see clockwork history)")
    .option("--json", "print the run as JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const config = loadConfig();
      const client = await tryConnect(config);
      let run: RunSummary;
      if (client) {
        try {
          // The agent answers a finished run with its record; say so as the
          // agent-less path does, instead of printing it as if it had worked.
          await checkCancellable(config, id);
          run = await client.request(CancelRun, { id });
        } finally {
          client.close();
        }
      } else {
        run = await cancelWithoutAgent(config, id);
        if (!options.json) {
          process.stdout.write(`asked the process running ${colour.bold(run.id)} to cancel it; it records the run as cancelled\n`);
          return;
        }
      }
      if (options.json) return printJson(run);
      process.stdout.write(`${colour.bold(run.id)} ${run.workflowName}: ${run.status}${run.error ? ` (${run.error})` : ""}\n`);
    });

  program
    .command("fire")
    .description("Run a registered trigger's workflow now (a manual run; needs the agent)")
    .argument("<name>", "trigger name (see clockwork list-triggers)")
    .option("--json", "print { runId } as JSON")
    .action(async (name: string, options: { json?: boolean }) => {
      const client = await connect(loadConfig());
      try {
        const result = await client.request(FireTrigger, { name });
        if (options.json) return printJson(result);
        process.stdout.write(`started run ${colour.bold(result.runId)}; follow it with clockwork logs -f ${result.runId}\n`);
      } finally {
        client.close();
      }
    });
}

/** Throws Conflict for a run that has already finished: there is nothing to cancel. */
async function checkCancellable(location: StoreLocation, id: string): Promise<void> {
  const store = await connectStore(location);
  try {
    requireActive((await store.runs.getSummary(await store.runs.resolveId(id)))!);
  } finally {
    await store.close();
  }
}

/** Throws Conflict for a finished run; `clockwork mcp`'s cancel_run says the same. */
export function requireActive(run: RunSummary): void {
  if (run.status !== "queued" && run.status !== "running") {
    throw new ClockworkError("Conflict", `run ${run.id} already finished (${run.status}); nothing to cancel`);
  }
}

/**
 * With no agent here, a `clockwork run` process on this host is signalled;
 * in team mode a run another agent executes is cancelled by that agent,
 * asked through the shared database.
 */
async function cancelWithoutAgent(location: StoreLocation, id: string): Promise<RunSummary> {
  const store = await connectStore(location);
  try {
    await failOrphanRuns(store.runs, { team: store.team !== undefined });
    const runId = await store.runs.resolveId(id);
    const run = (await store.runs.getSummary(runId))!;
    requireActive(run);
    const owner = await store.runs.ownerOf(runId);
    if (store.team && owner?.id.startsWith("agent:")) {
      await store.runs.requestCancel(runId);
      await store.team.publish({ kind: "cancel", runId });
      return run;
    }
    if (owner === null || (owner.host !== "" && owner.host !== thisHost()) || !isProcessAlive(owner.pid)) {
      throw new ClockworkError("NotFound", `no live process owns run ${run.id}`);
    }
    process.kill(owner.pid, "SIGTERM");
    return run;
  } finally {
    await store.close();
  }
}
