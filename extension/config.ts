// The extension's settings (client side only: where the agent lives and how
// to start it). The agent itself is configured by its environment.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import * as vscode from "vscode";
import { loadConfig } from "../agent/config";
import type { BackgroundRunsSetting } from "./runNotices";

export interface ClientConfig {
  home: string;
  socketPath: string;
  logFile: string;
  lockFile: string;
  autoStart: boolean;
  nodePath: string;
  /** Which background runs get a notification. */
  backgroundRuns: BackgroundRunsSetting;
}

/**
 * Reads `clockwork.*`. Paths come from the agent's own configuration rule
 * (CLOCKWORK_HOME, else ~/.clockwork), with the `clockwork.home` setting
 * taking precedence, so the extension, the CLI in a terminal and the agent
 * meet at one socket.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const cfg = vscode.workspace.getConfiguration("clockwork");
  const configured = cfg.get<string>("home")?.trim();
  const agent = loadConfig(env, configured ? { home: resolve(expandHome(configured)) } : {});
  return {
    home: agent.home,
    socketPath: agent.socketPath,
    logFile: agent.logFile,
    lockFile: agent.lockFile,
    autoStart: cfg.get<boolean>("agent.autoStart", true),
    nodePath: cfg.get<string>("agent.nodePath")?.trim() || "node",
    backgroundRuns: cfg.get<BackgroundRunsSetting>("notifications.backgroundRuns", "failures"),
  };
}

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
}
