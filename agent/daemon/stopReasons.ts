// What a run cancelled by the agent's shutdown records as its reason: the
// real cause of the stop and how long the runs had, so that a run cut short
// by a second Ctrl-C does not claim that a 30-second grace period ended.

/** The grace period ran out (or there was none: a store that vanished gets no grace). */
export function graceEndedReason(cause: string, graceMs: number): string {
  if (graceMs === 0) return `the agent stopped without a grace period (${cause})`;
  return `the agent was stopping (${cause}) and its grace period of ${graceMs} ms ended`;
}

/** A second stop request (another signal) ended the grace period early. */
export function graceCutShortReason(cause: string, second: string, elapsedMs: number, graceMs: number): string {
  const what = second === cause ? `a second ${second}` : second;
  return `the agent was stopping (${cause}) and ${what} ended its grace period early, after ${elapsedMs} of ${graceMs} ms`;
}
