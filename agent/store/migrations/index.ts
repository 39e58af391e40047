// Numbered migrations, applied in order on open. Append only: a migration
// that has shipped is never edited; a change is a new file.
import m001 from "./001_init";
import m002 from "./002_step_processes";

export const migrations: readonly string[] = [m001, m002];
