// The environment variables a shell step receives: every value a placeholder
// could name, so a script can read "$CLOCKWORK_TRIGGER_BODY" instead of
// having it substituted. Pure.
import { RUN_FIELD_NAMES, SCALAR_TRIGGER_FIELDS, TRIGGER_RUN_FIELD_NAMES } from "./placeholderFields";
import { envName, envVarFor, fieldPath, fieldValue, valueText, type FieldReference, type ResolveContext } from "./placeholders";

/**
 * Linux refuses to start a process when one argument or environment string
 * exceeds 128 KiB (MAX_ARG_STRLEN), so larger values are left out of the
 * environment and returned in `omitted`; the shell step hands them over as
 * files instead ($NAME_FILE).
 */
export const MAX_ENV_VALUE_BYTES = 128 * 1024 - 64;
/**
 * Arguments and environment together must fit in ARG_MAX (2 MiB on a
 * typical Linux), so the CLOCKWORK_* variables get half of that; past it,
 * the largest values move to files as well.
 */
export const MAX_ENV_TOTAL_BYTES = 1024 * 1024;

export interface PlaceholderEnv {
  env: Record<string, string>;
  /** Variables left out because their value is too large to export, with the value and its size in bytes. */
  omitted: Array<{ name: string; value: string; bytes: number }>;
}

export function placeholderEnv(ctx: ResolveContext): PlaceholderEnv {
  const field = (ref: FieldReference): [string, string | undefined] => {
    const result = fieldValue(ref, ctx);
    return [envVarFor(fieldPath(ref)), "value" in result ? result.value : undefined];
  };
  const entries: Array<[string, string | undefined]> = [
    ...RUN_FIELD_NAMES.map((name) => field({ kind: "run", field: name })),
    ...SCALAR_TRIGGER_FIELDS.map((name) => field({ kind: "trigger", field: name })),
    ...TRIGGER_RUN_FIELD_NAMES.map((name) => field({ kind: "triggeringRun", field: name })),
    ["CLOCKWORK_TRIGGER_BODY", ctx.trigger.body === undefined ? undefined : valueText(ctx.trigger.body)],
  ];
  for (const [name, value] of Object.entries(ctx.trigger.headers ?? {})) {
    entries.push([`CLOCKWORK_TRIGGER_HEADER_${envName(name)}`, value]);
  }
  ctx.steps.forEach((step, index) => {
    if (index < ctx.current) entries.push([`CLOCKWORK_STEP_${envName(step)}`, ctx.outputs[step]]);
  });
  for (const step of ctx.steps) entries.push([`CLOCKWORK_PREVIOUS_${envName(step)}`, ctx.previous(step)]);

  const env: Record<string, string> = {};
  const omitted: PlaceholderEnv["omitted"] = [];
  const kept: Array<{ name: string; value: string; bytes: number }> = [];
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    // An environment string cannot hold a NUL byte.
    const clean = value.replace(/\u0000/g, "");
    const bytes = Buffer.byteLength(clean);
    if (bytes > MAX_ENV_VALUE_BYTES) omitted.push({ name, value: clean, bytes });
    else kept.push({ name, value: clean, bytes });
  }
  let total = kept.reduce((sum, v) => sum + v.bytes + v.name.length + 2, 0);
  for (const entry of [...kept].sort((a, b) => b.bytes - a.bytes)) {
    if (total <= MAX_ENV_TOTAL_BYTES) break;
    omitted.push(entry);
    kept.splice(kept.indexOf(entry), 1);
    total -= entry.bytes + entry.name.length + 2;
  }
  for (const { name, value } of kept) env[name] = value;
  return { env, omitted };
}
