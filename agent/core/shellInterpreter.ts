// Which program runs a shell step's string command. Pure.
//
// Placeholders are quoted for POSIX shell syntax and checked against what
// bash, zsh and ksh evaluate, so the interpreter must be one of those
// shells: fish, csh or a language interpreter read quotes differently, and a
// quoted value would no longer be inert there.

export const DEFAULT_SHELL = "/bin/sh";

const POSIX_SHELLS = ["sh", "bash", "dash", "ash", "ksh", "ksh93", "mksh", "lksh", "oksh", "pdksh", "yash", "posh", "zsh"];

/** Why `path` cannot run string commands, or null when it can. */
export function shellInterpreterProblem(path: string): string | null {
  if (!path.startsWith("/")) return `must be an absolute path, such as "/bin/bash", not ${JSON.stringify(path)}`;
  const name = path.slice(path.lastIndexOf("/") + 1);
  // Versioned names (bash5, zsh-5.9) are the same shells.
  if (!POSIX_SHELLS.includes(name.replace(/[-.]?[0-9][0-9.]*$/, ""))) {
    return `must be a POSIX shell (${POSIX_SHELLS.join(", ")}), since placeholders are quoted for their syntax; "${name}" is not one (run other interpreters with an argv array: ["python3", "-c", "…"])`;
  }
  return null;
}
