// shell steps: a string runs under /bin/sh -c (or the step's `shell`), an argv array runs directly.
// The child leads its own process group so that a timeout or cancel can
// kill everything it started, not just the shell.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { formatBytes } from "../core/duration";
import { CappedOutput } from "../core/outputCap";
import type { PlaceholderEnv } from "../core/placeholderEnv";
import { hasPlaceholders } from "../core/placeholders";
import { DEFAULT_SHELL, shellInterpreterProblem } from "../core/shellInterpreter";
import { evaluatedVariableProblem } from "../core/shellQuote";
import type { ShellStep } from "../sdk";
import { StepFailure, type StepContext, type StepOutcome } from "./types";

/** How long a process group gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2000;
const STDERR_TAIL_LINES = 10;
const STDERR_TAIL_CHARS = 2000;
/** Linux's limit on one argument (MAX_ARG_STRLEN). */
const MAX_ARG_BYTES = 128 * 1024;

export async function runShell(step: ShellStep, ctx: StepContext): Promise<StepOutcome> {
  const argv =
    typeof step.command === "string"
      ? [interpreter(step, ctx.env), "-c", ctx.render(step.command, "shell")]
      : step.command.map((part) => ctx.render(part));
  for (const arg of argv) {
    const bytes = Buffer.byteLength(arg);
    if (bytes >= MAX_ARG_BYTES) {
      throw new StepFailure(
        `the command is ${formatBytes(bytes)} after placeholders are filled in, more than the ${formatBytes(MAX_ARG_BYTES)} one argument can hold; read large values from their files instead (a value over 128 KiB is in the file named by $CLOCKWORK_STEP_<NAME>_FILE)`,
        { retryable: false },
      );
    }
  }

  const cwd = workingDirectory(step, ctx);
  const { env: placeholderVars, omitted } = ctx.placeholderEnv();
  const stepEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(step.options.env ?? {})) stepEnv[key] = ctx.render(value);
  const largeValues = omitted.length > 0 ? writeLargeValues(omitted, ctx) : undefined;
  const env = { ...ctx.env, ...placeholderVars, ...largeValues?.env, ...stepEnv };
  try {
    if (typeof step.command === "string") checkEvaluatedVariables(argv[2]!, { ...placeholderVars, ...runDataEnv(step, stepEnv) });
    return await spawnStep(argv, cwd, env, ctx);
  } finally {
    if (largeValues) rmSync(largeValues.dir, { recursive: true, force: true });
  }
}

/** The shell of a string command: the step's `shell` option, else $CLOCKWORK_SHELL, else /bin/sh. */
function interpreter(step: ShellStep, env: NodeJS.ProcessEnv): string {
  if (step.options.shell !== undefined) return step.options.shell; // checked when the workflow loaded
  const fromEnv = env.CLOCKWORK_SHELL;
  if (!fromEnv) return DEFAULT_SHELL;
  const problem = shellInterpreterProblem(fromEnv);
  if (problem) throw new StepFailure(`CLOCKWORK_SHELL ${problem}`, { retryable: false });
  return fromEnv;
}

/** The `env` option's variables whose values came from placeholders, i.e. from run data. */
function runDataEnv(step: ShellStep, rendered: Record<string, string>): Record<string, string> {
  const templates = step.options.env ?? {};
  return Object.fromEntries(Object.entries(rendered).filter(([key]) => hasPlaceholders(templates[key] ?? "")));
}

/**
 * Before anything runs: a variable the agent set, used where bash or zsh
 * evaluate its value (`(( $CLOCKWORK_X ))`, `[[ "$N" -gt 5 ]]`), must hold a
 * value that evaluation cannot turn into a command.
 */
function checkEvaluatedVariables(command: string, values: Record<string, string>): void {
  const problem = evaluatedVariableProblem(command, values);
  if (problem) throw new StepFailure(`${problem} Nothing was run.`, { retryable: false });
}

/**
 * Values too large for an environment variable go to files in a private
 * temporary folder, named by $<NAME>_FILE, for the duration of the step.
 */
