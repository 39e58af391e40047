// The end of every switch over a kind. A case that is missing makes `value`
// something other than `never`, which is a compile error at the call; at run
// time (a row written by a newer agent, say) it throws instead of falling
// through to some other kind's behaviour.

/** Call in the default branch of an exhaustive switch; `what` names the kind for the error. */
export function unreachable(value: never, what = "kind"): never {
  throw new Error(`unknown ${what}: ${JSON.stringify(value)}`);
}
