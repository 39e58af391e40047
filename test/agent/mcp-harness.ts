// Shared by the mcp step tests: the reference MCP servers from npm
// (server-everything over stdio and Streamable HTTP, server-filesystem),
// an mcp.json in the agent's home, and running a workflow file in the agent
// until its run has finished.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { GetRun, RunLogs, StartRun, type LogChunk, type RunRecord } from "../../agent/protocol";
import { repoRoot, type Watcher } from "./agent-harness";

const modules = join(repoRoot, "node_modules", "@modelcontextprotocol");
/** server-everything's entry: `node <it> stdio` or `node <it> streamableHttp`. */
export const EVERYTHING = join(modules, "server-everything", "dist", "index.js");
/** server-filesystem's entry: `node <it> <allowed folder>…`. */
export const FILESYSTEM = join(modules, "server-filesystem", "dist", "index.js");
export const NODE = process.execPath;

/** A stdio server written inline in a workflow file. */
export const everythingStdio = () => `{ command: ${JSON.stringify(NODE)}, args: [${JSON.stringify(EVERYTHING)}, "stdio"] }`;

/** Writes $CLOCKWORK_HOME/mcp.json (owner-only, as the agent requires). */
export function writeMcpConfig(home: string, config: unknown): string {
  const file = join(home, "mcp.json");
  writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  chmodSync(file, 0o600);
  return file;
}

/** Starts a run of `file` in the agent and resolves with its record once it has finished. */
export async function runInAgent(watcher: Watcher, file: string, body?: unknown): Promise<RunRecord> {
  const { runId } = await watcher.client.request(StartRun, { file, ...(body === undefined ? {} : { body }) });
  return finishedRun(watcher, runId);
}

/** The record of a run, once it has finished. */
export async function finishedRun(watcher: Watcher, runId: string): Promise<RunRecord> {
  await watcher.until((runs) => runs.some((r) => r.id === runId && r.finishedAt !== null), `run ${runId} to finish`);
  return watcher.client.request(GetRun, { id: runId });
}

/** Everything the run wrote, in order. */
export async function runLog(watcher: Watcher, runId: string): Promise<LogChunk[]> {
  return (await watcher.client.request(RunLogs, { id: runId, limit: 10_000 })).chunks;
}

/** The pids of the MCP servers the run's log says were started ("… ready (pid N)"). */
export function serverPids(chunks: readonly LogChunk[]): number[] {
  return chunks.flatMap((c) => [...c.text.matchAll(/ ready \(pid (\d+)\)/g)].map((m) => Number(m[1])));
}

export interface HttpEverything {
  url: string;
  /** What the server printed (it logs each request and session). */
  output(): string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** server-everything over Streamable HTTP, started as its README says, on a free port. */
export async function startHttpEverything(): Promise<HttpEverything> {
  const port = await freePort();
  const child: ChildProcess = spawn(NODE, [EVERYTHING, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes(`listening on port ${port}`)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`server-everything exited with ${code}:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
