// Loading a workflow file: bundle (esbuild, cached by content), evaluate
// with "clockwork" mapped to the built-in SDK, validate. Every problem
// carries file, line and column, for the CLI, the run record and the editor.
import { readFileSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { loadConfig } from "../config";
import type { Step } from "../sdk";
import { BundleCache, BundleMap, bundleWorkflow, CompileErrors, evaluateBundle, type Compiled } from "./compile";
import { locate } from "./locate";
import { validateWorkflow } from "./validate";

export interface LoadedWorkflow {
  /** Absolute path. */
  file: string;
  name: string;
  description?: string;
  steps: Step[];
  /** Maps errors thrown by the workflow's code (code steps) back to its source. */
  sourceMap?: BundleMap;
}

export interface WorkflowProblem {
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  severity: "error" | "warning";
  /** The file the problem is in, when it is not the workflow file itself (an imported module). */
  file?: string;
  /** Characters to underline, when known. */
  length?: number;
}

export class WorkflowLoadError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;

  constructor(
    file: string,
    readonly problems: WorkflowProblem[],
  ) {
    super(problems.map((p) => `${p.file ?? file}:${p.line}:${p.column}: ${p.message}`).join("\n"));
    this.name = "WorkflowLoadError";
    this.file = file;
    this.line = problems[0]?.line;
    this.column = problems[0]?.column;
  }
}

export const WORKFLOW_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"];

export interface LoadOptions {
  /** Where compiled bundles are cached; null disables the cache. Default $CLOCKWORK_HOME/cache/workflows. */
  cacheDir?: string | null;
}

/** Loads and validates a workflow; throws WorkflowLoadError (message "file:line:col: message") when it cannot. */
export async function loadWorkflow(file: string, options: LoadOptions = {}): Promise<LoadedWorkflow> {
  const result = await checkWorkflow(file, undefined, options);
  if (!result.workflow) throw new WorkflowLoadError(resolve(file), result.problems.filter((p) => p.severity === "error"));
  return result.workflow;
}

/**
 * Every problem with the file, with positions, for editor diagnostics.
 * `source` stands in for the file's content (an unsaved editor buffer).
 * `workflow` is set when the file loads; `problems` may then still hold
 * warnings and placeholders that can never resolve.
 */
export async function checkWorkflow(
  file: string,
  source?: string,
  options: LoadOptions = {},
): Promise<{ workflow?: LoadedWorkflow; problems: WorkflowProblem[] }> {
  const path = resolve(file);
  const fail = (message: string) => ({ problems: [{ message, line: 1, column: 1, severity: "error" as const }] });
  if (!WORKFLOW_EXTENSIONS.includes(extname(path))) {
    return fail(`not a workflow file: workflow files end in .workflow.ts (or .ts, .js, .mjs)`);
  }
  let text = source;
  if (text === undefined) {
    try {
      if (!statSync(path).isFile()) return fail("this is a folder, not a workflow file");
      text = readFileSync(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return fail(code === "ENOENT" ? "no such file" : `cannot read the file (${code ?? (error as Error).message})`);
    }
  }

  const cacheDir = options.cacheDir === undefined ? join(loadConfig().home, "cache", "workflows") : options.cacheDir;
  const cache = source === undefined && cacheDir ? new BundleCache(cacheDir) : undefined;
  let compiled: Compiled | undefined = cache?.get(path);
  if (!compiled) {
    try {
      compiled = await bundleWorkflow(path, text);
    } catch (error) {
      if (error instanceof CompileErrors) {
        return { problems: error.problems.map(({ file: where, ...p }) => ({ ...p, ...(where !== path ? { file: where } : {}) })) };
      }
      return fail(`esbuild could not bundle the file: ${(error as Error).message}`);
    }
    cache?.set(path, text, compiled);
  }
  const warnings: WorkflowProblem[] = compiled.warnings.map(({ file: where, ...p }) => ({
    ...p,
    ...(where !== path ? { file: where } : {}),
  }));

  const sourceMap = new BundleMap(path, compiled.map);
  let exports: unknown;
  try {
    exports = evaluateBundle(path, compiled.code);
  } catch (error) {
    const position = sourceMap.locate(error);
    const message = `loading the file threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    return {
      problems: [
        {
          message,
          line: position?.line ?? 1,
          column: position?.column ?? 1,
          severity: "error",
          ...(position && position.file !== path ? { file: position.file } : {}),
        },
        ...warnings,
      ],
    };
  }

  const validated = validateWorkflow(exports);
  const steps = (pickSteps(exports) ?? []) as unknown[];
  const problems: WorkflowProblem[] = [
    ...validated.problems.map((p) => ({ message: p.message, severity: p.severity, ...locate(text!, p.anchor, steps) })),
    ...warnings,
  ];
  if (!validated.workflow) return { problems };
  const { name, description, steps: valid } = validated.workflow;
  return { workflow: { file: path, name, ...(description !== undefined ? { description } : {}), steps: valid, sourceMap }, problems };
}

function pickSteps(exports: unknown): unknown {
  const value = (exports as { default?: { steps?: unknown } } | null)?.default;
  return value && typeof value === "object" ? value.steps : undefined;
}
