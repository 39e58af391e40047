// The host this process goes by: recorded with every run it owns and every
// heartbeat, and the host a watcher it registers is pinned to. The machine's
// name, unless CLOCKWORK_HOST names it otherwise (two agents on one machine
// that should act as two hosts; machines whose names clash).
import { hostname } from "node:os";

export function thisHost(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.CLOCKWORK_HOST?.trim();
  return named ? named : hostname();
}
