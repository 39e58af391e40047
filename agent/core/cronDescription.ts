// Human-readable cron descriptions from cronstrue, corrected where cronstrue
// and the scheduler disagree. cronstrue joins a restricted day-of-month and a
// restricted day-of-week with "and" ("on day 1 of the month, and on Monday"),
// which reads as AND; the scheduler (croner, like Vixie cron) fires when
// either matches. The subclass below rewrites that one join as "or", using
// cronstrue's own wording for each side.
import ExpressionDescriptor from "cronstrue";
import { invalid, messageOf } from "../errors";
import type { NormalizedCron } from "./cronSyntax";

const OPTIONS = { use24HourTimeFormat: true, throwExceptionOnParseError: true, verbose: false } as const;

class OrDaysDescriptor extends ExpressionDescriptor {
  protected override getDayOfWeekDescription(dayOfWeekExpression?: string): string | null {
    // Only the top-level call is rewritten; cronstrue calls itself with an
    // explicit expression for sub-lists.
    const dayOfMonth = this.expressionParts[3];
    if (dayOfWeekExpression !== undefined || dayOfMonth === undefined || dayOfMonth === "*" || this.expressionParts[5] === "*") {
      return super.getDayOfWeekDescription(dayOfWeekExpression);
    }
    // Described as if the day of month were unrestricted, the weekday part
    // reads on its own ("only on Monday"), and can then be joined with "or".
    this.expressionParts[3] = "*";
    try {
      const weekdays = (super.getDayOfWeekDescription() ?? "").replace(/^,\s*/, "").replace(/^only on /, "on ");
      return ` or ${weekdays}`;
    } finally {
      this.expressionParts[3] = dayOfMonth;
    }
  }

  describe(): string {
    return this.getFullDescription();
  }
}

/** The description of an already normalized expression; throws invalid if cronstrue cannot describe it. */
export function describeNormalized(cron: NormalizedCron): string {
  // cronstrue reads 6 fields as seconds first; a 5-field expression gets no seconds part.
  const fields = cron.describable.split(" ");
  const text = cron.hasSeconds ? fields.join(" ") : fields.slice(1).join(" ");
  let description: string;
  try {
    description = new OrDaysDescriptor(text, { ...OPTIONS }).describe();
  } catch (error) {
    throw invalid(`cron: "${cron.expression}" cannot be described (${messageOf(error).replace(/^Error:\s*/, "")}); simplify the expression`);
  }
  return description;
}
