// How the MCP server reaches the agent: a fresh socket connection for each
// tool call, so an agent that restarts between two calls is simply found
// again, and a call never runs on a connection the agent has dropped.
//
// When no agent answers, one is started the way `clockwork agent start` does
// it (detached, so schedules keep firing after the MCP host closes), unless
// the server was told not to; then the error says how to start one.
import type { Config } from "../config";
import { startDetached } from "../cli/commands/agent";
import { connect, tryConnect, type AgentClient } from "../cli/client";

export interface AgentAccessOptions {
  config: Config;
  /** Start an agent when none answers (default true). */
  startAgent: boolean;
  /** Where to say that an agent was started: MCP hosts show a server's stderr in their logs. */
  log: (line: string) => void;
}

export class AgentAccess {
  /** One start at a time: concurrent tool calls share it instead of racing for the lock. */
  private starting: Promise<void> | null = null;

  constructor(private readonly options: AgentAccessOptions) {}

  /** Runs `use` on a connection of its own, closed afterwards whatever happens. */
  async with<T>(use: (client: AgentClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await use(client);
    } finally {
      client.close();
    }
  }

  private async connect(): Promise<AgentClient> {
    const { config } = this.options;
    if (!this.options.startAgent) return connect(config);
    const client = await tryConnect(config);
    if (client) return client;
    this.starting ??= this.start().finally(() => (this.starting = null));
    await this.starting;
    return connect(config);
  }

  private async start(): Promise<void> {
    const { config, log } = this.options;
    try {
      const started = await startDetached(config);
      log(`started the Clockwork agent for ${config.home} (pid ${started.pid}); it keeps running after this server exits`);
    } catch (error) {
      // Another process (a second MCP server, the editor) may have started
      // one in the meantime: that agent is as good as ours.
      const other = await tryConnect(config);
      if (!other) throw error;
      other.close();
    }
  }
}
