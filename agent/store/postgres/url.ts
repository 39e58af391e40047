// Database URLs as Clockwork shows and checks them. No driver here: the
// CLI's status imports this without loading pg.
import { invalid } from "../../errors";

/** What `url` names, without its password: for status lines and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(a database URL that does not parse)";
  }
}

export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`the database URL ${redactUrl(url)} is not a URL: use postgres://user:password@host:5432/database`);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw invalid(`the database URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
}