function writeLargeValues(omitted: PlaceholderEnv["omitted"], ctx: StepContext): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "clockwork-values-"));
  const env: Record<string, string> = {};
  for (const { name, value, bytes } of omitted) {
    const file = join(dir, name);
    writeFileSync(file, value, { mode: 0o600 });
    env[`${name}_FILE`] = file;
    ctx.log.info(`${name} is ${formatBytes(bytes)}, too large for an environment variable: read it from the file $${name}_FILE`);
  }
  return { dir, env };
}

function spawnStep(argv: string[], cwd: string, env: NodeJS.ProcessEnv, ctx: StepContext): Promise<StepOutcome> {
  return new Promise<StepOutcome>((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid !== undefined) ctx.processStarted(child.pid);
    const stdout = new CappedOutput();
    const stdoutText = new StringDecoder("utf8");
    const stderrText = new StringDecoder("utf8");
    let stderrTail = "";
    let spawnError: NodeJS.ErrnoException | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let aborted = false;

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const onAbort = () => {
      aborted = true;
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS);
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener("abort", onAbort, { once: true });

    child.stdout.on("data", (chunk: Buffer) => {
      stdout.push(chunk);
      const text = stdoutText.write(chunk);
      if (text) ctx.log.stdout(text);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const text = stderrText.write(chunk);
      if (!text) return;
      ctx.log.stderr(text);
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS * 2);
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on("close", (code, signal) => {
      ctx.signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      // Whatever is left of the group once the leader's pipes are closed
      // (a child that ignored SIGTERM and closed its output) goes too.
      if (aborted) killGroup("SIGKILL");
      const restOut = stdoutText.end();
      if (restOut) ctx.log.stdout(restOut);
      const restErr = stderrText.end();
      if (restErr) {
        ctx.log.stderr(restErr);
        stderrTail += restErr;
      }
      if (spawnError) {
        reject(spawnFailure(spawnError, argv[0]!, cwd));
        return;
      }
      if (aborted) {
        reject(new StepFailure("the process group was killed"));
        return;
      }
      const tail = lastLines(stderrTail);
      if (code !== 0) {
        const why = code === null ? `killed by ${signal}` : `exit code ${code}${code === 127 ? " (command not found)" : ""}`;
        reject(new StepFailure(tail ? `${why}: ${tail}` : why, { exitCode: code }));
        return;
      }
      resolvePromise({ output: stdout.text(true), exitCode: 0 });
    });
  });
}

function workingDirectory(step: ShellStep, ctx: StepContext): string {
  const base = dirname(ctx.workflow.file);
  if (step.options.cwd === undefined) return base;
  const rendered = ctx.render(step.options.cwd);
  const home = ctx.env.HOME;
  const expanded = rendered === "~" && home ? home : rendered.startsWith("~/") && home ? home + rendered.slice(1) : rendered;
  const cwd = isAbsolute(expanded) ? expanded : resolve(base, expanded);
  try {
    if (!statSync(cwd).isDirectory()) throw new Error();
  } catch {
    throw new StepFailure(`working directory ${cwd} does not exist or is not a folder`, { retryable: false });
  }
  return cwd;
}

function spawnFailure(error: NodeJS.ErrnoException, command: string, cwd: string): StepFailure {
  if (error.code === "ENOENT") return new StepFailure(`command not found: ${command}`, { retryable: false });
  if (error.code === "EACCES") return new StepFailure(`permission denied: ${command} is not executable`, { retryable: false });
  if (error.code === "E2BIG") {
    return new StepFailure("the command and its environment are too large to start a process", { retryable: false });
  }
  return new StepFailure(`could not start ${command} in ${cwd}: ${error.message}`);
}

function lastLines(text: string): string {
  const lines = text.trimEnd().split("\n");
  const tail = lines.slice(-STDERR_TAIL_LINES).join("\n");
  return tail.length > STDERR_TAIL_CHARS ? `…${tail.slice(-STDERR_TAIL_CHARS)}` : tail;
}
