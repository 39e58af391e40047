// Reading a request body into memory under a size limit and the server-wide
// body budget (core/bodyBudget.ts). With a declared Content-Length the whole
// length is reserved before a byte is read and the body is written into one
// buffer of that size, never copied; a chunked body grows its buffer by
// doubling, reserving each new size before allocating it. Whatever the
// outcome, the caller releases the reservation once its request is done.
import type { IncomingMessage } from "node:http";
import type { BodyBudget } from "../core/bodyBudget";

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; why: "tooLarge" | "overBudget" | "aborted" };

export interface BodyReservation {
  /** Reads the body; resolves once it is complete, refused or the sender went away. */
  read(): Promise<BodyResult>;
  /** Returns the reserved bytes to the budget. Safe to call twice. */
  release(): void;
}

const FIRST_CHUNKED_CAPACITY = 64 * 1024;

export function reserveBody(req: IncomingMessage, limit: number, budget: BodyBudget): BodyReservation {
  const declared = declaredLength(req);
  let reserved = 0;
  let buffer: Buffer | null = null;
  let size = 0;
  const release = () => {
    budget.release(reserved);
    reserved = 0;
    buffer = null;
  };
  /** Makes room for `needed` bytes in all; false when the limit or the budget says no. */
  const grow = (needed: number): BodyResult | null => {
    if (needed > limit) return { ok: false, why: "tooLarge" };
    if (buffer && needed <= buffer.length) return null;
    const capacity = declared ?? Math.min(limit, Math.max(FIRST_CHUNKED_CAPACITY, needed, (buffer?.length ?? 0) * 2));
    if (!budget.tryReserve(capacity)) return { ok: false, why: "overBudget" };
    reserved += capacity;
    const next = Buffer.allocUnsafe(capacity);
    if (buffer) {
      buffer.copy(next, 0, 0, size);
      budget.release(buffer.length);
      reserved -= buffer.length;
    }
    buffer = next;
    return null;
  };

  const read = (): Promise<BodyResult> => {
    // A declared length over the limit or the budget is refused before a byte is read.
    const refused = grow(declared ?? 0);
    if (refused) return Promise.resolve(refused);
    return new Promise((resolve) => {
      const done = (result: BodyResult) => {
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("error", onAborted);
        req.off("close", onClose);
        if (!result.ok) req.pause();
        resolve(result);
      };
      const onData = (chunk: Buffer) => {
        const refusal = grow(size + chunk.length);
        if (refusal) return done(refusal);
        chunk.copy(buffer!, size);
        size += chunk.length;
      };
      const onEnd = () => done({ ok: true, body: buffer ? buffer.subarray(0, size) : Buffer.alloc(0) });
      const onAborted = () => done({ ok: false, why: "aborted" });
      const onClose = () => {
        if (!req.complete) onAborted();
      };
      req.on("data", onData);
      req.on("end", onEnd);
      req.on("error", onAborted);
      req.on("close", onClose);
    });
  };
  return { read, release };
}

function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers["content-length"];
  if (value === undefined) return undefined;
  const length = Number(value);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** How long a refused sender may keep sending before the connection is cut. */
const LINGER_MS = 2000;
/** How much of a refused body is read (and thrown away) to keep the connection usable; past this the reading stops. */
const DISCARD_MAX_BYTES = 1024 * 1024;

/**
 * After answering a request whose body was not read (or not to the end).
 * Closing a socket with unread bytes makes the kernel reset the connection,
 * and many clients (Node's own among them) then lose the answer they were
 * sent; so the connection is kept for LINGER_MS. A small rest is read and
 * thrown away, so that a keep-alive sender can go on using the connection;
 * a large one is not read at all: the sender stalls, reads the answer, and
 * the connection is cut when the time is up. Nothing is ever kept.
 */
export function discardRest(req: IncomingMessage): void {
  if (req.complete) return;
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  const stop = () => clearTimeout(timer);
  socket.once("close", stop);
  req.once("end", () => {
    stop();
    // The sender asked to close after this request; with the body drained,
    // closing now resets nothing.
    if (/\bclose\b/i.test(String(req.headers.connection ?? ""))) socket.end();
  });
  let discarded = 0;
  req.removeAllListeners("data");
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_MAX_BYTES) req.pause();
  });
  req.resume();
}
