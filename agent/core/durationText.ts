// How a duration reads, one formatter per place it is shown. They differ on
// purpose: a terminal column wants "3m 05s", the editor's prose "3 min 5 s",
// an uptime runs to days, and a recorded reason is rounded. Each is named for
// where it is used, so a new view picks its form instead of writing a fifth.
// Pure; the extension bundles it.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * The CLI's listings and run output, and the lines the runner writes into a
 * run's log and step errors ("retrying in 2.0s", "timed out after 5.0s"):
 * 12ms, 1.2s, 42s, 3m 05s, 1h 02m.
 */
export function terminalDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < SECOND) return `${Math.round(ms)}ms`;
  if (ms < 10 * SECOND) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / SECOND);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes}m ${String(seconds).padStart(2, "0")}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/** The editor: trees, notices, the status bar and run panels. "850 ms", "4.2 s", "3 min 5 s", "2 h 4 min". */
export function editorDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < 10 * SECOND) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s`;
  if (ms < HOUR) {
    const seconds = Math.floor((ms % MINUTE) / SECOND);
    return seconds === 0 ? `${Math.floor(ms / MINUTE)} min` : `${Math.floor(ms / MINUTE)} min ${seconds} s`;
  }
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  return minutes === 0 ? `${Math.floor(ms / HOUR)} h` : `${Math.floor(ms / HOUR)} h ${minutes} min`;
}

/** How long the agent has been up, in `clockwork status`: whole seconds, up to days. "42s", "3m 5s", "2h 4m", "3d 2h". */
export function uptimeDuration(ms: number): string {
  const seconds = Math.floor(ms / SECOND);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** The reasons a schedule records on late and skipped fires, rounded: "90 s", "6 h", "1 d 2 h". */
export function reasonDuration(ms: number): string {
  const seconds = Math.round(ms / SECOND);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes % 60;
  if (hours < 48) return restMinutes === 0 ? `${hours} h` : `${hours} h ${restMinutes} min`;
  const days = Math.floor(hours / 24);
  const restHours = hours % 24;
  return restHours === 0 ? `${days} d` : `${days} d ${restHours} h`;
}
