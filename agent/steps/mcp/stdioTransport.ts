// MCP over a server process's standard input and output, with the server
// leading a process group of its own. The SDK's StdioClientTransport starts
// the server in the agent's group, so ending it could not reach what the
// server starts in turn (`npx` runs the real server as its child), and a
// crash of the agent could not be cleaned up by group; this transport speaks
// the same framing (one JSON-RPC message per line) over a detached child,
// and ends the whole group when it closes.
import { spawn, type ChildProcess } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** How long a server gets between SIGTERM and SIGKILL (as shell steps' groups). */
const KILL_GRACE_MS = 2000;
/** One message larger than this ends the session: a runaway server must not exhaust the agent's memory. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
const STDERR_TAIL_CHARS = 4000;

export interface StdioServer {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export interface StdioHooks {
  /** The server's process started; `pid` leads its group. */
  started(pid: number): void;
  stderr(text: string): void;
}

export class GroupStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | undefined;
  private startedPid: number | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private stderrText = "";
  private readonly decoder = new StringDecoder("utf8");
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Why the transport ended the session itself (a message too large). */
  private failure: string | undefined;
  private closed: Promise<void> = Promise.resolve();

  constructor(
    private readonly server: StdioServer,
    private readonly hooks: StdioHooks,
  ) {}

  /** The server's pid (the id of its group), kept after it has exited. */
  get pid(): number | undefined {
    return this.startedPid;
  }

  /** The last lines the server wrote on stderr. */
  get stderrTail(): string {
    return this.stderrText.trimEnd();
  }

  /** How the server ended, once it has: "exited with code 1", "was killed by SIGKILL", or the transport's own reason. */
  get ending(): string | undefined {
    if (this.failure) return this.failure;
    if (!this.exitInfo) return undefined;
    const { code, signal } = this.exitInfo;
    return code === null ? `was killed by ${signal}` : `exited with code ${code}`;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const { command, args, env, cwd } = this.server;
      const child = spawn(command, args, { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
      this.child = child;
      this.closed = new Promise((done) => child.once("close", () => done()));
      child.once("spawn", () => {
        this.startedPid = child.pid;
        if (child.pid !== undefined) this.hooks.started(child.pid);
        resolve();
      });
      child.once("error", reject);
      child.on("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        // What the leader started may still hold the pipes open.
        this.signalGroup("SIGKILL");
      });
      child.once("close", () => {
        this.child = undefined;
        this.onclose?.();
      });
      child.stdin!.on("error", () => undefined); // EPIPE once the server is gone; its exit says why.
      child.stdout!.on("data", (chunk: Buffer) => this.read(chunk));
      child.stderr!.on("data", (chunk: Buffer) => {
        const text = this.decoder.write(chunk);
        if (!text) return;
        this.stderrText = (this.stderrText + text).slice(-STDERR_TAIL_CHARS);
        this.hooks.stderr(text);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) return Promise.reject(new Error("the MCP server is not running"));
    return new Promise((resolve, reject) => stdin.write(`${JSON.stringify(message)}\n`, (error) => (error ? reject(error) : resolve())));
  }

  /** Ends the server and everything in its group: SIGTERM, then SIGKILL after a grace period. */
  async close(): Promise<void> {
    const child = this.child;
    if (child) {
      child.stdin?.end();
      this.signalGroup("SIGTERM");
      const kill = setTimeout(() => this.signalGroup("SIGKILL"), KILL_GRACE_MS);
      await this.closed;
      clearTimeout(kill);
    }
    this.pending = [];
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  /** Splits stdout into lines, one message each; the parts of an unfinished line are kept, not copied, until it ends. */
  private read(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
      const line = Buffer.concat([...this.pending, chunk.subarray(start, newline)]).toString("utf8");
      this.pending = [];
      this.pendingBytes = 0;
      this.deliver(line);
      start = newline + 1;
    }
    if (start >= chunk.length) return;
    this.pending.push(chunk.subarray(start));
    this.pendingBytes += chunk.length - start;
    if (this.pendingBytes > MAX_MESSAGE_BYTES && !this.failure) {
      this.failure = `sent a message larger than ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB, so its session was ended`;
      this.pending = [];
      void this.close();
    }
  }

  private deliver(line: string): void {
    const text = line.replace(/\r$/, "");
    if (text.trim() === "") return;
    let message: JSONRPCMessage;
    try {
      message = JSONRPCMessageSchema.parse(JSON.parse(text));
    } catch {
      this.onerror?.(new Error(`the server wrote a line on stdout that is not an MCP message (ignored): ${text.slice(0, 200)}`));
      return;
    }
    this.onmessage?.(message);
  }
}
