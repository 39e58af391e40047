// A throwaway Clockwork installation for one test file: a private
// CLOCKWORK_HOME (SQLite, socket, caches) and a separate work folder for
// workflow files, both under the system temp folder, outside the repository,
// so that nothing resolves through the repository's node_modules by accident.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const repoRoot = process.env.CLOCKWORK_REPO_ROOT ?? resolve(__dirname, "../..");
/** The built CLI; tests run it as users do. CLOCKWORK_TEST_BUNDLE points at another build. */
export const cliBundle = process.env.CLOCKWORK_TEST_BUNDLE ?? join(repoRoot, "dist", "clockwork.js");

export interface TestHome {
  /** The temp folder holding everything below. */
  root: string;
  /** CLOCKWORK_HOME. */
  home: string;
  /** A folder for workflow files and anything steps write. */
  work: string;
  /** The environment for processes under test: CLOCKWORK_HOME set, no colour, no default HTTP port. */
  env: NodeJS.ProcessEnv;
  /** Writes a file under `work` (folders created) and returns its absolute path. */
  write(relativePath: string, content: string): string;
  /** An absolute path under `work`. */
  path(...parts: string[]): string;
  /** Removes everything. */
  cleanup(): void;
}

export function makeTestHome(label: string, extraEnv: NodeJS.ProcessEnv = {}): TestHome {
  const root = mkdtempSync(join(tmpdir(), `clockwork-${label}-`));
  const home = join(root, "home");
  const work = join(root, "work");
  mkdirSync(home, { mode: 0o700 });
  mkdirSync(work);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLOCKWORK_HOME: home,
    // Never the default 8787: another test or a real agent may be using it.
    CLOCKWORK_HTTP_PORT: "0",
    NO_COLOR: "1",
    ...extraEnv,
  };
  return {
    root,
    home,
    work,
    env,
    write(relativePath, content) {
      const file = join(work, relativePath);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    path: (...parts) => join(work, ...parts),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Source of a workflow file: `steps` is TypeScript for the steps array's items. */
export function workflowSource(name: string, steps: string[], imports = "defineWorkflow, shell, http, llm, code"): string {
  return `import { ${imports} } from "clockwork";

export default defineWorkflow({
  name: ${JSON.stringify(name)},
  steps: [
${steps.map((s) => `    ${s},`).join("\n")}
  ],
});
`;
}
