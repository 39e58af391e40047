// Loading workflows in tests the way the agent does: through a real executor
// pool (real child processes). One pool per test file; `closeUserCode` in
// `after` ends its processes.
import { after } from "node:test";
import { createUserCode, userCodeSettings, type UserCode } from "../../agent/executor/userCode";
import type { WorkflowLoader } from "../../agent/workflow/load";

const loaders = new Map<string | null | undefined, UserCode>();

/** A loader with its own executor pool; `cacheDir: null` disables every cache. */
export function testLoader(options: { cacheDir?: string | null; max?: number } = {}): WorkflowLoader {
  const key = options.cacheDir;
  let userCode = loaders.get(key);
  if (!userCode) {
    userCode = createUserCode({ settings: userCodeSettings(), max: options.max ?? 2, warm: 0, cacheDir: options.cacheDir });
    loaders.set(key, userCode);
  }
  return userCode.loader;
}

export const loadWorkflow = (file: string, options: { cacheDir?: string | null } = {}) => testLoader(options).load(file);

export const checkWorkflow = (file: string, source?: string, options: { cacheDir?: string | null } = {}) =>
  testLoader(options).check(file, source);

export async function closeUserCode(): Promise<void> {
  await Promise.all([...loaders.values()].map((u) => u.executors.close()));
  loaders.clear();
}

after(() => closeUserCode());
