// Which workflow files a tool call may name. Relative paths start at the
// server's folder (--cwd). Over HTTP, files must also lie inside that folder:
// the API token then lets a caller run what the folder holds, never a file
// dropped anywhere else on the machine (in /tmp, say) by someone who has
// the token but not the owner's account. Over stdio the caller is the
// owner's own process, so any path goes, as in the CLI.
import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { invalid } from "../errors";

export interface WorkflowFiles {
  /** The absolute path the agent is given; throws Invalid for a file outside a confined folder. */
  resolve(file: string): string;
}

export function workflowFiles(folder: string, confined: boolean): WorkflowFiles {
  return {
    resolve(file) {
      const path = isAbsolute(file) ? file : resolve(folder, file);
      if (confined && !inside(real(path), real(folder))) {
        throw invalid(`${path} is outside ${folder}: over HTTP, clockwork mcp takes only workflow files inside the folder it serves (--cwd)`);
      }
      return path;
    },
  };
}

/** The path with symbolic links resolved, so a link cannot lead out; a file that does not exist yet is taken as written. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function inside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}
