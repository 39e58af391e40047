// Bundles the CLI/agent, the VS Code extension and its webviews with esbuild.
// Native and binary-carrying packages stay external: better-sqlite3 ships a
// .node addon and esbuild ships its own executable, so both are resolved from
// node_modules at run time (and packaged into the .vsix next to the bundles).
// pg's optional native binding (pg-native) is never used: pg is pure JS here.
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const watch = process.argv.includes("--watch");
// dist/ is overwritten in place, not deleted first: a CLI or agent started from
// it (a running test, the user's agent) keeps finding its files mid-build.
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  sourcemap: "linked",
  logLevel: "warning",
  legalComments: "none",
  define: { CLOCKWORK_VERSION: JSON.stringify(process.env.npm_package_version ?? readVersion()) },
};

function readVersion() {
  return JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
}

const targets = [
  {
    // The executor (agent/executor/child.ts) is a bundle of its own: the
    // process workflow code runs in loads nothing it does not need. So is
    // the MCP server (agent/mcp/main.ts), which `clockwork mcp` loads only
    // when it runs: the MCP SDK stays out of every other command's start-up.
    // For the same reason the MCP client the mcp step uses
    // (agent/steps/mcp/connection.ts) is loaded by the first run that calls a tool.
    entryPoints: {
      clockwork: join(root, "agent/cli/main.ts"),
      executor: join(root, "agent/executor/child.ts"),
      mcp: join(root, "agent/mcp/main.ts"),
      mcpClient: join(root, "agent/steps/mcp/connection.ts"),
    },
    outdir: dist,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["better-sqlite3", "esbuild", "fsevents", "pg-native"],
  },
];

if (existsSync(join(root, "extension/extension.ts"))) {
  targets.push({
    entryPoints: { extension: join(root, "extension/extension.ts") },
    outdir: dist,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["vscode"],
    minify: true,
  });
}
for (const view of ["cronEditor", "runPanel"]) {
  const entry = join(root, `extension/webviews/${view}/main.ts`);
  if (existsSync(entry)) {
    targets.push({
      entryPoints: { [view]: entry },
      outdir: join(dist, "webviews"),
      platform: "browser",
      target: "es2022",
      format: "iife",
      minify: true,
    });
  }
}

await Promise.all(targets.map((t) => build({ ...common, ...t })));
if (!watch) console.log(`built ${targets.length} bundle(s) into dist/`);
