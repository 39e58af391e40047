// How many bytes of request bodies the HTTP server may hold at once, across
// all requests. Every body reserves its bytes before it is read (its declared
// length, or each growth of its buffer when it is sent chunked) and releases
// them when its request is done; a reservation that does not fit is refused
// and its request answered 503 with Retry-After, so that many large bodies
// at once cannot exhaust the agent's memory, whatever their signatures turn
// out to be. Pure bookkeeping: no IO.

/** The default budget: one body of the largest configurable size (100 MiB) fits, with room to spare. */
export const DEFAULT_BODY_BUDGET_BYTES = 128 * 1024 * 1024;

export class BodyBudget {
  private used = 0;
  private highest = 0;

  constructor(readonly limit: number = DEFAULT_BODY_BUDGET_BYTES) {}

  /** Reserves `bytes`; false (nothing reserved) when they do not fit. */
  tryReserve(bytes: number): boolean {
    if (bytes < 0 || this.used + bytes > this.limit) return false;
    this.used += bytes;
    if (this.used > this.highest) this.highest = this.used;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** Bytes reserved right now. */
  get inUse(): number {
    return this.used;
  }

  /** The most ever reserved at once since the agent started. */
  get peak(): number {
    return this.highest;
  }
}
