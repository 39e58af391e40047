// Clockwork as an MCP server: the table of tools, and the McpServer that
// serves them over whichever transport `clockwork mcp` connects it to.
// Every tool reaches the agent through one AgentAccess; nothing here opens
// the store or runs a workflow itself.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { VERSION } from "../config";
import type { AgentAccess } from "./agentAccess";
import { cancelRun, getRun, getRunLogs, listRuns, runWorkflow } from "./runTools";
import { listTriggers, pauseTrigger, previewCron, registerSchedule, resumeTrigger } from "./triggerTools";
import type { WorkflowFiles } from "./workflowFiles";
import { toolError, toolResult, type ToolContext, type ToolDefinition } from "./tool";

/** Every tool, in the order `tools/list` gives them. */
export const TOOLS: readonly ToolDefinition[] = [
  listTriggers,
  listRuns,
  getRun,
  getRunLogs,
  runWorkflow,
  cancelRun,
  registerSchedule,
  pauseTrigger,
  resumeTrigger,
  previewCron,
];

const INSTRUCTIONS = `Clockwork runs local workflow files (*.workflow.ts: shell commands, HTTP calls, LLM prompts, TypeScript functions) on demand, on cron schedules, on signed webhooks and on file changes, and records every run step by step.
Triggers (schedules, webhooks, watchers, run triggers) have unique names; runs have ids (a unique prefix is enough).
To see what is set up: list_triggers. To see what happened: list_runs, then get_run or get_run_logs. To run something now: run_workflow (wait: true returns the finished run). Check a cron expression with preview_cron before register_schedule.`;

export interface ServerOptions {
  agent: AgentAccess;
  files: WorkflowFiles;
}

/** A new McpServer with every tool registered; connect it to one transport. */
export function createMcpServer(options: ServerOptions): McpServer {
  const server = new McpServer({ name: "clockwork", title: "Clockwork", version: VERSION }, { instructions: INSTRUCTIONS });
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, annotations: { title: tool.title, ...tool.annotations } },
      async (args: unknown, extra) => {
        let step = 0;
        const progressToken = extra._meta?.progressToken;
        // A client forgets a call's progress token once the result arrives,
        // so every progress notification is out before the result is.
        const sending: Array<Promise<void>> = [];
        const context: ToolContext = {
          agent: options.agent,
          files: options.files,
          signal: extra.signal,
          progress(message) {
            if (progressToken === undefined) return;
            const params = { progressToken, progress: ++step, message };
            sending.push(extra.sendNotification({ method: "notifications/progress", params }).catch(() => undefined));
          },
        };
        try {
          return toolResult(await tool.call(args as never, context));
        } catch (error) {
          return toolError(error);
        } finally {
          await Promise.all(sending);
        }
      },
    );
  }
  return server;
}
