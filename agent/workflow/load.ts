// Loading a workflow file: bundle it here (esbuild, cached by content), then
// have an executor process evaluate and validate it (the file's top-level
// code is the user's, so it never runs in this process). Every problem
// carries file, line and column, for the CLI, the run record and the editor.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { loadConfig } from "../config";
import type { BundleRef, StepSpec } from "../executor/messages";
import { EvaluationStopped, type ExecutorPool, type TaskLog } from "../executor/pool";
import { namedServerProblems } from "../steps/mcp/namedServers";
import { BundleCache, bundleWorkflow, CompileErrors, type Compiled } from "./compile";
import { locate } from "./locate";
import { validateWorkflow } from "./validate";
import type { Step } from "../sdk";

export interface LoadedWorkflow {
  /** Absolute path. */
  file: string;
  name: string;
  description?: string;
  /** The steps as data; a code step's function stays in the executors, reached through `bundle`. */
  steps: StepSpec[];
  /** The compiled code the steps came from; code steps run from exactly this. */
  bundle: Required<BundleRef>;
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

export interface LoaderOptions {
  /** Where compiled bundles are cached; null disables every cache. Default $CLOCKWORK_HOME/cache/workflows. */
  cacheDir?: string | null;
  /** How long evaluating a file's top-level code may take. */
  evalTimeoutMs: number;
}

/** Default for CLOCKWORK_EVAL_TIMEOUT. */
export const DEFAULT_EVAL_TIMEOUT_MS = 5000;

interface Remembered {
  /** The workflow file and every local file it imports, with the hash of the content it was loaded from. */
  inputs: Array<{ path: string; hash: string }>;
  workflow: LoadedWorkflow;
}

/** Enough for every workflow of a large setup; the oldest entry goes first. */
const REMEMBER_MAX = 256;

const hashOf = (content: string | Buffer) => createHash("sha256").update(content).digest("base64");

/**
 * Loads workflow files through an executor pool. A workflow this loader has
 * loaded is not evaluated again while the file and every local file it
 * imports keep the content it was loaded from (compared by hash, so an edit
 * within the same second or of the same size is still seen): the agent
 * loads a workflow for every run, and a run of an unchanged shell-only
 * workflow then needs no executor at all.
 */
export class WorkflowLoader {
  private readonly remembered = new Map<string, Remembered>();

  constructor(
    readonly executors: ExecutorPool,
    private readonly options: LoaderOptions,
  ) {}

  /**
   * Loads and validates a workflow; throws WorkflowLoadError (message
   * "file:line:col: message") when it cannot. Returns the same
   * LoadedWorkflow for an unchanged file (callers must not change it).
   */
  async load(file: string, options: { onLog?: TaskLog } = {}): Promise<LoadedWorkflow> {
    const path = resolve(file);
    const useMemory = this.options.cacheDir !== null;
    const known = useMemory ? this.recall(path) : undefined;
    // mcp.json may have changed since: a server a step names must still be there.
    if (known && namedServerProblems(known.steps).length === 0) return known;
    if (known) this.remembered.delete(path);
    const result = await this.inspect(path, undefined, options);
    if (!result.workflow) throw new WorkflowLoadError(path, result.problems.filter((p) => p.severity === "error"));
    if (useMemory && result.loadedFrom) this.remember(path, result.loadedFrom.text, result.loadedFrom.inputs, result.workflow);
    return result.workflow;
  }

  /**
   * Every problem with the file, with positions, for editor diagnostics.
   * `source` stands in for the file's content (an unsaved editor buffer).
   * `workflow` is set when the file loads; `problems` may then still hold
   * warnings and placeholders that can never resolve. Aborting `signal`
   * (a newer edit) stops the evaluation and rejects with EvaluationStopped.
   */
  async check(file: string, source?: string, options: { signal?: AbortSignal } = {}): Promise<{ workflow?: LoadedWorkflow; problems: WorkflowProblem[] }> {
    const { workflow, problems } = await this.inspect(resolve(file), source, options);
    return workflow ? { workflow, problems } : { problems };
  }

  private recall(path: string): LoadedWorkflow | undefined {
    const entry = this.remembered.get(path);
    if (!entry) return undefined;
    for (const input of entry.inputs) {
      let content: Buffer;
      try {
        content = readFileSync(input.path);
      } catch {
        this.remembered.delete(path);
        return undefined;
      }
      if (hashOf(content) !== input.hash) {
        this.remembered.delete(path);
        return undefined;
      }
    }
    return entry.workflow;
  }

  private remember(path: string, text: string, inputs: readonly string[], workflow: LoadedWorkflow): void {
    let hashed: Remembered["inputs"];
    try {
      hashed = inputs.map((input) => ({ path: input, hash: hashOf(input === path ? text : readFileSync(input)) }));
    } catch {
      return; // An import vanished since it was bundled: nothing worth remembering.
    }
    if (!hashed.some((input) => input.path === path)) hashed.push({ path, hash: hashOf(text) });
    this.remembered.delete(path);
    this.remembered.set(path, { inputs: hashed, workflow });
    if (this.remembered.size > REMEMBER_MAX) this.remembered.delete(this.remembered.keys().next().value!);
  }

