// What one MCP tool is: a name, a description written for the model that
// will call it, a zod input schema (the SDK turns it into JSON Schema and
// checks every call against it), the hints hosts use to decide what needs
// the user's confirmation, and the call itself.
//
// A call returns plain data; `toolResult` turns it into MCP content. A call
// that throws becomes a tool error (`isError`) whose text is the error's
// message, the same sentence the CLI prints after `error:`.
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { messageOf } from "../errors";
import type { AgentAccess } from "./agentAccess";
import type { WorkflowFiles } from "./workflowFiles";

export interface ToolContext {
  agent: AgentAccess;
  /** Turns a workflow file named in a call into the absolute path the agent gets (or refuses it). */
  files: WorkflowFiles;
  /** Aborts when the client cancels the call. */
  signal: AbortSignal;
  /** Reports progress to a client that asked for it (a progress token); otherwise does nothing. */
  progress(message: string): void;
}

/** What a tool hands back: data for programs, and the text the model reads (JSON of the data by default). */
export interface ToolOutput {
  /** A JSON object: the result's `structuredContent`. */
  data: object;
  /** The text the model reads instead of the JSON of `data`. */
  text?: string;
  /** A sentence put before the text (a run that has not finished yet). */
  note?: string;
}

export interface ToolDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: Shape;
  annotations: Required<Omit<ToolAnnotations, "title">>;
  call(args: z.infer<z.ZodObject<Shape>>, context: ToolContext): Promise<ToolOutput>;
}

/** Keeps each tool's argument types while the table holds tools of every shape. */
export function defineTool<Shape extends z.ZodRawShape>(tool: ToolDefinition<Shape>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

/** Annotations: what a host may assume about a tool. */
export const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

export function toolResult(output: ToolOutput): CallToolResult {
  const text = output.text ?? JSON.stringify(output.data, null, 2);
  return {
    content: [...(output.note ? [output.note] : []), text].map((t) => ({ type: "text" as const, text: t })),
    structuredContent: output.data as Record<string, unknown>,
  };
}

export function toolError(error: unknown): CallToolResult {
  return { content: [{ type: "text", text: messageOf(error) }], isError: true };
}
