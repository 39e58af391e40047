// Human-readable times for the editor: tree descriptions, the status bar,
// webviews and the CodeLens the agent serves. Shared by the extension and the
// agent, so both say "in 3 min" the same way.
// Pure: the current time is always passed in, so the same inputs give the
// same words in tests and in the editor.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * "in 3 min", "5 min ago", "in 2 h 10 min", "in 1 day 6 h", "in 3 days", "now".
 *
 * Units are truncated, like a countdown: a fire 3 min 50 s away reads
 * "in 3 min", and a run that finished 4 min 59 s ago reads "4 min ago".
 */
export function relativeTime(targetMs: number, nowMs: number): string {
  const delta = targetMs - nowMs;
  const future = delta >= 0;
  const span = Math.abs(delta);
  if (span < 5 * SECOND) return "now";
  const words = spanWords(span);
  return future ? `in ${words}` : `${words} ago`;
}

function spanWords(span: number): string {
  if (span < MINUTE) return `${Math.floor(span / SECOND)} s`;
  if (span < HOUR) return `${Math.floor(span / MINUTE)} min`;
  if (span < DAY) {
    const hours = Math.floor(span / HOUR);
    const minutes = Math.floor((span % HOUR) / MINUTE);
    return minutes === 0 || hours >= 10 ? `${hours} h` : `${hours} h ${minutes} min`;
  }
  const days = Math.floor(span / DAY);
  // "in 1 day" would hide half a day: under two days the hours are kept.
  if (days === 1) {
    const hours = Math.floor((span % DAY) / HOUR);
    return hours === 0 ? "1 day" : `1 day ${hours} h`;
  }
  return `${days} days`;
}

/**
 * Milliseconds until `relativeTime(targetMs, now)` may read differently, so a
 * view can sleep that long instead of ticking every second. Seconds matter
 * only under a minute; beyond that the words change on minute
 * boundaries at most. Never less than 250 ms and never more than a minute,
 * so a machine waking from sleep catches up soon.
 */
export function nextChangeIn(targetMs: number, nowMs: number): number {
  const span = Math.abs(targetMs - nowMs);
  const unit = span < MINUTE ? SECOND : MINUTE;
  const rest = span % unit;
  // A future instant's span shrinks: the rounded value drops just after the
  // span passes the multiple of the unit below it. A past instant's span
  // grows: the value rises when the span reaches the next multiple.
  const delay = targetMs >= nowMs ? rest + 1 : unit - rest;
  return clamp(delay, 250, MINUTE);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** The run's duration so far (running) or in total (finished); null before it started. */
export function runDuration(
  run: { startedAt: string | null; finishedAt: string | null },
  nowMs: number,
): number | null {
  if (!run.startedAt) return null;
  const start = Date.parse(run.startedAt);
  const end = run.finishedAt ? Date.parse(run.finishedAt) : nowMs;
  return Math.max(0, end - start);
}

/**
 * A short clock time for lists: "09:00" today, "Tue 09:00" within a week,
 * "12 May 09:00" otherwise ("09:00:05" with `seconds`). `timeZone` defaults
 * to the machine's zone.
 */
export function shortTime(atMs: number, nowMs: number, timeZone?: string, seconds = false): string {
  const time = new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    ...(seconds ? { second: "2-digit" as const } : {}),
    hourCycle: "h23",
    timeZone,
  });
  const day = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone });
  if (day.format(atMs) === day.format(nowMs)) return time.format(atMs);
  if (Math.abs(atMs - nowMs) < 6 * DAY) {
    const weekday = new Intl.DateTimeFormat("en-GB", { weekday: "short", timeZone }).format(atMs);
    return `${weekday} ${time.format(atMs)}`;
  }
  const date = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone }).format(atMs);
  return `${date} ${time.format(atMs)}`;
}