  private async inspect(
    path: string,
    source: string | undefined,
    options: { signal?: AbortSignal; onLog?: TaskLog },
  ): Promise<Inspection> {
    const read = readSource(path, source);
    if ("problems" in read) return read;
    const { text } = read;
    const compiled = await this.compile(path, text, source === undefined);
    if ("problems" in compiled) return compiled;
    const warnings = compiled.warnings.map(({ file: where, ...p }) => ({ ...p, ...(where !== path ? { file: where } : {}) }));
    // The path is part of the name: the same code in another file is another module (__dirname, its imports).
    const hash = createHash("sha256").update(path).update("\0").update(compiled.code).digest("hex");
    const bundle = { file: path, hash, code: compiled.code, map: compiled.map };

    let evaluated;
    try {
      evaluated = await this.executors.evaluate(bundle, { timeoutMs: this.options.evalTimeoutMs, ...options });
    } catch (error) {
      if (error instanceof EvaluationStopped && !options.signal?.aborted) return fail(error.message);
      throw error;
    }
    if (!evaluated.ok) {
      const at = evaluated.where;
      const position = { line: at?.line ?? 1, column: at?.column ?? 1, ...(at && at.file !== path ? { file: at.file } : {}) };
      return { problems: [{ message: evaluated.error, severity: "error", ...position }, ...warnings] };
    }
    // The file's code ran in the executor; checking what it exports is policy, done here.
    const validated = validateWorkflow(evaluated.exports);
    const steps = (evaluated.exports.default as { steps?: unknown } | undefined)?.steps;
    const problems: WorkflowProblem[] = [
      ...validated.problems.map((p) => ({ message: p.message, severity: p.severity, ...locate(text, p.anchor, Array.isArray(steps) ? steps : []) })),
      ...warnings,
    ];
    if (!validated.workflow) return { problems };
    const { name, description, steps: valid } = validated.workflow;
    const servers = namedServerProblems(valid.map(asSpec));
    if (servers.length > 0) {
      const located = servers.map(({ index, step, message }) => ({
        message,
        severity: "error" as const,
        ...locate(text, { kind: "step", index, name: step, option: "server" }, Array.isArray(steps) ? steps : []),
      }));
      return { problems: [...located, ...problems] };
    }
    return {
      workflow: { file: path, name, ...(description !== undefined ? { description } : {}), steps: valid.map(asSpec), bundle },
      problems,
      loadedFrom: { text, inputs: compiled.inputs },
    };
  }

  private async compile(path: string, text: string, fromDisk: boolean): Promise<Compiled | { problems: WorkflowProblem[] }> {
    const cacheDir = this.options.cacheDir === undefined ? join(loadConfig().home, "cache", "workflows") : this.options.cacheDir;
    const cache = fromDisk && cacheDir ? new BundleCache(cacheDir) : undefined;
    const cached = cache?.get(path);
    if (cached) return cached;
    try {
      const compiled = await bundleWorkflow(path, text);
      cache?.set(path, text, compiled);
      return compiled;
    } catch (error) {
      if (error instanceof CompileErrors) {
        return { problems: error.problems.map(({ file: where, ...p }) => ({ ...p, ...(where !== path ? { file: where } : {}) })) };
      }
      return fail(`esbuild could not bundle the file: ${(error as Error).message}`);
    }
  }
}

interface Inspection {
  workflow?: LoadedWorkflow;
  problems: WorkflowProblem[];
  /** What a loaded workflow was built from: the file's text and every local file of the bundle. */
  loadedFrom?: { text: string; inputs: readonly string[] };
}

/** A step as the agent keeps it: a step's function (a code step's; a mark, here) stays in the executors. */
function asSpec(step: Step): StepSpec {
  if (!("fn" in step)) return step;
  const { fn: _fn, ...spec } = step;
  return spec;
}

const fail = (message: string): { problems: WorkflowProblem[] } => ({ problems: [{ message, line: 1, column: 1, severity: "error" }] });

function readSource(path: string, source: string | undefined): { text: string } | { problems: WorkflowProblem[] } {
  if (!WORKFLOW_EXTENSIONS.includes(extname(path))) {
    return fail(`not a workflow file: workflow files end in .workflow.ts (or .ts, .js, .mjs)`);
  }
  if (source !== undefined) return { text: source };
  try {
    if (!statSync(path).isFile()) return fail("this is a folder, not a workflow file");
    return { text: readFileSync(path, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === "ENOENT" ? "no such file" : `cannot read the file (${code ?? (error as Error).message})`);
  }
}
