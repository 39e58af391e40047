// Runs whose owning process is gone. A run records the pid executing it;
// when that process died without finishing the run (SIGKILL, a crash, a
// power cut), the next clockwork command or agent start marks it failed.
import { readFileSync } from "node:fs";
import type { RunSummary } from "../protocol";
import type { RunStore } from "../store/runs";

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

export const AGENT_ORPHAN_REASON = "the agent stopped while this run was in progress";

export function orphanReason(pid: number): string {
  return `the process running this run (pid ${pid}) exited before it finished`;
}

/**
 * Marks failed every unfinished run whose owner is gone; returns them. The
 * reason says whether an agent or a `clockwork run` died, whichever process
 * (a CLI command or the restarting agent) happens to notice first.
 */
export function failOrphanRuns(store: RunStore): RunSummary[] {
  return store.failOrphans(isProcessAlive, (pid) => (store.wasAgent(pid) ? AGENT_ORPHAN_REASON : orphanReason(pid)));
}
