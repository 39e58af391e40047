// The process groups steps run in, as something that can be ended safely
// long after the process that started them died. A step records its group
// id with the identity of the group's leader (boot and start time); ending
// the group later signals only processes of that group that started no
// earlier than the leader did, on the same boot, so a pid the system has
// since given to someone else is never signalled.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** A process's identity: which boot, and when in it the process started. */
interface Identity {
  boot: string;
  /** Start time in the boot's clock: ticks since boot on Linux, seconds since the epoch elsewhere. */
  start: number;
}

const encode = (id: Identity) => `${id.boot}:${id.start}`;

function decode(text: string): Identity | undefined {
  const at = text.lastIndexOf(":");
  const start = Number(text.slice(at + 1));
  return at > 0 && Number.isFinite(start) ? { boot: text.slice(0, at), start } : undefined;
}

let bootId: string | undefined;
function currentBoot(): string {
  if (bootId === undefined) {
    try {
      bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      bootId = "ps";
    }
  }
  return bootId;
}

interface ProcessInfo {
  pid: number;
  pgid: number;
  start: number;
}

/** pid, group and start time from /proc/<pid>/stat (fields 1, 5 and 22; the name in field 2 may hold spaces). */
function procStat(pid: number | string): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); a zombie has already exited.
    if (fields[0] === "Z") return undefined;
    return { pid: Number(pid), pgid: Number(fields[2]), start: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

const hasProc = () => process.platform === "linux" && currentBoot() !== "ps";

/** Every process (pid, group, start) on this machine, or undefined when they cannot be listed. */
function allProcesses(): ProcessInfo[] | undefined {
  if (hasProc()) {
    return readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .flatMap((name) => procStat(name) ?? []);
  }
  try {
    const out = execFileSync("ps", ["-A", "-o", "pid=,pgid=,lstart="], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return out
      .split("\n")
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(.+?)\s*$/.exec(line))
      .flatMap((m) => (m ? [{ pid: Number(m[1]), pgid: Number(m[2]), start: Math.floor(Date.parse(m[3]!) / 1000) }] : []))
      .filter((p) => Number.isFinite(p.start));
  } catch {
    return undefined;
  }
}

/** The identity of a running process, to be recorded beside its pid; undefined when it cannot be known. */
export function processIdentity(pid: number): string | undefined {
  if (hasProc()) {
    const info = procStat(pid);
    return info ? encode({ boot: currentBoot(), start: info.start }) : undefined;
  }
  const info = allProcesses()?.find((p) => p.pid === pid);
  return info ? encode({ boot: currentBoot(), start: info.start }) : undefined;
}

/**
 * The live processes of group `pgid` that belong to the group recorded with
 * `identity`: same boot, started no earlier than its leader. When the leader
 * itself is alive its start must match exactly, or the pid was reused.
 */
export function groupMembers(pgid: number, identity: string): number[] {
  const recorded = decode(identity);
  if (!recorded || recorded.boot !== currentBoot()) return [];
  const processes = allProcesses();
  if (!processes) return [];
  const leader = processes.find((p) => p.pid === pgid);
  if (leader && leader.start !== recorded.start) return [];
  return processes.filter((p) => p.pgid === pgid && p.start >= recorded.start && p.pid !== process.pid).map((p) => p.pid);
}

/**
 * Ends what is left of a recorded group with SIGKILL: whoever could have
 * collected its output is gone, and a group that ignored SIGTERM must not
 * outlive the check. Returns how many processes it ended.
 */
export function endRecordedGroup(pgid: number, identity: string): number {
  let ended = 0;
  for (const pid of groupMembers(pgid, identity)) {
    try {
      process.kill(pid, "SIGKILL");
      ended++;
    } catch {
      // Gone in between.
    }
  }
  return ended;
}
