// `clockwork run` runs the workflow's code in an executor process, with this
// terminal's environment and working directory. Starting one takes about as
// long as starting Node, so the CLI starts it first thing — this module is
// the first cli/main.ts imports — and the rest of the command loads
// meanwhile. It imports nothing heavy for the same reason.
import { createUserCode, userCodeSettings, type UserCode } from "../executor/userCode";

let early: UserCode | undefined;

export function startUserCode(): UserCode {
  const userCode = createUserCode({ settings: userCodeSettings(), max: 1, warm: 1, env: process.env, cwd: process.cwd() });
  userCode.executors.warmUp();
  return userCode;
}

/** The executor started for this `clockwork run`, once. */
export function takeEarlyUserCode(): UserCode | undefined {
  const taken = early;
  early = undefined;
  return taken;
}

const [command, ...rest] = process.argv.slice(2);
if (command === "run" && !rest.some((arg) => arg === "--help" || arg === "-h")) {
  try {
    early = startUserCode();
  } catch {
    // A bad setting: the command reports it when it gets there.
  }
}
