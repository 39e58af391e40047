// Loading a workflow file: bundle (esbuild, cached by content), evaluate
// with "clockwork" mapped to the built-in SDK, validate. Every problem
// carries file, line and column, for the CLI, the run record and the editor.
import { createHash } from "node:crypto";
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

interface Remembered {
  /** The workflow file and every local file it imports, with the hash of the content it was loaded from. */
  inputs: Array<{ path: string; hash: string }>;
  workflow: LoadedWorkflow;
}

/**
 * Workflows this process has loaded, by absolute path. The agent loads a
 * workflow for every run; evaluating the bundle and parsing its source map
 * each time was most of what a trivial run cost. An entry is used only while
 * the file and every local file it imports have the content it was loaded
 * from (compared by hash, so an edit within the same second or of the same
 * size is still seen); any change loads the file afresh.
 */
const remembered = new Map<string, Remembered>();
/** Enough for every workflow of a large setup; the oldest entry goes first. */
const REMEMBER_MAX = 256;

const hashOf = (content: string | Buffer) => createHash("sha256").update(content).digest("base64");

function recall(path: string): LoadedWorkflow | undefined {
  const entry = remembered.get(path);
  if (!entry) return undefined;
  for (const input of entry.inputs) {
    let content: Buffer;
    try {
      content = readFileSync(input.path);
    } catch {
      remembered.delete(path);
      return undefined;
    }
    if (hashOf(content) !== input.hash) {
      remembered.delete(path);
      return undefined;
    }
  }
  return entry.workflow;
}

function remember(path: string, text: string, inputs: readonly string[], workflow: LoadedWorkflow): void {
  let hashed: Remembered["inputs"];
  try {
    hashed = inputs.map((input) => ({ path: input, hash: hashOf(input === path ? text : readFileSync(input)) }));
  } catch {
    return; // An import vanished since it was bundled: nothing worth remembering.
  }
  if (!hashed.some((input) => input.path === path)) hashed.push({ path, hash: hashOf(text) });
  remembered.delete(path);
  remembered.set(path, { inputs: hashed, workflow });
  if (remembered.size > REMEMBER_MAX) remembered.delete(remembered.keys().next().value!);
}

/**
 * Loads and validates a workflow; throws WorkflowLoadError (message
 * "file:line:col: message") when it cannot. An unchanged file that this
 * process loaded before is not evaluated again: the same LoadedWorkflow is
 * returned (callers must not change it). `cacheDir: null` always loads afresh.
 */
export async function loadWorkflow(file: string, options: LoadOptions = {}): Promise<LoadedWorkflow> {
  const path = resolve(file);
  const useMemory = options.cacheDir !== null;
  const known = useMemory ? recall(path) : undefined;
  if (known) return known;
  const result = await inspect(path, undefined, options);
  if (!result.workflow) throw new WorkflowLoadError(path, result.problems.filter((p) => p.severity === "error"));
  if (useMemory && result.loadedFrom) remember(path, result.loadedFrom.text, result.loadedFrom.inputs, result.workflow);
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
  const { workflow, problems } = await inspect(resolve(file), source, options);
  return workflow ? { workflow, problems } : { problems };
}

interface Inspection {
  workflow?: LoadedWorkflow;
  problems: WorkflowProblem[];
  /** What a loaded workflow was built from: the file's text and every local file of the bundle. */
  loadedFrom?: { text: string; inputs: readonly string[] };
}

async function inspect(path: string, source: string | undefined, options: LoadOptions): Promise<Inspection> {
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
  return {
    workflow: { file: path, name, ...(description !== undefined ? { description } : {}), steps: valid, sourceMap },
    problems,
    loadedFrom: { text: text!, inputs: compiled.inputs },
  };
}

function pickSteps(exports: unknown): unknown {
  const value = (exports as { default?: { steps?: unknown } } | null)?.default;
  return value && typeof value === "object" ? value.steps : undefined;
}
