// `clockwork cron "<expr>"`: the description and the next fires of a cron
// expression, from the same pure function the editor's live preview uses.
// Nothing is registered; this only explains an expression.
import type { Command } from "commander";
import { cronPreview, defaultTimezone } from "../../core/cron";
import { invalid } from "../../errors";
import { colour, exitWithError, printJson } from "../output";

export function cronCommands(program: Command): void {
  program
    .command("cron")
    .description("Explain a cron expression: what it means and when it fires next")
    .argument("<expression>", 'cron expression: 5 fields, 6 with seconds first, or a nickname such as @daily (quote it: "0 9 * * 1-5")')
    .option("--tz <zone>", "IANA timezone the schedule runs in (default: this machine's zone)")
    .option("--count <n>", "how many upcoming fires to list", "5")
    .option("--after <instant>", "list fires after this ISO 8601 instant instead of now (e.g. 2026-03-07T00:00:00Z)")
    .option("--json", "print { ok, expression, timezone, description, next: ISO 8601 instants } as JSON")
    .addHelpText(
      "after",
      `
Examples:
  clockwork cron "0 9 * * 1-5" --tz Europe/Berlin     09:00 on weekdays in Berlin
  clockwork cron "*/10 * * * * *" --count 3            every 10 seconds (6 fields: seconds first)
  clockwork cron @daily --json

When both day-of-month and day-of-week are set, a day matches if either does
("0 9 1 * 1" fires on the 1st and on every Monday). See docs/schedules.md.`,
    )
    .action((expression: string, options: { tz?: string; count: string; after?: string; json?: boolean }) => {
      if (!/^\d+$/.test(options.count)) exitWithError(invalid(`--count: "${options.count}" is not a whole number`));
      const count = Number(options.count);
      let from = Date.now();
      if (options.after !== undefined) {
        from = Date.parse(options.after);
        if (Number.isNaN(from)) exitWithError(invalid(`--after: "${options.after}" is not an ISO 8601 instant such as 2026-03-07T00:00:00Z`));
      }
      const preview = cronPreview(expression, options.tz, count, from);
      if (options.json) {
        printJson(preview);
        // exitCode rather than exit(), so the JSON is flushed before the process ends.
        if (!preview.ok) process.exitCode = 1;
        return;
      }
      if (!preview.ok) exitWithError(invalid(preview.error));
      const zoneNote = options.tz === undefined ? " (this machine's zone; choose another with --tz)" : "";
      const lines = [
        colour.bold(preview.description),
        `${colour.dim("expression")} ${preview.expression}`,
        `${colour.dim("timezone")}   ${preview.timezone}${zoneNote}`,
        "",
        preview.next.length === 0 ? "It never fires again." : `Next ${preview.next.length} fire${preview.next.length === 1 ? "" : "s"}:`,
        ...preview.next.map((instant) => `  ${formatLocal(instant, preview.timezone)}   ${colour.dim(instant)}`),
      ];
      process.stdout.write(lines.join("\n") + "\n");
    });
}

/** "Mon 2026-03-09 09:00:00 GMT+1": the wall-clock time in the schedule's zone. */
function formatLocal(instant: string, timezone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone || defaultTimezone(),
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "shortOffset",
  }).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((part) => part.type === type)?.value ?? "";
  return `${get("weekday")} ${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")} ${get("timeZoneName")}`;
}
