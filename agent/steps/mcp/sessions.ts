// The MCP sessions of one run: one per server, opened by the first step
// that calls it, shared by the run's later steps, all closed when the run
// ends, is cancelled or times out. A stdio server's process group is
// recorded with the run while it lives, so that recovery after a crash ends
// it even when it was idle between two steps.
import { VERSION } from "../../config";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { StepLog } from "../types";
import type { McpConnection } from "./connection";
import { mcpClient } from "./loadClient";
import type { ResolvedServer } from "./resolveServer";

export interface RunProcessHooks {
  /** A server's process group started: record it with the run. */
  started(pid: number): void;
  /** It has ended: forget it. */
  ended(pid: number): void;
}

/** One server's session, used by one step at a time (a run's steps run in order). */
export class McpSession {
  private toolList: Tool[] | undefined;
  /** The log of the step using the session now: the server's stderr and notes go there. */
  log: StepLog | undefined;

  constructor(
    readonly server: ResolvedServer,
    readonly connection: McpConnection,
  ) {}

  /** The server's tools, asked for once per session. */
  async tools(signal: AbortSignal, timeoutMs: number): Promise<Tool[]> {
    this.toolList ??= await this.connection.listTools(signal, timeoutMs);
    return this.toolList;
  }
}

export class McpSessions {
  private readonly open = new Map<string, Promise<McpSession>>();
  private closing = false;

  constructor(private readonly processes: RunProcessHooks) {}

  /**
   * The run's session with `server`, opened (server started, handshake done)
   * on first use; a session whose server has since gone is replaced.
   * `fresh` says whether this call opened it.
   */
  async session(server: ResolvedServer, log: StepLog, signal: AbortSignal, timeoutMs: number): Promise<{ session: McpSession; fresh: boolean }> {
    if (this.closing) throw new Error("the run is ending");
    const known = this.open.get(server.key);
    const existing = known ? await known.catch(() => undefined) : undefined;
    if (existing && existing.connection.ending() === undefined) {
      existing.log = log;
      return { session: existing, fresh: false };
    }
    if (existing) {
      log.info(`the ${server.label} ${existing.connection.ending()} since an earlier step used it; starting it again`);
      await this.discard(existing);
    }
    const holder: { session?: McpSession } = {};
    const opening = this.connect(server, holder, log, signal, timeoutMs);
    this.open.set(server.key, opening);
    try {
      return { session: await opening, fresh: true };
    } catch (error) {
      if (this.open.get(server.key) === opening) this.open.delete(server.key);
      throw error;
    }
  }

  /** Ends one session (its server's whole group, for stdio), e.g. after a call timed out. */
  async discard(session: McpSession): Promise<void> {
    const current = this.open.get(session.server.key);
    if (current && (await current.catch(() => undefined)) === session) this.open.delete(session.server.key);
    await session.connection.close();
  }

  /** Ends every session of the run; called once, when it finishes. */
  async closeAll(): Promise<void> {
    this.closing = true;
    const sessions = [...this.open.values()];
    this.open.clear();
    await Promise.all(sessions.map(async (opening) => (await opening.catch(() => undefined))?.connection.close()));
  }

  private async connect(server: ResolvedServer, holder: { session?: McpSession }, log: StepLog, signal: AbortSignal, timeoutMs: number): Promise<McpSession> {
    // Until the session exists, its output goes to the step opening it.
    const logOf = () => holder.session?.log ?? log;
    const connection = await mcpClient().openMcpConnection({
      target: server.target,
      clientVersion: VERSION,
      signal,
      // The step's own timer (and its message) must win over the SDK's.
      timeoutMs: timeoutMs + 1000,
      hooks: {
        started: (pid) => this.processes.started(pid),
        ended: (pid) => this.processes.ended(pid),
        stderr: (text) => logOf().stderr(text),
        note: (text) => logOf().info(text),
      },
    });
    holder.session = new McpSession(server, connection);
    holder.session.log = log;
    return holder.session;
  }
}
