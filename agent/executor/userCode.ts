// The one way the agent and the CLI set up where workflow code runs: an
// executor pool sized for the process, and the loader that evaluates
// workflow files through it. Tuned by the environment:
//   CLOCKWORK_EVAL_TIMEOUT        how long a file's top-level code may take (default 5s)
//   CLOCKWORK_EXECUTOR_MEMORY_MB  heap cap of each executor process (default 512)
import { parseDuration } from "../core/duration";
import { invalid } from "../errors";
import { DEFAULT_EVAL_TIMEOUT_MS, WorkflowLoader } from "../workflow/load";
import { ExecutorPool } from "./pool";

export const DEFAULT_EXECUTOR_MEMORY_MB = 512;

export interface UserCodeSettings {
  evalTimeoutMs: number;
  memoryMb: number;
}

/** Reads the settings; a bad value is an error that names the variable and what it accepts. */
export function userCodeSettings(env: NodeJS.ProcessEnv = process.env): UserCodeSettings {
  let evalTimeoutMs = DEFAULT_EVAL_TIMEOUT_MS;
  const rawTimeout = env.CLOCKWORK_EVAL_TIMEOUT;
  if (rawTimeout !== undefined && rawTimeout !== "") {
    try {
      evalTimeoutMs = parseDuration(/^\d+$/.test(rawTimeout) ? Number(rawTimeout) : rawTimeout);
    } catch (error) {
      throw invalid(`CLOCKWORK_EVAL_TIMEOUT: ${(error as Error).message}`);
    }
    if (evalTimeoutMs <= 0) throw invalid("CLOCKWORK_EVAL_TIMEOUT must be longer than 0");
  }
  let memoryMb = DEFAULT_EXECUTOR_MEMORY_MB;
  const rawMemory = env.CLOCKWORK_EXECUTOR_MEMORY_MB;
  if (rawMemory !== undefined && rawMemory !== "") {
    memoryMb = Number(rawMemory);
    if (!Number.isInteger(memoryMb) || memoryMb < 32) {
      throw invalid(`CLOCKWORK_EXECUTOR_MEMORY_MB must be a whole number of MiB, at least 32, got "${rawMemory}"`);
    }
  }
  return { evalTimeoutMs, memoryMb };
}

export interface UserCode {
  executors: ExecutorPool;
  loader: WorkflowLoader;
}

export interface UserCodeOptions {
  settings: UserCodeSettings;
  /** Most executors at once: one per concurrent run, plus one so loading never waits behind code steps. */
  max: number;
  warm: number;
  /** Processes (default; the agent) or threads (`clockwork run`). */
  kind?: "process" | "thread";
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  cacheDir?: string | null;
  log?: (message: string) => void;
}

export function createUserCode(options: UserCodeOptions): UserCode {
  const executors = new ExecutorPool({
    max: options.max,
    warm: options.warm,
    ...(options.kind ? { kind: options.kind } : {}),
    memoryMb: options.settings.memoryMb,
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const loader = new WorkflowLoader(executors, {
    evalTimeoutMs: options.settings.evalTimeoutMs,
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
  });
  return { executors, loader };
}
