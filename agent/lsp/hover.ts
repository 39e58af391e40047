// Hover text for workflow files: what a placeholder will read, what a cron
// string means and when it fires next, and what a step produced last time.
// Pure: the agent's facts (cron preview, last outputs) are passed in.
import { relativeTime } from "../core/relativeTime";
import type { CronPreview } from "../protocol";
import { findCronStrings } from "./cronStrings";
import { mcpCallFacts, mcpHoverLines } from "./mcpSites";
import { describePlaceholder, placeholderAt, type HoverFacts } from "./placeholderSites";
import type { SourceScan } from "./sourceScan";

export interface HoverResult {
  markdown: string;
  start: number;
  end: number;
}

export interface HoverInputs extends HoverFacts {
  cronPreview: (expression: string) => CronPreview;
  nowMs: number;
  /** What a server configured in mcp.json is, or why there is none by that name. */
  mcpServer?: (name: string) => string;
}

export function hoverAt(scan: SourceScan, offset: number, inputs: HoverInputs): HoverResult | undefined {
  const placeholder = placeholderAt(scan, offset);
  if (placeholder) return { markdown: describePlaceholder(scan, placeholder, inputs), start: placeholder.start, end: placeholder.end };

  const cron = findCronStrings(scan).find((c) => offset >= c.segment.start && offset <= c.segment.end);
  if (cron) return { markdown: cronHover(inputs.cronPreview(cron.expression), inputs.nowMs), start: cron.segment.start, end: cron.segment.end };

  const index = scan.steps.findIndex((s) => s.nameStart !== undefined && offset >= s.nameStart && offset <= s.nameEnd!);
  if (index >= 0) {
    const step = scan.steps[index]!;
    const lines = [`**Step ${index + 1} of ${scan.steps.length}** · ${step.kind} · \`${step.name}\``, ""];
    if (step.kind === "mcp") lines.push(...mcpHoverLines(mcpCallFacts(scan, index), inputs.mcpServer ?? (() => "see mcp.json")), "");
    lines.push(`Later steps read its output as \`{${step.name}}\`; the next run reads this run's as \`{previous.${step.name}}\`.`);
    const prev = step.name ? inputs.previousOutput?.(step.name) : undefined;
    if (prev) {
      const text = prev.output.length > 400 ? `${prev.output.slice(0, 400)}…` : prev.output;
      lines.push("", `Output in the last successful run (\`${prev.runId}\`):`, "", "```text", text, "```");
    }
    return { markdown: lines.join("\n"), start: step.nameStart!, end: step.nameEnd! };
  }
  return undefined;
}

export function cronHover(preview: CronPreview, nowMs: number): string {
  if (!preview.ok) return `**Cron** \`${preview.expression}\`\n\n${preview.error}`;
  const format = new Intl.DateTimeFormat("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: preview.timezone,
  });
  const lines = [`**Cron** \`${preview.expression}\` — ${preview.description}`, "", `Next fires (${preview.timezone}):`, ""];
  for (const at of preview.next) {
    const ms = Date.parse(at);
    lines.push(`- ${format.format(ms)} (${relativeTime(ms, nowMs)})`);
  }
  return lines.join("\n");
}
