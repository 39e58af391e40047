// An error that lists problems found together (every bad entry of a bulk
// registration), one per line under a header, shortened after the first few
// so that a file with thousands of bad entries still gives a readable error.

/** How many problems are listed before "… and N more". */
export const SHOWN_PROBLEMS = 20;

/** "nothing registered (all or nothing), 2 problems:" followed by the problems, one per indented line. */
export function nothingRegistered(problems: readonly string[]): string {
  const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => `  ${p}`);
  if (problems.length > SHOWN_PROBLEMS) shown.push(`  … and ${problems.length - SHOWN_PROBLEMS} more`);
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return `nothing registered (all or nothing), ${count}:\n${shown.join("\n")}`;
}
