// Loads the MCP client bundle (dist/mcpClient.js, built from ./connection.ts)
// the first time a run needs it, so that the SDK costs nothing to the many
// commands and runs that never call a tool.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type * as Connection from "./connection";

let loaded: typeof Connection | undefined;

export function mcpClient(): typeof Connection {
  if (loaded) return loaded;
  // Beside the running bundle; from the sources (tests), in the built dist/.
  const candidates = [join(__dirname, "mcpClient.js"), join(__dirname, "..", "..", "..", "dist", "mcpClient.js")];
  const bundle = candidates.find((file) => existsSync(file));
  if (!bundle) throw new Error(`the MCP client bundle is missing (looked for ${candidates.join(", ")}); build it with \`npm run build\``);
  loaded = require(bundle) as typeof Connection;
  return loaded;
}
