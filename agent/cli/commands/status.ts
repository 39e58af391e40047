// `clockwork status [--json]`: is the agent alive, and what is it doing.
// Exit 0: it answers on its socket and its heartbeat is fresh. Exit 1: no
// agent is running. Exit 2: unhealthy, i.e. a live process holds the lock but
// does not answer, or it answers but its heartbeat has stopped moving.
import { existsSync } from "node:fs";
import { thisHost } from "../../store/host";
import type { Command } from "commander";
import { loadConfig, type Config } from "../../config";
import { uptimeDuration } from "../../core/durationText";
import { triggerCountsText } from "../../core/triggerKinds";
import { HEARTBEAT_STALE_MS, leaseFromEnv } from "../../daemon/heartbeat";
import { lockHolder } from "../../daemon/lock";
import { messageOf } from "../../errors";
import { Status, type AgentPeer, type AgentStatus } from "../../protocol";
import { connectStore, missingStore, redactUrl } from "../../store";
import { tryConnect } from "../client";
import { colour, printJson } from "../output";

export type AgentState =
  | { state: "running"; status: AgentStatus }
  | { state: "not-running"; reason: string; store?: { kind: "sqlite" | "postgres"; location: string }; agents?: AgentPeer[] }
  | { state: "unhealthy"; pid: number | null; reason: string; status?: AgentStatus };

const REQUEST_TIMEOUT_MS = 5_000;

export function statusCommands(program: Command): void {
  program
    .command("status")
    .description("Show whether the agent runs and what it is doing (exit 0 running, 1 not running, 2 unhealthy)")
    .option("--json", "print the state as JSON: { state, status?, pid?, reason? }")
    .action(async (options: { json?: boolean }) => {
      const result = await agentState(loadConfig());
      if (options.json) printJson(result);
      else process.stdout.write(describe(result));
      process.exit(result.state === "running" ? 0 : result.state === "not-running" ? 1 : 2);
    });
}

export async function agentState(config: Config, now = Date.now()): Promise<AgentState> {
  const client = await tryConnect(config, { timeoutMs: 2_000 });
  if (!client) {
    const holder = lockHolder(config);
    if (holder === undefined) return notRunning(config, now);
    const who = holder.pid === null ? "a process (pid unknown)" : `pid ${holder.pid}`;
    return { state: "unhealthy", pid: holder.pid, reason: `${who} holds the agent lock but nothing answers on ${config.socketPath}` };
  }
  let status: AgentStatus;
  try {
    status = await withTimeout(client.request(Status, undefined), REQUEST_TIMEOUT_MS);
  } catch (error) {
    const pid = lockHolder(config)?.pid ?? null;
    return { state: "unhealthy", pid, reason: `the agent's socket accepts connections but does not answer: ${messageOf(error)}` };
  } finally {
    client.close();
  }
  if (status.storeError) {
    return { state: "unhealthy", pid: status.pid, status, reason: `${status.storeError}; the agent accepts no work and is exiting` };
  }
  const beatAt = await heartbeatOf(config, status.pid);
  if (beatAt !== undefined && now - beatAt > HEARTBEAT_STALE_MS) {
    const age = Math.round((now - beatAt) / 1000);
    return { state: "unhealthy", pid: status.pid, status, reason: `the agent's heartbeat is ${age} s old` };
  }
  return { state: "running", status };
}

/** No agent for this home; in team mode, the agents alive elsewhere on the shared database are worth knowing. */
async function notRunning(config: Config, now: number): Promise<AgentState> {
  if (!config.databaseUrl) {
    const missing = missingStore(config.dbFile);
    return { state: "not-running", reason: `no agent is running for ${config.home}${missing ? `, and ${missing}` : ""}` };
  }
  const store = { kind: "postgres" as const, location: redactUrl(config.databaseUrl) };
  try {
    const shared = await connectStore(config);
    try {
      const agents = (await shared.agents.list()).map((beat): AgentPeer => ({
        id: beat.id,
        host: beat.host,
        pid: beat.pid,
        version: beat.version,
        http: beat.http,
        beatAt: new Date(beat.beatAt).toISOString(),
        alive: now - beat.beatAt <= leaseFromEnv().leaseMs,
        self: false,
      }));
      const alive = agents.filter((a) => a.alive).length;
      return { state: "not-running", reason: `no agent is running for ${config.home}; ${alive} other agent(s) alive on ${store.location}`, store, agents };
    } finally {
      await shared.close();
    }
  } catch (error) {
    return { state: "not-running", reason: `no agent is running for ${config.home}, and ${messageOf(error)}`, store };
  }
}

async function heartbeatOf(config: Config, pid: number): Promise<number | undefined> {
  // A question about the agent never creates a store.
  if (!config.databaseUrl && !existsSync(config.dbFile)) return undefined;
  try {
    const store = await connectStore(config);
    try {
      const here = thisHost();
      return (await store.agents.list()).find((agent) => agent.pid === pid && agent.host === here)?.beatAt;
    } finally {
      await store.close();
    }
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(result: AgentState): string {
  if (result.state === "not-running") return `${colour.yellow("not running")}: ${result.reason}\n${result.agents ? agentLines(result.agents) : ""}`;
  if (result.state === "unhealthy") return `${colour.red("unhealthy")}: ${result.reason}\n`;
  const s = result.status;
  const c = s.counts;
  const lines = [
    `${colour.green("running")} (pid ${s.pid}, version ${s.version}, up ${uptimeDuration(s.uptimeMs)})${s.stopping ? colour.yellow(" — stopping") : ""}`,
    `  home      ${s.home}`,
    `  socket    ${s.socket}`,
    `  http      ${s.httpUrl ?? (s.httpError ? colour.red(`off: ${s.httpError}`) : "off")}`,
    `  triggers  ${triggerCountsText(c)}`,
    `  runs      ${c.running} running, ${c.queued} queued`,
    `  next fire ${s.nextFire ? `${s.nextFire.trigger} at ${s.nextFire.at}` : "none"}`,
  ];
  if (s.store) lines.push(`  store     ${s.store.kind} ${s.store.location}`);
  return lines.join("\n") + "\n" + (s.agents && s.store?.kind === "postgres" ? agentLines(s.agents) : "");
}

/** One line per agent sharing the store: who, where, alive or lost. */
function agentLines(agents: AgentPeer[]): string {
  const alive = agents.filter((a) => a.alive).length;
  const rows = agents.map((a) => {
    const state = a.alive ? colour.green("alive") : colour.red(`lost (last beat ${a.beatAt})`);
    return `    ${a.host} pid ${a.pid} ${state}${a.http ? ` ${a.http}` : ""}${a.self ? " (this agent)" : ""}`;
  });
  return [`  agents    ${alive} alive of ${agents.length}`, ...rows].join("\n") + "\n";
}
