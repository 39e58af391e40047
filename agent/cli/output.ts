// Terminal output helpers: colour only on a TTY (and never with NO_COLOR),
// errors as one readable line and a non-zero exit.
import { ClockworkError, messageOf } from "../errors";

const useColour = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;

function paint(code: string, stream: NodeJS.WriteStream = process.stdout) {
  return (text: string) => (useColour(stream) ? `\u001b[${code}m${text}\u001b[0m` : text);
}

export const colour = {
  bold: paint("1"),
  dim: paint("2"),
  red: paint("31"),
  green: paint("32"),
  yellow: paint("33"),
  cyan: paint("36"),
  errRed: paint("31", process.stderr),
};

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** Prints `error: message` on stderr and exits 1 (2 for usage errors). */
export function exitWithError(error: unknown, code = 1): never {
  const message = error instanceof ClockworkError ? error.message : messageOf(error);
  process.stderr.write(`${colour.errRed("error:")} ${message}\n`);
  process.exit(code);
}

/** Columns two spaces apart, header dimmed; widths ignore colour escapes so coloured cells line up. */
export function table(header: string[], rows: string[][]): string {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "").length;
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - visible(c))))
      .join("  ")
      .trimEnd();
  return [colour.dim(line(header)), ...rows.map(line)].join("\n") + "\n";
}
