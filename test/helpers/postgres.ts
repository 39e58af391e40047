// A throwaway PostgreSQL cluster for the tests that need a real server: the
// server's own binaries (the Debian package's /usr/lib/postgresql/<n>/bin,
// else PATH), `initdb` in a temporary folder, a free loopback port, the
// Unix socket inside that folder, password authentication over TCP (so the
// URLs under test carry a password, as real ones do), removed at the end.
// initdb and the server refuse to run as root: as root, they run as the
// `postgres` user (runuser), in a folder made theirs.
//
// Started synchronously when a test file loads, so that a file can decide
// which tests exist: when no server can be started, `startPostgres` returns
// why, and the tests skip with that reason printed loudly.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export interface PgCluster {
  host: string;
  port: number;
  user: string;
  password: string;
  /** A new, empty database; returns its URL. */
  createDatabase(label?: string): string;
  /** Runs SQL through psql as the cluster's superuser; returns stdout. */
  psql(database: string, sql: string): string;
  /** Stops the server, keeping its data: an outage. */
  pause(): void;
  /** Starts it again on the same port. */
  resume(): void;
  stop(): void;
}

export type PgStart = { cluster: PgCluster } | { skip: string };

/** Where the server binaries are: the newest Debian version folder, else PATH. */
function findBinaries(): string | null {
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  const path = which.stdout.trim();
  return which.status === 0 && path ? join(path, "..") : null;
}

/** A port nobody listens on now (the server binds it a moment later). */
function freePort(): number {
  // A child process answers synchronously: the port is taken and released there.
  const probe = spawnSync(process.execPath, ["-e", `const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})`], {
    encoding: "utf8",
  });
  const port = Number(probe.stdout.trim());
  if (!Number.isInteger(port) || port <= 0) throw new Error(`could not find a free port: ${probe.stderr}`);
  return port;
}

export function startPostgres(): PgStart {
  const bin = findBinaries();
  if (!bin) return { skip: "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql/*/bin or on PATH; install Debian's postgresql package" };
  const asRoot = userInfo().uid === 0;
  let runAs: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (id.status !== 0) return { skip: "running as root and there is no `postgres` user to run initdb as (initdb refuses root)" };
    runAs = { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  const dir = mkdtempSync(join(tmpdir(), "clockwork-pg-"));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const run = (tool: string, args: string[]): SpawnSyncReturns<string> => {
    const command = asRoot ? "runuser" : join(bin, tool);
    const argv = asRoot ? ["-u", "postgres", "--", join(bin, tool), ...args] : args;
    return spawnSync(command, argv, { cwd: dir, encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
  };
  const fail = (what: string, result: SpawnSyncReturns<string>): PgStart => {
    const log = existsSync(join(dir, "server.log")) ? readFileSync(join(dir, "server.log"), "utf8").slice(-2000) : "";
    rmSync(dir, { recursive: true, force: true });
    return { skip: `${what} failed (exit ${result.status}): ${(result.stderr || result.stdout || String(result.error ?? "")).trim().slice(-1000)}${log ? `\n${log}` : ""}` };
  };

  const user = "clockwork";
  const password = randomBytes(12).toString("hex");
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  const data = join(dir, "data");
  const init = run("initdb", ["-D", data, "-U", user, `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"]);
  if (init.status !== 0) return fail("initdb", init);
  const port = freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () => run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]);
  const started = start();
  if (started.status !== 0) return fail("pg_ctl start", started);

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stop);
  // A test run stopped from outside (Ctrl-C, a CI timeout) must not leave a server running.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      stop();
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
  const psql = (database: string, sql: string): string => {
    const result = run("psql", ["-h", dir, "-p", String(port), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]);
    if (result.status !== 0) throw new Error(`psql: ${result.stderr}`);
    return result.stdout;
  };
  let databases = 0;
  return {
    cluster: {
      host: "127.0.0.1",
      port,
      user,
      password,
      createDatabase(label = "test") {
        const name = `${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${++databases}_${randomBytes(3).toString("hex")}`;
        psql("postgres", `CREATE DATABASE ${name}`);
        return `postgres://${user}:${password}@127.0.0.1:${port}/${name}`;
      },
      psql,
      pause() {
        const result = run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
        if (result.status !== 0) throw new Error(`pg_ctl stop: ${result.stderr}`);
      },
      resume() {
        const result = start();
        if (result.status !== 0) throw new Error(`pg_ctl start: ${result.stderr}`);
      },
      stop,
    },
  };
}

/** The cluster, or null after printing loudly why the tests that need it skip. */
export function postgresOrSkip(what: string): { cluster: PgCluster } | { cluster: null; reason: string } {
  const started = startPostgres();
  if ("cluster" in started) return started;
  const line = "!".repeat(78);
  process.stderr.write(`\n${line}\nSKIPPING ${what}: no PostgreSQL server could be started.\n${started.skip}\n${line}\n\n`);
  return { cluster: null, reason: `no PostgreSQL server could be started: ${started.skip.split("\n")[0]}` };
}
