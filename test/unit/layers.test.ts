// The layer boundaries of ARCHITECTURE.md, checked on the import lines.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";

const root = resolve(__dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith(".ts") ? [full] : [];
  });
}

/** Repository-relative targets of a file's relative imports. */
function imports(file: string): string[] {
  return importLines(file).map((i) => i.target);
}

/** Each relative import or re-export of a file: its target, and whether the whole statement is `import type`. */
function importLines(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(?:import|export)(\s+type)?\b[^;]*?\bfrom\s+"(\.[^"]+)"/gms)].map((m) => ({
    target: relative(root, resolve(dirname(file), m[2]!)),
    typeOnly: m[1] !== undefined,
  }));
}

test("the extension takes from agent/ only the protocol, the config, pure formatting and the socket owner check", () => {
  const allowed = new Set([
    "agent/protocol",
    "agent/config",
    // Pure formatting the CLI and the editor share: times, durations, status marks, trigger kinds and their counts.
    "agent/core/relativeTime",
    "agent/core/durationText",
    "agent/core/statusMarks",
    "agent/core/triggerKinds",
    "agent/privateHome",
  ]);
  const offending = sources(join(root, "extension")).flatMap((file) =>
    imports(file)
      .filter((target) => target.startsWith("agent/") && !allowed.has(target))
      .map((target) => `${relative(root, file)} imports ${target}`),
  );
  assert.deepEqual(offending, []);
});

test("the core modules the extension shares import nothing from Node, so the webviews can bundle them too", () => {
  const shared = ["relativeTime", "durationText", "statusMarks", "triggerKinds"];
  const offending = shared.filter((name) => /from\s+"node:/.test(readFileSync(join(root, `agent/core/${name}.ts`), "utf8")));
  assert.deepEqual(offending, []);
});

test("the pure core imports nothing from the store, runner, daemon or CLI", () => {
  const offending = sources(join(root, "agent/core")).flatMap((file) =>
    imports(file)
      .filter((target) => /^agent\/(store|runner|daemon|cli|steps|workflow)\//.test(target))
      .map((target) => `${relative(root, file)} imports ${target}`),
  );
  assert.deepEqual(offending, []);
});

test("SQL lives in agent/store only", () => {
  const sqlish = /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b/;
  const offending = ["agent/core", "agent/daemon", "agent/runner", "agent/steps", "agent/workflow", "agent/cli", "agent/lsp", "extension"]
    .flatMap((dir) => sources(join(root, dir)))
    // The home's lock file is a one-row SQLite file; it holds no data.
    .filter((file) => !file.endsWith("agent/daemon/fileLock.ts"))
    .filter((file) => sqlish.test(readFileSync(file, "utf8").replace(/\/\/.*$/gm, "")))
    .map((file) => relative(root, file));
  assert.deepEqual(offending, []);
});

test("the MCP server is a client: it imports nothing from the store, runner, daemon, executor or workflow loader", () => {
  const offending = sources(join(root, "agent/mcp")).flatMap((file) =>
    imports(file)
      .filter((target) => /^agent\/(store|runner|daemon|steps|workflow|executor|lsp)\//.test(target))
      .map((target) => `${relative(root, file)} imports ${target}`),
  );
  assert.deepEqual(offending, []);
});

test("only the store's adapters reach a database driver or an adapter's folder", () => {
  const adapters = /^agent\/store\/[^/]+\//;
  // The home's one-agent lock borrows SQLite's file locking whatever the store is.
  const homeLock = "agent/daemon/fileLock.ts";
  const offending = [...sources(join(root, "agent")), ...sources(join(root, "extension"))]
    .filter((file) => !adapters.test(relative(root, file)) && relative(root, file) !== homeLock)
    .flatMap((file) => {
      const text = readFileSync(file, "utf8");
      const driver = /from\s+"(better-sqlite3|pg)"/.test(text) ? ["a database driver"] : [];
      const adapter = imports(file).filter((target) => adapters.test(target) && !relative(root, file).startsWith("agent/store/"));
      return [...driver, ...adapter].map((what) => `${relative(root, file)} imports ${what}`);
    });
  assert.deepEqual(offending, []);
});

test("the daemon imports nothing from the CLI, the MCP server or the extension", () => {
  const offending = sources(join(root, "agent/daemon")).flatMap((file) =>
    imports(file)
      .filter((target) => /^(agent\/(cli|mcp)|extension)\//.test(target))
      .map((target) => `${relative(root, file)} imports ${target}`),
  );
  assert.deepEqual(offending, []);
});

test("the editor features take from the daemon only the type of the services they are handed", () => {
  const offending = sources(join(root, "agent/lsp")).flatMap((file) =>
    importLines(file)
      .filter(({ target, typeOnly }) => target.startsWith("agent/daemon/") && !(typeOnly && target === "agent/daemon/services"))
      .map(({ target }) => `${relative(root, file)} imports ${target}`),
  );
  assert.deepEqual(offending, []);
});

test("the CLI takes from the daemon only running the agent, watching it from outside, and the trigger operations", () => {
  const allowed = new Set([
    // clockwork agent: runs the agent in this process.
    "agent/daemon/main",
    // agent start/stop and status: the lock, the heartbeat's staleness, the grace period.
    "agent/daemon/lock",
    "agent/daemon/heartbeat",
    "agent/daemon/agent",
    // Trigger commands with no agent running do what the agent would.
    "agent/daemon/triggerOps",
    "agent/daemon/webhooks",
    // Backfill with no agent running queues the runs as the agent would.
    "agent/daemon/backfill",
    // A schedules file (register --from-file) is checked by the schema its request has.
    "agent/daemon/requestParams",
  ]);
  const offending = sources(join(root, "agent/cli")).flatMap((file) =>
    imports(file)
      .filter((target) => target.startsWith("agent/daemon/") && !allowed.has(target))
      .map((target) => `${relative(root, file)} imports ${target}`),
  );
  assert.deepEqual(offending, [], "a new edge from the CLI into the daemon: move the shared piece, or name it in ARCHITECTURE.md's Layers");
});
