// The `clockwork` command. Each command lives in its own file under
// commands/ and adds itself to the program; this file only wires them up.
// First, before the heavier modules initialise: `clockwork run` starts its executor.
import "./earlyExecutor";
import { Command } from "commander";
import { loadConfig, VERSION } from "../config";
import { checkPrivateHome } from "../privateHome";
import { exitWithError } from "./output";
import { runCommands } from "./commands/run";
import { historyCommands } from "./commands/history";
import { showCommands } from "./commands/show";
import { logsCommands } from "./commands/logs";
import { initCommands } from "./commands/init";
import { cronCommands } from "./commands/cron";
import { scheduleCommands } from "./commands/schedules";
import { agentCommands } from "./commands/agent";
import { statusCommands } from "./commands/status";
import { runControlCommands } from "./commands/runControl";
import { webhookCommands } from "./commands/webhooks";
import { watcherCommands } from "./commands/watchers";
import { runTriggerCommands } from "./commands/runTriggers";
import { triggerCommands } from "./commands/triggers";
import { mcpCommands } from "./commands/mcp";
import { replayCommands } from "./commands/replay";
import { backfillCommands } from "./commands/backfill";

// One import and one call per command file, in the order --help lists them.
const commandModules: Array<(program: Command) => void> = [runCommands, historyCommands, showCommands, logsCommands, runControlCommands, replayCommands, backfillCommands, initCommands, cronCommands, scheduleCommands, webhookCommands, watcherCommands, runTriggerCommands, triggerCommands, agentCommands, statusCommands, mcpCommands];

export function buildProgram(): Command {
  const program = new Command("clockwork")
    .description("Local workflow automation: run workflows on demand, on schedules, on webhooks, on file changes and when other runs end.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false })
    .option(
      "--database-url <url>",
      "use the shared PostgreSQL database at this postgres:// URL (team mode) instead of the SQLite store in the home; default $CLOCKWORK_DATABASE_URL",
    )
    .hook("preAction", (command) => {
      // Every command (and an agent that `agent start` spawns) reads the
      // store location from the environment, so the flag is put there once.
      const url = command.opts<{ databaseUrl?: string }>().databaseUrl;
      if (url !== undefined) process.env.CLOCKWORK_DATABASE_URL = url;
      // Before any command reads or writes the home: only the user's own files are used.
      checkPrivateHome(loadConfig());
    });
  for (const add of commandModules) add(program);
  return program;
}

// A reader that goes away (`clockwork logs <run> --json | head`) is not an
// error: the rest of the output is dropped and the command finishes its work
// (a run it executes is still recorded), instead of dying on EPIPE with a
// stack trace. The agent in the foreground does the same for its log lines.
process.stdout.on("error", () => {});

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => exitWithError(error));
