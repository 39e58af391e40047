// Runs whose owning process is gone. A run records the pid executing it;
// when that process died without finishing the run (SIGKILL, a crash, a
// power cut), whoever notices first — a clockwork command or the next agent
// start — ends the step processes it left behind and only then marks the
// run failed. A run that was accepted but had not started is not failed:
// it stays queued, and the next agent runs it (docs/agent.md).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RunSummary } from "../protocol";
import type { Owner, RunRepository } from "../store";
import { thisHost } from "../store/host";
import { endRecordedGroup } from "./processGroups";

/**
 * This process as the owner of the runs it executes: an id unique to this
 * process's lifetime (`agent:…` for an agent, `cli:…` for a `clockwork
 * run`), its pid and host.
 */
export function ownerFor(kind: "agent" | "cli"): Owner {
  return { id: `${kind}:${randomBytes(8).toString("hex")}`, pid: process.pid, host: thisHost() };
}

const ownedByAgent = (owner: Owner) => owner.id.startsWith("agent:");
/** Rows written before owners had hosts have an empty one: they are this machine's. */
const onThisHost = (owner: Owner) => owner.host === "" || owner.host === thisHost();

/** True while a process with this pid exists and has not exited (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

// A process that exited but was not reaped yet still answers kill(pid, 0);
// on Linux its state letter in /proc tells.
function isZombie(pid: number): boolean {
  if (process.platform !== "linux") return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const end = stat.lastIndexOf(")");
    return stat.slice(end + 2, end + 3) === "Z";
  } catch {
    return false;
  }
}

export const AGENT_ORPHAN_REASON = "interrupted: the agent stopped while this run was in progress";

export function orphanReason(pid: number): string {
  return `interrupted: the process running this run (pid ${pid}) exited before it finished`;
}

/** In team mode a run's reason names the agent that was lost: several run on one database. */
export function lostAgentReason(owner: Owner): string {
  return `interrupted: agent ${owner.id} on ${owner.host} (pid ${owner.pid}) exited while this run was in progress`;
}

export interface OrphanOptions {
  /**
   * Set when the caller is the agent starting up with this home's lock held:
   * every run an agent owned is then an orphan, whatever its old pid now is.
   */
  startingAgent?: Owner;
  /**
   * Team mode: other agents on this host may be alive (other homes on one
   * shared database), so an agent's run is an orphan only when its process
   * is gone, and the reason names that agent.
   */
  team?: boolean;
}

/**
 * Fails every started run whose owner is gone, after ending the step
 * processes it recorded; returns them. The reason says whether an agent or
 * a `clockwork run` died, and whether leftover processes were ended.
 */
export async function failOrphanRuns(store: RunRepository, options: OrphanOptions = {}): Promise<RunSummary[]> {
  const failed: RunSummary[] = [];
  for (const run of await store.ownedActiveRuns()) {
    const owner = run.owner;
    // Another machine's runs are its own agents' to recover (team mode).
    if (run.status !== "running" || owner === null || !onThisHost(owner)) continue;
    if (owner.id === options.startingAgent?.id) continue;
    // An agent starting up runs nothing yet: a run that an agent (even one
    // with its own pid, before a restart) was running is an orphan.
    const byAgent = ownedByAgent(owner);
    const ownerGone = options.team
      ? owner.pid === process.pid || !isProcessAlive(owner.pid)
      : (byAgent && options.startingAgent !== undefined) || !isProcessAlive(owner.pid);
    if (!ownerGone) continue;
    let ended = 0;
    for (const step of await store.stepProcesses(run.id)) ended += endRecordedGroup(step.pgid, step.identity);
    for (const shared of await store.runProcesses(run.id)) ended += endRecordedGroup(shared.pgid, shared.identity);
    const reason = !byAgent ? orphanReason(owner.pid) : options.team ? lostAgentReason(owner) : AGENT_ORPHAN_REASON;
    const note = ended > 0 ? `; ${ended} step process${ended === 1 ? " it left running was" : "es it left running were"} ended first` : "";
    const summary = await store.finishRun(run.id, "failed", reason + note);
    // Ended here: nothing is left for a later start to end (endLeftoverProcesses).
    await store.forgetProcesses(run.id);
    if (summary) failed.push(summary);
  }
  return failed;
}

/**
 * The agent holding the lock takes over every queued run (they were
 * accepted by an agent that is gone, or by itself before a restart under
 * the same pid); returns them oldest first, to be started in that order,
 * each with the serial key admission gave it.
 */
export async function adoptQueuedRuns(store: RunRepository, agent: Owner): Promise<Array<{ run: RunSummary; serialKey: string | null }>> {
  const queued = (await store.ownedActiveRuns()).filter((run) => run.status === "queued");
  await store.adoptQueued(
    queued.map((run) => run.id),
    agent,
  );
  const adopted: Array<{ run: RunSummary; serialKey: string | null }> = [];
  for (const run of queued) {
    const summary = await store.getSummary(run.id);
    if (summary) adopted.push({ run: summary, serialKey: run.serialKey });
  }
  return adopted;
}

/**
 * Ends the step processes that finished runs of this machine left behind:
 * runs an agent on another machine failed after their own agent was lost
 * (team mode), which only a process here can end. Returns how many
 * processes it ended.
 */
export async function endLeftoverProcesses(store: RunRepository, host: string = thisHost()): Promise<number> {
  let ended = 0;
  const runs = new Set<string>();
  for (const group of await store.leftoverProcesses(host)) {
    ended += endRecordedGroup(group.pgid, group.identity);
    runs.add(group.runId);
  }
  for (const runId of runs) await store.forgetProcesses(runId);
  return ended;
}
