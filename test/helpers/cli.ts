// Running the built `clockwork` CLI as a user would: to completion
// (`runCli`), or in the background with its output watched (`startCli`) so a
// test can wait for a line to appear, then signal it.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { cliBundle } from "./home";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to standard input, which is then closed. */
  input?: string;
  /** Another entry script to run instead of the built bundle (a symlink to it, a renamed copy). */
  script?: string;
}

/** Far longer than any command a test runs: past it, the command is called hung. */
const HANG_GUARD_MS = 120_000;

/**
 * Runs `clockwork <args>` to completion. A command that never ends fails
 * its test with what it printed, instead of the whole file timing out
 * with nothing to show.
 */
export async function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const child = startCli(args, options);
  let guard: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    guard = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`clockwork ${args.join(" ")} did not exit within ${HANG_GUARD_MS / 1000} s\nstdout: ${child.stdout}\nstderr: ${child.stderr}`));
    }, HANG_GUARD_MS);
  });
  try {
    const { code, signal } = await Promise.race([child.exited, hung]);
    return { code, signal, stdout: child.stdout, stderr: child.stderr };
  } finally {
    clearTimeout(guard);
  }
}

/** Like runCli, then JSON.parse of stdout; throws with stderr when the command failed or printed no JSON. */
export async function runCliJson<T = unknown>(args: string[], options: CliOptions): Promise<T> {
  const result = await runCli(args, options);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`clockwork ${args.join(" ")} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Everything written so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the output so far once it matches (stdout, or stderr with `stream`). */
  waitFor(pattern: RegExp | string, stream?: "stdout" | "stderr"): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export function startCli(args: string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [options.script ?? cliBundle, ...args], { env: options.env, cwd: options.cwd ?? process.cwd() });
  const out = { stdout: "", stderr: "" };
  const waiters: Array<() => void> = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  child.stdout.on("data", (d: Buffer) => {
    out.stdout += d.toString();
    notify();
  });
  child.stderr.on("data", (d: Buffer) => {
    out.stderr += d.toString();
    notify();
  });
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      done = true;
      notify();
      resolve({ code, signal });
    });
  });
  return {
    child,
    pid: child.pid!,
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
    waitFor(pattern, stream = "stdout") {
      const matches = () => (typeof pattern === "string" ? out[stream].includes(pattern) : pattern.test(out[stream]));
      return new Promise((resolve, reject) => {
        const check = () => {
          if (matches()) resolve(out[stream]);
          else if (done) reject(new Error(`clockwork exited before printing ${pattern}:\n${out.stdout}\n${out.stderr}`));
          else waiters.push(check);
        };
        check();
      });
    },
    exited,
    kill(signal = "SIGTERM") {
      if (!done) child.kill(signal);
    },
  };
}
