// Errors a user can act on. `code` maps onto the protocol's JSON-RPC error
// codes so the same failure reads the same in the CLI, over the socket and
// in the editor.

// ---- error codes carried by JSON-RPC errors ----
export const ErrorCodes = {
  /** Unknown trigger name, run id or file. */
  NotFound: -32001,
  /** Bad cron, zone, option, or a workflow that does not load. */
  Invalid: -32002,
  /** Duplicate name, ambiguous run id prefix. */
  Conflict: -32003,
} as const;

export type ErrorKind = keyof typeof ErrorCodes;

export class ClockworkError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "ClockworkError";
  }

  get code(): number {
    return ErrorCodes[this.kind];
  }
}

export const notFound = (message: string) => new ClockworkError("NotFound", message);
export const invalid = (message: string) => new ClockworkError("Invalid", message);
export const conflict = (message: string) => new ClockworkError("Conflict", message);

/** A message for any thrown value, without stack traces. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
