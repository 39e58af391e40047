// Steps that name a server in mcp.json are checked when their workflow
// loads, so that a misspelt or missing name is a load error with the names
// that do exist, not a failure in the middle of a run.
import { messageOf } from "../../errors";
import type { StepSpec } from "../../executor/messages";
import { mcpConfigPath, namedServer, readMcpConfig, type McpConfigFile } from "./configFile";

export interface NamedServerProblem {
  index: number;
  step: string;
  message: string;
}

/**
 * What is wrong with the servers the steps name; mcp.json is located and
 * read only when a step names one (this runs for every run's workflow).
 */
export function namedServerProblems(steps: readonly StepSpec[], file?: string): NamedServerProblem[] {
  const problems: NamedServerProblem[] = [];
  let config: McpConfigFile | Error | undefined;
  steps.forEach((step, index) => {
    if (step.kind !== "mcp" || typeof step.options.server !== "string") return;
    config ??= readOrError(file ?? mcpConfigPath());
    try {
      if (config instanceof Error) throw config;
      namedServer(config, step.options.server);
    } catch (error) {
      problems.push({ index, step: step.name, message: `step "${step.name}" (mcp): ${messageOf(error)}` });
    }
  });
  return problems;
}

function readOrError(file: string): McpConfigFile | Error {
  try {
    return readMcpConfig(file);
  } catch (error) {
    return error as Error;
  }
}
