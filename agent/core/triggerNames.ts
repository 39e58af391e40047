// What a trigger may be called. Names travel in URLs (/webhook/<name>),
// shell arguments and tree labels, so they are plain: letters, digits, ".",
// "_" and "-", starting with a letter or digit, at most 100 characters.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Why `name` cannot name a trigger ("name: … is not a valid trigger name (…)"), or undefined when it can. */
export function triggerNameProblem(name: string): string | undefined {
  if (NAME.test(name)) return undefined;
  return `name: "${name}" is not a valid trigger name (letters, digits, ".", "_" and "-", starting with a letter or digit, at most 100)`;
}
