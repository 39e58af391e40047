// Runs a compiled workflow bundle as a module and maps its errors back to
// the workflow's own source. This is the part of loading that executes user
// code, so only executor processes (agent/executor/child.ts) call
// evaluateBundle; nothing here starts esbuild or touches the store.
import Module, { SourceMap } from "node:module";
import { dirname, resolve } from "node:path";
import * as sdk from "../sdk";

export interface SourcePosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** The module the loader hands to `import … from "clockwork"`. */
const SDK_MODULE = Object.freeze({ ...sdk, default: sdk, __esModule: true });

/** Runs bundled code as the module of `file`; `require("clockwork")` gets the SDK. */
export function evaluateBundle(file: string, code: string): unknown {
  type InternalModule = Module & {
    _compile(code: string, filename: string): void;
    paths: string[];
    filename: string;
  };
  const ModuleClass = Module as unknown as {
    new (id: string, parent?: Module): InternalModule;
    _nodeModulePaths(dir: string): string[];
  };
  const mod = new ModuleClass(file);
  mod.filename = file;
  mod.paths = ModuleClass._nodeModulePaths(dirname(file));
  const requireFromWorkflow = mod.require.bind(mod);
  mod.require = ((id: string) => (id === "clockwork" ? SDK_MODULE : requireFromWorkflow(id))) as typeof mod.require;
  mod._compile(code, file);
  return mod.exports;
}

/**
 * Maps positions in the bundle back to the workflow's own files. The map is
 * parsed on first use: most runs never throw, and parsing it was a large
 * part of what evaluating a small workflow cost.
 */
export class BundleMap {
  private parsed: SourceMap | undefined;
  private readonly sourcesRoot: string;

  constructor(
    readonly file: string,
    private readonly mapJson: string,
  ) {
    this.sourcesRoot = dirname(file);
  }

  private get map(): SourceMap {
    this.parsed ??= new SourceMap(JSON.parse(this.mapJson) as ConstructorParameters<typeof SourceMap>[0]);
    return this.parsed;
  }

  /** The original position of a 1-based bundle position. */
  original(line: number, column: number): SourcePosition | undefined {
    const entry = this.map.findEntry(line - 1, column - 1) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
    };
    if (entry.originalSource === undefined || entry.originalLine === undefined) return undefined;
    const source = entry.originalSource.startsWith("file://")
      ? new URL(entry.originalSource).pathname
      : resolve(this.sourcesRoot, entry.originalSource);
    return {
      file: source.endsWith("<stdin>") ? this.file : source,
      line: entry.originalLine + 1,
      column: (entry.originalColumn ?? 0) + 1,
    };
  }

  /** The first frame of `error`'s stack inside the workflow's code, in original positions. */
  locate(error: unknown): SourcePosition | undefined {
    const stack = error instanceof Error ? error.stack : undefined;
    if (!stack) return undefined;
    for (const match of stack.matchAll(framePattern(this.file))) {
      const position = this.original(Number(match[1]), Number(match[2]));
      if (position) return position;
    }
    return undefined;
  }

  /** `error`'s stack with bundle positions rewritten to the original files. */
  rewriteStack(stack: string): string {
    return stack.replace(framePattern(this.file), (whole, line: string, column: string) => {
      const position = this.original(Number(line), Number(column));
      return position ? `${position.file}:${position.line}:${position.column}` : whole;
    });
  }
}

function framePattern(file: string): RegExp {
  return new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+):(\\d+)`, "g");
}
