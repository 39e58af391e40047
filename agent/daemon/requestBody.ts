// Reading a request body into memory under a size limit and the server-wide
// body budget (core/bodyBudget.ts). With a declared Content-Length the whole
// length is reserved before a byte is read; a chunked body reserves each
// chunk as it arrives. The chunks are kept as they came, never copied: the
// signature is computed over them, and only a body that passed is joined
// into one buffer. Whatever the outcome, the caller releases the reservation
// once its request is done.
import type { IncomingMessage } from "node:http";
import type { BodyBudget } from "../core/bodyBudget";

export type BodyResult =
  | { ok: true; chunks: Buffer[]; size: number }
  | { ok: false; why: "tooLarge" | "overBudget" | "aborted" };

export interface BodyReservation {
  /** Reads the body; resolves once it is complete, refused or the sender went away. */
  read(): Promise<BodyResult>;
  /** Returns the reserved bytes to the budget. Safe to call twice. */
  release(): void;
}

export function reserveBody(req: IncomingMessage, limit: number, budget: BodyBudget): BodyReservation {
  const declared = declaredLength(req);
  let reserved = 0;
  const reserve = (bytes: number): boolean => {
    if (!budget.tryReserve(bytes)) return false;
    reserved += bytes;
    return true;
  };
  const release = () => {
    budget.release(reserved);
    reserved = 0;
  };

  const read = (): Promise<BodyResult> => {
    // A declared length over the limit or the budget is refused before a byte is read.
    if (declared !== undefined && declared > limit) return Promise.resolve({ ok: false, why: "tooLarge" });
    if (declared !== undefined && !reserve(declared)) return Promise.resolve({ ok: false, why: "overBudget" });
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (result: BodyResult) => {
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("error", onAborted);
        req.off("close", onClose);
        if (!result.ok) {
          chunks.length = 0;
          req.pause();
        }
        resolve(result);
      };
      const onData = (chunk: Buffer) => {
        if (size + chunk.length > limit) return done({ ok: false, why: "tooLarge" });
        if (declared === undefined && !reserve(chunk.length)) return done({ ok: false, why: "overBudget" });
        chunks.push(chunk);
        size += chunk.length;
      };
      const onEnd = () => done({ ok: true, chunks, size });
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
