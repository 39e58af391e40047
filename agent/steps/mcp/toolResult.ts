// What a tool's result becomes: the step's output (text), or the message a
// failing step shows. Pure.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { formatBytes } from "../../core/duration";

export interface ToolOutput {
  /** structuredContent as JSON when the result has it, else its text content joined by newlines. */
  text: string;
  /** What was left out (images, audio, links), for the log. */
  notes: string[];
}

export function toolOutput(result: CallToolResult): ToolOutput {
  const texts: string[] = [];
  const notes: string[] = [];
  for (const item of result.content ?? []) {
    if (item.type === "text") texts.push(item.text);
    else if (item.type === "resource" && "text" in item.resource) texts.push(item.resource.text);
    else notes.push(leftOut(item));
  }
  const structured = result.structuredContent;
  if (structured !== undefined && structured !== null) return { text: JSON.stringify(structured), notes };
  return { text: texts.join("\n"), notes };
}

function leftOut(item: CallToolResult["content"][number]): string {
  switch (item.type) {
    case "image":
    case "audio":
      return `left out ${item.type === "image" ? "an image" : "audio"} (${item.mimeType}, ${formatBytes(Math.floor((item.data.length * 3) / 4))}): a step's output is text`;
    case "resource_link":
      return `left out a link to ${item.uri}`;
    case "resource":
      return `left out a binary resource ${item.resource.uri}`;
    default:
      return `left out content of type ${(item as { type: string }).type}`;
  }
}
