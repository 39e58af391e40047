// `clockwork run` runs the workflow's code in an executor thread (see
// executor/thread.ts), with this terminal's environment and working
// directory. The CLI starts it first thing — this module is the first
// cli/main.ts imports — so the thread loads its script while the rest of
// the command loads. It imports nothing heavy for the same reason.
import { createUserCode, userCodeSettings, type UserCode } from "../executor/userCode";

let early: UserCode | undefined;

export function startUserCode(): UserCode {
  const userCode = createUserCode({ settings: userCodeSettings(), kind: "thread", max: 1, warm: 1, env: process.env });
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
