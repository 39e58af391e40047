// Keeps credentials out of run logs: URLs are logged without user info and
// without the values of query parameters that look like secrets. Pure.

const SECRET_PARAM = /token|key|secret|password|passwd|sig|auth|credential/i;

export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username || parsed.password) {
    parsed.username = "***";
    parsed.password = "";
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) parsed.searchParams.set(key, "***");
  }
  return parsed.toString();
}
