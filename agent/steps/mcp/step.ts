// mcp steps: call one tool on an MCP server, in the run's session with it.
// The output is the result's structuredContent as JSON, or its text; a
// result marked isError fails the step with the tool's own message.
import { capText } from "../../core/outputCap";
import { suggest } from "../../core/suggest";
import { messageOf } from "../../errors";
import type { McpStep } from "../../sdk";
import { networkReason } from "../http";
import { StepFailure, type StepContext, type StepOutcome } from "../types";
import { resolveServer, type ResolvedServer } from "./resolveServer";
import type { McpSession } from "./sessions";
import { toolOutput } from "./toolResult";

/** How much of the arguments the log shows. */
const LOGGED_ARGUMENTS_CHARS = 4000;

export async function runMcp(step: McpStep, ctx: StepContext): Promise<StepOutcome> {
  const { tool } = step.options;
  const server = resolveServer(step.options.server, ctx);
  const args = ctx.renderJsonValues(step.options.arguments ?? {}) as Record<string, unknown>;
  const session = await openSession(server, ctx);
  try {
    await checkTool(session, tool, ctx);
    const shown = JSON.stringify(args);
    ctx.log.info(`call ${tool} ${shown.length > LOGGED_ARGUMENTS_CHARS ? `${shown.slice(0, LOGGED_ARGUMENTS_CHARS)}…` : shown}`);
    const result = await session.connection.callTool(tool, args, ctx.signal, ctx.timeoutMs);
    const { text, notes } = toolOutput(result);
    for (const note of notes) ctx.log.info(note);
    if (result.isError) throw new StepFailure(`tool "${tool}" on ${server.label} returned an error: ${text.trim().slice(0, 2000) || "(no message)"}`);
    const output = capText(text);
    if (output) ctx.log.stdout(output.endsWith("\n") ? output : `${output}\n`);
    return { output };
  } catch (error) {
    throw await callFailure(error, session, tool, ctx);
  }
}

/** The run's session with the server: started, with its handshake done, by the first step that needs it. */
async function openSession(server: ResolvedServer, ctx: StepContext): Promise<McpSession> {
  try {
    const { session, fresh } = await ctx.mcp.session(server, ctx.log, ctx.signal, ctx.timeoutMs);
    const { pid, serverName } = session.connection;
    if (fresh) ctx.log.info(`${server.label} ready${pid === undefined ? "" : ` (pid ${pid})`}${serverName ? `: ${serverName}` : ""}`);
    return session;
  } catch (error) {
    if (ctx.signal.aborted) {
      ctx.log.info(`the step was stopped before the ${server.label} had completed the MCP handshake; the server was stopped too`);
      throw error;
    }
    throw startFailure(error, server);
  }
}

/** Why a server could not be started or reached, as the user needs it. */
function startFailure(error: unknown, server: ResolvedServer): StepFailure {
  const code = (error as NodeJS.ErrnoException).code;
  const target = server.target;
  if (target.transport === "stdio") {
    if (code === "ENOENT") return new StepFailure(`${server.label}: command not found: ${target.command}`, { retryable: false });
    if (code === "EACCES") return new StepFailure(`${server.label}: permission denied: ${target.command} is not executable`, { retryable: false });
    const ending = (error as { mcpEnding?: string }).mcpEnding;
    return new StepFailure(`${server.label} ${ending ?? "failed"} before completing the MCP handshake (${messageOf(error)})${stderrPart(error)}`);
  }
  const cause = (error as { cause?: unknown }).cause;
  if (error instanceof TypeError && cause) return new StepFailure(`cannot reach ${server.label}: ${networkReason(error)}`);
  return new StepFailure(`${server.label} did not complete the MCP handshake: ${messageOf(error)}`);
}

/** `: <stderr tail>` of a server that failed, when it wrote any. */
function stderrPart(error: unknown): string {
  const tail = (error as { mcpStderr?: string }).mcpStderr;
  return tail ? `; its stderr ends with:\n${lastLines(tail)}` : "";
}

/** The tool must exist: otherwise the step says which ones do. */
async function checkTool(session: McpSession, tool: string, ctx: StepContext): Promise<void> {
  const tools = await session.tools(ctx.signal, ctx.timeoutMs + 1000);
  const names = tools.map((t) => t.name);
  if (names.includes(tool)) return;
  const offered = names.length === 0 ? "it offers no tools" : `it offers: ${names.join(", ")}`;
  throw new StepFailure(`${session.server.label} has no tool "${tool}"${suggest(tool, names)}; ${offered}`, { retryable: false });
}

/** What a failed call says; a call that was stopped (timeout, cancel) ends the server too. */
async function callFailure(error: unknown, session: McpSession, tool: string, ctx: StepContext): Promise<unknown> {
  if (error instanceof StepFailure) return error;
  const label = session.server.label;
  if (ctx.signal.aborted) {
    // A tool that ignores the cancellation must not keep running for the rest of the run.
    await ctx.mcp.discard(session);
    const pid = session.connection.pid;
    ctx.log.info(`stopped the call to ${tool} and ended the session with the ${label}${pid === undefined ? "" : ` (process group ${pid} ended)`}`);
    return error;
  }
  const ending = session.connection.ending();
  if (ending !== undefined) {
    const tail = session.connection.stderrTail();
    await ctx.mcp.discard(session);
    return new StepFailure(`the ${label} ${ending} during the call to ${tool}${tail ? `; its stderr ends with:\n${lastLines(tail)}` : ""}`);
  }
  return new StepFailure(`tool "${tool}" on ${label} failed: ${messageOf(error)}`);
}

function lastLines(text: string, count = 10): string {
  const tail = text.trimEnd().split("\n").slice(-count).join("\n");
  return tail.length > 2000 ? `…${tail.slice(-2000)}` : tail;
}
