// Instants cross the socket, the store and reasons as ISO 8601 strings in UTC.

/** `2025-03-30T01:00:00.000Z` for an instant in epoch milliseconds; null stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
