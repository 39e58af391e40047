// Shared by the benchmarks that drive a real agent: the built bundle run as
// `clockwork <args>`, an agent started in the foreground (resolved once it
// has logged that it started), a socket connection to it, and its stop.
// BENCH_ROOT=<checkout> measures another checkout's build (built there with
// `npm run build`) instead of this one's.
import { spawn } from "node:child_process";
import net from "node:net";
import { dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import * as rpc from "vscode-jsonrpc/node.js";

/** The checkout whose build is measured. */
export const benchRoot = resolvePath(process.env.BENCH_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
export const bundle = bundleOf(benchRoot);

/** The built CLI and agent of the checkout at `root`. */
export function bundleOf(root) {
  return join(root, "dist", "clockwork.js");
}

/** The environment of an agent and CLI on `home`: a free HTTP port, no colour. */
export function agentEnv(home) {
  return { ...process.env, CLOCKWORK_HOME: home, CLOCKWORK_HTTP_PORT: "0", NO_COLOR: "1" };
}

/** Runs `clockwork <args>` to completion; resolves with its stdout, rejects on a non-zero exit. */
export function cli(env, args, build = bundle) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [build, ...args], { env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`clockwork ${args.join(" ")} exited ${code}`))));
  });
}

/** Starts `clockwork agent` with `env`; resolves with the process once its log says it started. */
export async function startAgent(env, build = bundle) {
  const agent = spawn(process.execPath, [build, "agent"], { env, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    let out = "";
    agent.stdout.on("data", (d) => {
      out += d;
      if (/ agent \S+ started /.test(out)) resolve();
    });
    agent.once("exit", (code) => reject(new Error(`agent exited ${code}`)));
  });
  return agent;
}

/** A JSON-RPC connection to the agent of `home`, subscribed to its notifications. */
export async function connectAgent(home) {
  const socket = net.connect(join(home, "agent.sock"));
  await new Promise((r) => socket.once("connect", r));
  const conn = rpc.createMessageConnection(new rpc.SocketMessageReader(socket), new rpc.SocketMessageWriter(socket));
  conn.listen();
  await conn.sendRequest("clockwork/status", null);
  return conn;
}

/** SIGTERM, and resolves once the agent has exited. */
export async function stopAgent(agent) {
  if (!agent || agent.exitCode !== null || agent.signalCode !== null) return;
  agent.kill("SIGTERM");
  await new Promise((r) => agent.once("exit", r));
}
