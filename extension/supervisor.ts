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
//   `stopping`: Stop Agent here, `clockwork agent stop` anywhere, a SIGTERM),
//   do not start another one until the user asks or the window reloads.
// - When the agent died without being asked (a crash), start it again, but
//   make at most three automatic starts a minute: a crash loop ends in the
//   error state instead.
// - When starting fails or a crash loop is stopped, say so once (status bar;
//   one notification) and do not retry until the user asks; keep looking for
//   an agent started elsewhere (the CLI, another window) and connect to it
//   when it appears.

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
  /**
   * Called on entering the error state: a start failed, or a crash loop was
   * stopped (the caller shows one notification).
   */
  onError(message: string, requestedByUser: boolean): void;
}

/** How often to look for an agent while none answers. */
export const POLL_MS = 2000;
/** At most this many automatic starts within AUTO_START_WINDOW_MS. */
export const AUTO_STARTS = 3;
export const AUTO_START_WINDOW_MS = 60_000;

export class Supervisor {
  private disposed = false;
  private startRequested = false;
  private userStopped = false;
  /** Starting failed or a crash loop was stopped: no automatic start until the user asks. */
  private failed = false;
  private lastClose: { deliberate: boolean } | null = null;
  /** When this window started an agent by itself, for the crash-loop limit. */
  private readonly autoStarts: number[] = [];
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
    this.failed = false;
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
    this.failed = false;
    this.lastClose = null;
    this.autoStarts.length = 0;
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
        await this.session();
        continue;
      }
      if (this.disposed) return;
      const decision = this.decide(this.fresh);
      this.fresh = false;
      if (decision.kind === "spawn") {
        if (await this.spawn(decision.byUser)) continue;
      } else if (decision.kind === "error") {
        this.fail(decision.message, false);
      } else if (!(this.state.kind === "error" && this.failed)) {
        this.set({ kind: "stopped", reason: decision.reason });
      }
      await this.pause();
    }
  }

  /** Connects to the agent that answers and stays until the connection closes. */
  private async session(): Promise<void> {
    let session: Session;
    try {
      session = await this.deps.connect();
    } catch (error) {
      this.set({ kind: "error", message: `could not talk to the agent: ${messageOf(error)}` });
      await this.pause();
      return;
    }
    this.failed = false;
    this.fresh = false;
    this.set({ kind: "connected" });
    const closed = await session.closed;
    this.set({ kind: "connecting" });
    // After reset() the old connection was closed on purpose: start over.
    if (!this.fresh) this.lastClose = closed;
  }

  /** Starts an agent; true once it answers. */
  private async spawn(byUser: boolean): Promise<boolean> {
    if (!byUser) this.autoStarts.push(this.deps.now());
    this.set({ kind: "starting" });
    try {
      await this.deps.spawn();
      return true;
    } catch (error) {
      this.fail(`could not start the agent: ${messageOf(error)}`, byUser);
      return false;
    }
  }

  private fail(message: string, byUser: boolean): void {
    this.failed = true;
    this.set({ kind: "error", message });
    this.deps.onError(message, byUser);
  }

  private decide(
    first: boolean,
  ): { kind: "spawn"; byUser: boolean } | { kind: "stopped"; reason: string } | { kind: "error"; message: string } {
    if (this.startRequested) {
      this.startRequested = false;
      return { kind: "spawn", byUser: true };
    }
    if (!this.deps.autoStart()) return { kind: "stopped", reason: "Automatic start is off (clockwork.agent.autoStart)." };
    if (this.userStopped) return { kind: "stopped", reason: "It was stopped from VS Code." };
    if (this.failed) return { kind: "stopped", reason: "Starting it failed." };
    if (first) return { kind: "spawn", byUser: false };
    if (this.lastClose?.deliberate) return { kind: "stopped", reason: "It was stopped; it stays stopped until you start it." };
    const now = this.deps.now();
    const recent = this.autoStarts.filter((t) => now - t < AUTO_START_WINDOW_MS);
    this.autoStarts.splice(0, this.autoStarts.length, ...recent);
    if (recent.length >= AUTO_STARTS) {
      return {
        kind: "error",
        message: `the agent stopped unexpectedly again after ${recent.length} automatic starts within a minute, so it is not started again automatically; see the agent log`,
      };
    }
    return { kind: "spawn", byUser: false };
  }

  private pause(): Promise<void> {
    const wake = new Promise<void>((resolve) => (this.wakeUp = resolve));
    return this.deps.sleep(POLL_MS, wake);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
