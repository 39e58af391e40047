// Numbered migrations of the PostgreSQL store, applied in order on open
// (db.ts, under an advisory lock). Append only: a migration that has
// shipped is never edited; a change is a new file.
import m001 from "./001_init";
import m002 from "./002_recovery_and_lookups";
import m003 from "./003_leftover_processes";
import m004 from "./004_cancel_requests";

export const migrations: readonly string[] = [m001, m002, m003, m004];
