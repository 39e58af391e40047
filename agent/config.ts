// Where things live and how the agent is tuned: environment first, flags
// override (the CLI passes its flags in). Pure apart from reading `env`.
import { availableParallelism, homedir } from "node:os";
import { join, resolve } from "node:path";

declare const CLOCKWORK_VERSION: string | undefined;
export const VERSION: string = typeof CLOCKWORK_VERSION === "string" ? CLOCKWORK_VERSION : "0.0.0-dev";

export interface Config {
  home: string;
  dbFile: string;
  socketPath: string;
  /** Held with an OS lock by the running agent (one agent per home). */
  lockFile: string;
  /** The pid of the agent holding the lock, for messages and `agent stop`. */
  pidFile: string;
  logFile: string;
  httpHost: string;
  httpPort: number;
  apiToken: string | null;
  maxConcurrentRuns: number;
  /**
   * CLOCKWORK_DATABASE_URL (or `--database-url`): a postgres:// URL makes
   * the agent and every command use that shared PostgreSQL database (team
   * mode, docs/team.md); null, the SQLite store in `dbFile`.
   */
  databaseUrl: string | null;
  /**
   * How long a command waits for the agent's answer to a request
   * (CLOCKWORK_REQUEST_TIMEOUT_MS, default 60 s). The agent answers every
   * request well within it (a cancel waits 10 s at most), so a request
   * that outlasts it went to an agent that is stopped or stuck.
   */
  requestTimeoutMs: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const home = resolve(overrides.home ?? env.CLOCKWORK_HOME ?? join(homedir(), ".clockwork"));
  const port = Number(env.CLOCKWORK_HTTP_PORT ?? 8787);
  const max = Number(env.CLOCKWORK_MAX_CONCURRENT_RUNS ?? availableParallelism());
  const requestTimeout = Number(env.CLOCKWORK_REQUEST_TIMEOUT_MS ?? DEFAULT_REQUEST_TIMEOUT_MS);
  return {
    home,
    dbFile: join(home, "clockwork.db"),
    socketPath:
      process.platform === "win32"
        ? `\\\\.\\pipe\\clockwork-${Buffer.from(home).toString("hex").slice(-32)}`
        : join(home, "agent.sock"),
    lockFile: join(home, "agent.lock"),
    pidFile: join(home, "agent.pid"),
    logFile: join(home, "agent.log"),
    httpHost: env.CLOCKWORK_HTTP_HOST ?? "127.0.0.1",
    httpPort: Number.isInteger(port) && port >= 0 && port < 65536 ? port : 8787,
    apiToken: env.CLOCKWORK_API_TOKEN ? env.CLOCKWORK_API_TOKEN : null,
    maxConcurrentRuns: Number.isInteger(max) && max > 0 ? max : availableParallelism(),
    databaseUrl: env.CLOCKWORK_DATABASE_URL ? env.CLOCKWORK_DATABASE_URL : null,
    requestTimeoutMs: Number.isFinite(requestTimeout) && requestTimeout > 0 ? requestTimeout : DEFAULT_REQUEST_TIMEOUT_MS,
    ...overrides,
  };
}
