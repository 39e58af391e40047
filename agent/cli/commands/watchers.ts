// clockwork register-watcher <file> --path P [--events created,modified,deleted] [--recursive] [--glob PATTERN] [--name N]
//
// Through a running agent the command answers once the agent watches the
// path, so any change made after it returns is seen.
import { resolve } from "node:path";
import { Command } from "commander";
import { loadConfig } from "../../config";
import { invalid } from "../../errors";
import { RegisterWatcher, type FileEvent, type RegisterWatcherParams } from "../../protocol";
import { withAgentOrStore } from "../client";
import { colour, printJson } from "../output";

const FILE_EVENTS: FileEvent[] = ["created", "modified", "deleted"];

export function parseEvents(text: string): FileEvent[] {
  const events = text
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  const unknown = events.filter((e) => !FILE_EVENTS.includes(e as FileEvent));
  if (events.length === 0 || unknown.length > 0) {
    throw invalid(`--events: choose from ${FILE_EVENTS.join(", ")} (comma-separated)${unknown.length ? `; got ${unknown.join(", ")}` : ""}`);
  }
  return [...new Set(events)] as FileEvent[];
}

export function globReachesSubfolders(glob: string | undefined): boolean {
  return glob !== undefined && (glob.includes("/") || glob.includes("**"));
}

export function watcherCommands(program: Command): void {
  program
    .command("register-watcher")
    .description("Run a workflow when files change under a path")
    .argument("<file>", "workflow file (*.workflow.ts, .js or .mjs)")
    .requiredOption("--path <path>", "file or folder to watch")
    .option("--events <list>", "which changes fire: created, modified, deleted (comma-separated)", "created,modified,deleted")
    .option("--recursive", "also watch subfolders (default: only the folder's own files; a --glob with / or ** implies it)")
    .option("--glob <pattern>", 'only files matching this glob, relative to the folder ("*.md" matches by file name, in subfolders too with --recursive)')
    .option("--name <name>", "name of the watcher (default: the workflow's name); unique across all triggers")
    .option("--json", "print the registered trigger as JSON")
    .addHelpText(
      "after",
      `
Changes are debounced per file (500 ms after the last write), and a run starts
only once the file has stopped being written. .git and node_modules are never
watched. The run sees {trigger.path} (absolute) and the kind of change.

Examples:
  clockwork register-watcher rebuild.workflow.ts --path ~/notes --recursive --glob "*.md"
  clockwork register-watcher ingest.workflow.ts --path ./inbox --events created

See docs/watchers.md.`,
    )
    .action(
      async (file: string, o: { path: string; events: string; recursive?: boolean; glob?: string; name?: string; json?: boolean }) => {
        const params: RegisterWatcherParams = {
          file: resolve(file),
          path: resolve(o.path),
          events: parseEvents(o.events),
          // A glob that reaches into subfolders ("**/*.md", "docs/*.txt")
          // cannot match anything without recursion, so it implies it.
          recursive: Boolean(o.recursive) || globReachesSubfolders(o.glob),
        };
        if (o.glob !== undefined) params.glob = o.glob;
        if (o.name !== undefined) params.name = o.name;
        const { result, viaAgent } = await withAgentOrStore(
          loadConfig(),
          (client) => client.request(RegisterWatcher, params),
          (local) => local.triggerOps.registerWatcher(params),
        );
        if (o.json) return printJson(result);
        const w = result.watcher!;
        const lines = [
          `${colour.green("registered")} watcher ${colour.bold(result.name)} → ${result.workflowName}`,
          `  path    ${w.path}${w.recursive ? " (recursive)" : ""}${w.glob ? `, files matching ${w.glob}` : ""}`,
          `  events  ${w.events.join(", ")}`,
        ];
        if (result.error) lines.push(colour.red(`  error   ${result.error}`));
        if (!viaAgent) lines.push(colour.yellow("  no agent is running: saved to the store; `clockwork agent start` to have it watch"));
        process.stdout.write(lines.join("\n") + "\n");
      },
    );
}
