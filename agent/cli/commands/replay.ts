// `clockwork replay <run> [--body JSON|@file] [--wait] [--json]`: the run
// again, as its trigger started it (webhook body and allow-listed headers,
// file path and event, API body, the cron instant), or with an edited
// body. The new run records `replayOf`. With an agent it runs there, like
// the run it replays; with none it runs here, in this terminal, like
// `clockwork run`.
import type { Command } from "commander";
import { loadConfig } from "../../config";
import { invalid, messageOf } from "../../errors";
import { ReplayRun, type RunSummary } from "../../protocol";
import { failOrphanRuns } from "../../runner/orphans";
import { openStore } from "../../store";
import { loadForReplay, replayStart } from "../../runner/replay";
import { tryConnect, type AgentClient } from "../client";
import { startUserCode, takeEarlyUserCode } from "../earlyExecutor";
import { colour, printJson } from "../output";
import { runResultLine } from "../runFormat";
import { RunFollower } from "../runFollow";
import { bodyText, executeHere } from "./run";

interface ReplayOptions {
  body?: string;
  wait?: boolean;
  json?: boolean;
}

export function replayCommands(program: Command): void {
  program
    .command("replay")
    .description("Run a past run again with the same trigger and context (or an edited body); the new run records replay_of")
    .argument("<run-id>", "the run to replay: an id, or any unique prefix of one (see clockwork history)")
    .option("--body <json|@file>", "replace {trigger.body} with this JSON (@file reads a file, @- standard input)")
    .option("--wait", "wait for the replay to finish, printing its output; exit 0 if it succeeded, 1 if not")
    .option("--json", "print the new run as JSON (with --wait: the finished record)")
    .addHelpText(
      "after",
      `
Examples:
  clockwork replay k3j2h1g0f9e8                      the same delivery, headers and all
  clockwork replay k3j --body @fixed-payload.json --wait
  clockwork replay k3j --body '{"action":"closed"}' --json

The replay has the original's trigger kind and context, so {trigger.body.*},
{trigger.headers.*}, {trigger.path} and {run.scheduled_for} resolve as they
did; a webhook's delivery-id de-duplication does not apply (a replay is
deliberate). The body must be JSON; give a text body as a JSON string
('"text"'). With an agent running the replay runs there; without one it runs
here, like clockwork run, and --wait is implied.`,
    )
    .action(async (id: string, options: ReplayOptions) => {
      const body = options.body === undefined ? undefined : parseJsonBody(options.body);
      const code = await replay(id, body, options);
      process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
    });
}

async function replay(id: string, body: unknown, options: ReplayOptions): Promise<number> {
  const config = loadConfig();
  const client = await tryConnect(config);
  if (!client) return replayHere(id, body, options);
  try {
    return await replayViaAgent(client, id, body, options);
  } finally {
    client.close();
  }
}

async function replayViaAgent(client: AgentClient, id: string, body: unknown, options: ReplayOptions): Promise<number> {
  // Listening before the request: every change of the new run is heard.
  const follower = options.wait ? new RunFollower(client, !options.json) : undefined;
  const run = await client.request(ReplayRun, body === undefined ? { id } : { id, body });
  if (!follower) {
    if (options.json) printJson(run);
    else process.stdout.write(`${startedLine(run)}; follow it with clockwork logs -f ${run.id}\n`);
    return 0;
  }
  if (!options.json) process.stdout.write(`${startedLine(run)}\n`);
  const record = await follower.until(run.id);
  if (options.json) printJson(record);
  else process.stdout.write(`${runResultLine(record)}\n`);
  return record.status === "success" ? 0 : 1;
}

function startedLine(run: RunSummary): string {
  return `started run ${colour.bold(run.id)}, a replay of ${run.replayOf} (${run.workflowName}, ${run.triggerKind}${run.triggerName ? ` ${run.triggerName}` : ""})`;
}

/** No agent: the replay executes in this process, recorded like any run. */
async function replayHere(id: string, body: unknown, options: ReplayOptions): Promise<number> {
  const userCode = takeEarlyUserCode() ?? startUserCode();
  const store = openStore(loadConfig().dbFile);
  try {
    await failOrphanRuns(store.runs);
    const original = await store.runs.getRun(id);
    const workflow = await loadForReplay(userCode.loader, original);
    const trigger = original.triggerName === null ? undefined : await store.triggers.get(original.triggerName);
    return await executeHere(store, userCode, workflow, replayStart(original, body, trigger?.id ?? null), options);
  } finally {
    await userCode.executors.close();
    await store.close();
  }
}

/** `--body`: JSON, given inline, from a file (@file) or from standard input (@-). */
export function parseJsonBody(value: string): unknown {
  const text = bodyText(value);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const where = value.startsWith("@") ? ` in ${value.slice(1) === "-" ? "standard input" : value.slice(1)}` : "";
    throw invalid(`--body${where} is not JSON (${messageOf(error)}); a replay body is JSON: give text as a JSON string, e.g. --body '"some text"'`);
  }
}
