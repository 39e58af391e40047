// Runs whose owning process is gone. A run records the pid executing it;
// when that process died without finishing the run (SIGKILL, a crash, a
// power cut), the next clockwork command or agent start marks it failed.
import type { RunSummary } from "../protocol";
import type { RunStore } from "../store/runs";

/** True while a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function orphanReason(pid: number): string {
  return `the process running this run (pid ${pid}) exited before it finished`;
}

/** Marks failed every unfinished run whose owner is gone; returns them. */
export function failOrphanRuns(store: RunStore): RunSummary[] {
  return store.failOrphans(isProcessAlive, orphanReason);
}
