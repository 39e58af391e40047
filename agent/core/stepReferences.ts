// The rule for placeholders that name a step: `{name}` must be an earlier
// step of the same workflow, `{previous.name}` any step of it. The runner
// (placeholders.ts), the loader (agent/workflow/validate.ts) and the editor
// (agent/lsp/placeholderSites.ts) all ask this one function, so they refuse
// the same placeholders with the same words. Pure.
import type { Reference, TemplatePart } from "./placeholders";
import { suggest } from "./suggest";

type Placeholder = Extract<TemplatePart, { kind: "placeholder" }>;

/**
 * Why `ref`, written in step `current` of a workflow whose steps are
 * `names` (in order), can never resolve; undefined when it names a step it
 * may read. `part` is the placeholder as parsed, for the hint about the
 * shell's own `${…}`.
 */
export function stepReferenceProblem(
  ref: Reference,
  names: readonly string[],
  current: number,
  part: Placeholder,
): string | undefined {
  if (ref.kind === "step") {
    const at = names.indexOf(ref.step);
    if (at < 0) return `no step named "${ref.step}" in this workflow${suggest(ref.step, names)}${shellVariableHint(part)}`;
    if (at === current) return "a step cannot use its own output";
    if (at > current) return `step "${ref.step}" runs after this step, so it has no output yet`;
  } else if (ref.kind === "previous" && !names.includes(ref.step)) {
    return `no step named "${ref.step}" in this workflow${suggest(ref.step, names)}`;
  }
  return undefined;
}

/** For `${NAME}` in a template: how to write the shell's own parameter expansion. */
function shellVariableHint(part: Placeholder): string {
  if (!part.afterDollar) return "";
  const inner = part.text.slice(1, -1);
  return `; for the shell variable write \${{${inner}}} (doubled braces are literal)`;
}
