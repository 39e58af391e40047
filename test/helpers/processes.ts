// Checks on processes a test did not start itself (a step's children).
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** True while the process exists and has not exited (an unreaped zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/**
 * Resolves true once the process is gone, false if it is still there after
 * `limitMs`. Nothing announces the death of a process we are not the parent
 * of, so this polls; the limit only guards against hanging forever.
 */
export async function waitUntilGone(pid: number, limitMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(20);
  }
  return !isAlive(pid);
}

/** Kills a process group, ignoring one that is already gone; for test cleanup. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
