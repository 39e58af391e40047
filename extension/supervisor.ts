// Keeps one live connection to the agent for as long as the extension runs:
// connects when an agent answers, starts one when none does (if allowed),
// and reconnects by itself when the agent restarts. Every decision about
// starting an agent is made here, in one place, with the IO injected so the
// rules are tested without processes or VS Code.
//
// The rules, chosen so that a window never fights the user or floods them:
// - On activation with `clockwork.agent.autoStart`, start an agent if none
//   answers.
// - When the connection drops because the agent was asked to stop (it said
//   `stopping`, or the user ran Stop Agent here), do not start another one.
// - When the agent died without being asked (a crash), start it again, but
//   at most three times in five minutes.
// - When starting fails, say so once (status bar; one notification) and do
//   not retry until the user asks; keep looking for an agent started
//   elsewhere (the CLI, another window) and connect to it when it appears.

export type SupervisorState =
  | { kind: "connecting" }
  | { kind: "starting" }
  | { kind: "connected" }
  | { kind: "stopped"; reason: string }
  | { kind: "error"; message: string };

export interface Session {
  /** Resolves when the connection is gone; `deliberate` when the agent was stopping. */
  readonly closed: Promise<{ deliberate: boolean }>;
}

export interface SupervisorDeps {
  /** Whether an agent answers on the socket. */
  probe(): Promise<boolean>;
  /** Opens the LSP connection; rejects when the handshake fails. */
  connect(): Promise<Session>;
  /** Starts an agent and resolves once it answers; rejects with a readable message. */
  spawn(): Promise<void>;
  autoStart(): boolean;
  now(): number;
  /** Waits `ms`, or less when `wake` fires. */
  sleep(ms: number, wake: Promise<void>): Promise<void>;
  onState(state: SupervisorState): void;
  /** Called once per failed start (the caller shows one notification). */
  onSpawnFailed(message: string, requestedByUser: boolean): void;
}

/** How often to look for an agent while none answers. */
export const POLL_MS = 2000;
export const CRASH_RESTARTS = 3;
export const CRASH_WINDOW_MS = 5 * 60_000;

export class Supervisor {
  private disposed = false;
  private startRequested = false;
  private userStopped = false;
  private spawnFailed = false;
  private lastClose: { deliberate: boolean } | null = null;
  private readonly restarts: number[] = [];
  private wakeUp: () => void = () => {};
  private state: SupervisorState = { kind: "connecting" };
  private running: Promise<void> | undefined;
  /** True until the first decision, and again after reset(). */
  private fresh = true;

  constructor(private readonly deps: SupervisorDeps) {}

  get current(): SupervisorState {
    return this.state;
  }

  start(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** The user asked for an agent: start one now, even after a failure or a stop. */
  requestStart(): void {
    this.startRequested = true;
    this.userStopped = false;
    this.spawnFailed = false;
    this.wakeUp();
  }

  /** The user stopped the agent from this window: do not start it again by ourselves. */
  markUserStopped(): void {
    this.userStopped = true;
  }

  /**
   * Start over as on activation (the agent's home changed): forget stops and
   * failures, so the next decision may auto-start an agent for the new home.
   */
  reset(): void {
    this.fresh = true;
    this.userStopped = false;
    this.spawnFailed = false;
    this.lastClose = null;
    this.restarts.length = 0;
    this.wakeUp();
  }

  /** Look again now (settings changed, a command is waiting). */
  poke(): void {
    this.wakeUp();
  }

  dispose(): void {
    this.disposed = true;
    this.wakeUp();
  }

  private set(state: SupervisorState): void {
    if (this.disposed) return;
    const same =
      state.kind === this.state.kind &&
      JSON.stringify(state) === JSON.stringify(this.state);
    this.state = state;
    if (!same) this.deps.onState(state);
  }

  private async loop(): Promise<void> {
    while (!this.disposed) {
      if (await this.deps.probe()) {
        if (this.disposed) return;
        let session: Session;
        try {
          session = await this.deps.connect();
        } catch (error) {
          this.set({ kind: "error", message: `could not talk to the agent: ${messageOf(error)}` });
          await this.pause();
          continue;
        }
        this.spawnFailed = false;
        this.fresh = false;
        this.set({ kind: "connected" });
        const closed = await session.closed;
        this.set({ kind: "connecting" });
        // After reset() the old connection was closed on purpose: start over.
        if (this.fresh) continue;
        this.lastClose = closed;
        if (!closed.deliberate && !this.userStopped) this.restarts.push(this.deps.now());
        continue;
      }
      if (this.disposed) return;
      const decision = this.decide(this.fresh);
      this.fresh = false;
      if (decision.spawn) {
        const byUser = decision.byUser;
        this.set({ kind: "starting" });
        try {
          await this.deps.spawn();
          continue;
        } catch (error) {
          this.spawnFailed = true;
          const message = `could not start the agent: ${messageOf(error)}`;
          this.set({ kind: "error", message });
          this.deps.onSpawnFailed(message, byUser);
        }
      } else if (!(this.state.kind === "error" && this.spawnFailed)) {
        this.set({ kind: "stopped", reason: decision.reason });
      }
      await this.pause();
    }
  }

  private decide(first: boolean): { spawn: true; byUser: boolean } | { spawn: false; reason: string } {
    if (this.startRequested) {
      this.startRequested = false;
      return { spawn: true, byUser: true };
    }
    if (!this.deps.autoStart()) return { spawn: false, reason: "Automatic start is off (clockwork.agent.autoStart)." };
    if (this.userStopped) return { spawn: false, reason: "It was stopped from VS Code." };
    if (this.spawnFailed) return { spawn: false, reason: "Starting it failed." };
    if (first) return { spawn: true, byUser: false };
    if (this.lastClose?.deliberate) return { spawn: false, reason: "It was stopped." };
    const now = this.deps.now();
    const recent = this.restarts.filter((t) => now - t < CRASH_WINDOW_MS);
    this.restarts.splice(0, this.restarts.length, ...recent);
    if (recent.length > CRASH_RESTARTS) {
      return { spawn: false, reason: `It stopped unexpectedly ${recent.length} times within five minutes, so it is not restarted automatically.` };
    }
    return { spawn: true, byUser: false };
  }

  private pause(): Promise<void> {
    const wake = new Promise<void>((resolve) => (this.wakeUp = resolve));
    return this.deps.sleep(POLL_MS, wake);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
