// Turns a workflow file into one CommonJS script with a source map: esbuild
// bundles the file and its local imports, leaving "clockwork" (the SDK the
// executor hands over, see evaluate.ts) and bare npm imports external, so
// nothing needs installing next to the workflow. Bundling never runs the
// workflow's code, so the agent does it itself.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { VERSION } from "../config";
import type { SourcePosition } from "./evaluate";

export interface CompileProblem extends SourcePosition {
  message: string;
  severity: "error" | "warning";
}

export interface Compiled {
  code: string;
  map: string;
  /** Every local file the bundle was built from. */
  inputs: string[];
  warnings: CompileProblem[];
}

type EsbuildModule = typeof import("esbuild");
let esbuildModule: EsbuildModule | undefined;
// esbuild starts a helper process on first use; only pay for it when a
// workflow actually needs bundling (the cache usually answers first).
function esbuild(): EsbuildModule {
  esbuildModule ??= require("esbuild") as EsbuildModule;
  return esbuildModule;
}

/** Bundles `file` (or `source` standing in for its contents). Throws CompileErrors on syntax errors. */
export async function bundleWorkflow(file: string, source?: string): Promise<Compiled> {
  const dir = dirname(file);
  const loader = /\.(m|c)?js$/.test(file) ? "js" : "ts";
  let result;
  try {
    result = await esbuild().build({
      ...(source === undefined
        ? { entryPoints: [file] }
        : { stdin: { contents: source, sourcefile: file, resolveDir: dir, loader } }),
      absWorkingDir: dir,
      outfile: join(dir, `${basename(file)}.bundle.js`),
      bundle: true,
      write: false,
      format: "cjs",
      platform: "node",
      target: "node20",
      sourcemap: "external",
      sourcesContent: false,
      metafile: true,
      logLevel: "silent",
      packages: "external",
      // import.meta has no CommonJS equivalent; give workflows the values they expect.
      define: {
        "import.meta.url": "__clockwork_meta.url",
        "import.meta.filename": "__clockwork_meta.filename",
        "import.meta.dirname": "__clockwork_meta.dirname",
      },
      banner: {
        js: 'var __clockwork_meta = { url: require("node:url").pathToFileURL(__filename).href, filename: __filename, dirname: __dirname };',
      },
      plugins: [
        {
          name: "clockwork-sdk",
          setup(build) {
            // Before tsconfig paths or node_modules: "clockwork" is always the built-in SDK.
            build.onResolve({ filter: /^clockwork$/ }, () => ({ path: "clockwork", external: true }));
          },
        },
      ],
    });
  } catch (error) {
    throw CompileErrors.from(error, file, source);
  }
  const js = result.outputFiles.find((f) => f.path.endsWith(".js"))!;
  const map = result.outputFiles.find((f) => f.path.endsWith(".map"))!;
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes(":"))
    .map((input) => (input === "<stdin>" ? file : resolve(dir, input)));
  const warnings = result.warnings.map((w) => toProblem(w, file, source, "warning"));
  return { code: js.text, map: map.text, inputs, warnings };
}

/** One or more build errors with positions. */
export class CompileErrors extends Error {
  constructor(readonly problems: CompileProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join("\n"));
    this.name = "CompileErrors";
  }

  static from(error: unknown, file: string, source?: string): CompileErrors | Error {
    const errors = (error as { errors?: EsbuildMessage[] })?.errors;
    if (!Array.isArray(errors) || errors.length === 0) return error instanceof Error ? error : new Error(String(error));
    return new CompileErrors(errors.map((e) => toProblem(e, file, source, "error")));
  }
}

interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number; lineText: string } | null;
}

/** esbuild's wording where it speaks of its own settings rather than of the workflow file. */
function explain(text: string): string {
  if (/^Top-level await is currently not supported/.test(text)) {
    return 'top-level await is not supported in workflow files (they load as CommonJS): move the awaited work into a step, e.g. code("load", async () => …)';
  }
  return text;
}

function toProblem(message: EsbuildMessage, file: string, source: string | undefined, severity: "error" | "warning"): CompileProblem {
  message = { ...message, text: explain(message.text) };
  const loc = message.location;
  if (!loc) return { file, line: 1, column: 1, message: message.text, severity };
  // esbuild counts columns in bytes; editors and people count characters.
  const column = Buffer.from(loc.lineText).subarray(0, loc.column).toString().length + 1;
  const where = loc.file === "<stdin>" || (source !== undefined && loc.file === basename(file)) ? file : resolve(dirname(file), loc.file);
  return { file: where, line: loc.line, column, message: message.text, severity };
}

interface CacheEntry {
  version: string;
  file: string;
  inputs: Array<{ path: string; hash: string }>;
  code: string;
  map: string;
}

const hashOf = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/**
 * A cache of bundles in `dir`, keyed by workflow path and checked against
 * the content of every input file, so a run of an unchanged workflow skips
 * esbuild (and the helper process it starts) entirely.
 */
export class BundleCache {
  constructor(private readonly dir: string) {}

  private entryPath(file: string): string {
    return join(this.dir, `${hashOf(file).slice(0, 24)}.json`);
  }

  get(file: string): Compiled | undefined {
    let entry: CacheEntry;
    try {
      entry = JSON.parse(readFileSync(this.entryPath(file), "utf8")) as CacheEntry;
    } catch {
      return undefined;
    }
    if (entry.version !== VERSION || entry.file !== file) return undefined;
    for (const input of entry.inputs) {
      try {
        if (hashOf(readFileSync(input.path)) !== input.hash) return undefined;
      } catch {
        return undefined;
      }
    }
    return { code: entry.code, map: entry.map, inputs: entry.inputs.map((i) => i.path), warnings: [] };
  }

  /** `source` is the entry file's content as it was bundled. */
  set(file: string, source: string, compiled: Compiled): void {
    try {
      const inputs = compiled.inputs.map((path) => ({ path, hash: hashOf(path === file ? source : readFileSync(path)) }));
      const entry: CacheEntry = { version: VERSION, file, inputs, code: compiled.code, map: compiled.map };
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const target = this.entryPath(file);
      const temp = `${target}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(entry), { mode: 0o600 });
      renameSync(temp, target);
    } catch {
      // A cache that cannot be written only costs speed.
    }
  }
}
