// What the loader checks of an mcp step beyond its options' types: the
// server's shape (a name, a stdio server or an HTTP one, each with the
// fields it takes) and arguments that JSON can carry. Whether a named server
// exists is asked of mcp.json when the workflow loads (workflow/load.ts).
import { inlineServerProblem } from "../../core/mcpServers";
import { isFunctionMark } from "../../workflow/exportsCopy";

type ReportProblem = (message: string, option?: string) => void;

const SERVER_SHAPES =
  "the name of a server in $CLOCKWORK_HOME/mcp.json, { command, args?, env?, cwd? } (a stdio server) or { url, headers? } (Streamable HTTP)";

export function checkMcpStep(step: Record<string, unknown>, report: ReportProblem): void {
  const options = step.options;
  if (options === null || typeof options !== "object") return; // the options schema says so
  const { server, arguments: args } = options as { server?: unknown; arguments?: unknown };
  const problem = serverProblem(server);
  if (problem) report(`option "server" ${problem}`, "server");
  const bad = args === undefined ? undefined : notJson(args, "arguments");
  if (bad) report(`option "${bad.path}" ${bad.why}: arguments are sent as JSON`, "arguments");
}

function serverProblem(server: unknown): string | undefined {
  if (server === undefined) return `is required: ${SERVER_SHAPES}`;
  if (typeof server === "string") return server.trim() === "" ? `must not be empty: ${SERVER_SHAPES}` : undefined;
  if (server === null || typeof server !== "object" || Array.isArray(server) || isFunctionMark(server)) {
    return `must be ${SERVER_SHAPES}`;
  }
  return inlineServerProblem(server as Record<string, unknown>);
}

/** The first value JSON cannot carry as written: a function, NaN or Infinity. */
function notJson(value: unknown, path: string): { path: string; why: string } | undefined {
  if (typeof value === "function" || isFunctionMark(value)) return { path, why: "is a function" };
  if (typeof value === "number" && !Number.isFinite(value)) return { path, why: `is ${value}` };
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const bad = notJson(item, `${path}[${i}]`);
      if (bad) return bad;
    }
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const bad = notJson(item, `${path}.${key}`);
      if (bad) return bad;
    }
  }
  return undefined;
}
