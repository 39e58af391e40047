// Numbered migrations, applied in order on open. Append only: a migration
// that has shipped is never edited; a change is a new file.
import m001 from "./001_init";
import m002 from "./002_step_processes";
import m003 from "./003_store_interface";
import m004 from "./004_run_processes";
import m005 from "./005_recovery";
import m006 from "./006_trigger_lookups";
import m007 from "./007_leftover_processes";
import m008 from "./008_serial_keys";
import m009 from "./009_cancel_requests";

export const migrations: readonly string[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009];

/** The first `version` migrations: for tests that build a store as an older version left it. */
export function migrationsUpTo(version: number): readonly string[] {
  return migrations.slice(0, version);
}
