// Messages between a webview and the extension host. Pure and shared by both
// sides of every webview, in the way vscode-pull-request-github does it:
//
// - the webview posts `ready` once its script runs; the host posts nothing
//   before that (messages posted earlier would be lost);
// - the host then posts `init` with everything the page needs;
// - the webview asks the host through `request` messages carrying an id,
//   and the host answers each with a `reply` carrying the same id;
// - the host pushes live changes as `event` messages.

export type WebviewToHost<Req> = { type: "ready" } | { type: "request"; id: number; request: Req };

export type HostToWebview<Init, Event> =
  | { type: "init"; init: Init }
  | { type: "reply"; id: number; ok: true; result: unknown }
  | { type: "reply"; id: number; ok: false; error: string }
  | { type: "event"; event: Event };

/**
 * The webview's side of request/reply: `request` posts and returns a
 * promise that `receive` settles when the matching reply arrives. Replies to
 * unknown ids (a reloaded page, a duplicate) are ignored.
 */
export class HostClient<Req> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly post: (message: WebviewToHost<Req>) => void) {}

  ready(): void {
    this.post({ type: "ready" });
  }

  request<T>(request: Req): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ type: "request", id, request });
    });
  }

  /** Feeds a message from the host; returns true when it was a reply. */
  receive(message: HostToWebview<unknown, unknown>): boolean {
    if (message.type !== "reply") return false;
    const waiter = this.pending.get(message.id);
    if (!waiter) return true;
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(message.error));
    return true;
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}

/**
 * The host's side: turns one `request` message into its `reply` by calling
 * `handle`. A thrown error becomes an `ok: false` reply with its message, so
 * the page can show it where the user acted.
 */
export async function answer<Req, Init, Event>(
  message: WebviewToHost<Req>,
  handle: (request: Req) => Promise<unknown>,
): Promise<HostToWebview<Init, Event> | undefined> {
  if (message.type !== "request") return undefined;
  try {
    const result = await handle(message.request);
    return { type: "reply", id: message.id, ok: true, result: result ?? null };
  } catch (error) {
    return { type: "reply", id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
