// MCP servers as the mcp step sees them: an entry of mcp.json (the
// `servers` / `mcpServers` file VS Code, Claude Desktop, Cursor and other
// hosts read), or a server written inline in a step. Pure: the file's text
// and the environment are passed in.
//
// mcp.json is read leniently, because it is often the same file another
// host reads: comments and trailing commas are allowed (VS Code writes
// them), keys other hosts add are ignored, and an entry Clockwork cannot use
// (an SSE server, an envFile) is kept with the reason, which is reported
// only when a workflow names it. A server written in a workflow is read
// strictly: a misspelt option there is a mistake to point at.
import { redactUrl } from "./redact";

export type McpServerDefinition =
  | { transport: "stdio"; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { transport: "http"; url: string; headers: Record<string, string> };

/** An entry of mcp.json: a server, or why it cannot be used. */
export type McpConfigEntry = { server: McpServerDefinition } | { problem: string };

export class McpConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "McpConfigError";
  }
}

/** The entries of an mcp.json text; throws McpConfigError when the file as a whole cannot be read. */
export function parseMcpConfig(text: string): Map<string, McpConfigEntry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripJsonComments(text));
  } catch (error) {
    throw new McpConfigError(`is not valid JSON: ${jsonErrorWhere(text, (error as Error).message)}`);
  }
  if (!isObject(parsed)) throw new McpConfigError('must be an object: { "servers": { "name": { "command": … } } }');
  const entries = new Map<string, McpConfigEntry>();
  for (const key of ["servers", "mcpServers"] as const) {
    const group = parsed[key];
    if (group === undefined) continue;
    if (!isObject(group)) throw new McpConfigError(`"${key}" must be an object whose keys name the servers`);
    for (const [name, value] of Object.entries(group)) {
      if (entries.has(name)) throw new McpConfigError(`the server "${name}" is under both "servers" and "mcpServers"; keep one`);
      entries.set(name, configEntry(value));
    }
  }
  if (parsed.servers === undefined && parsed.mcpServers === undefined) {
    throw new McpConfigError('has no "servers" (or "mcpServers") object: { "servers": { "name": { "command": … } } }');
  }
  return entries;
}

/** One entry of the file, read as VS Code and Claude Desktop read it. */
function configEntry(value: unknown): McpConfigEntry {
  if (!isObject(value)) return { problem: "its entry must be an object with a command or a url" };
  const type = value.type;
  if (type === "sse") {
    return {
      problem: 'it is an SSE server ("type": "sse"), an older transport the mcp step does not speak; most servers also serve Streamable HTTP (often at /mcp): use that url with "type": "http"',
    };
  }
  const http = type === "http" || type === "streamable-http" || type === "streamableHttp" || (type === undefined && value.url !== undefined);
  if (type !== undefined && type !== "stdio" && !http) return { problem: `its "type" is ${JSON.stringify(type)}; use "stdio" or "http"` };
  if (value.envFile !== undefined) return { problem: 'it uses "envFile", which the mcp step does not read; list the variables under "env" (values may be "${env:NAME}")' };
  const problem = http ? httpProblem(value, false) : stdioProblem(value, false);
  if (problem) return { problem };
  return { server: http ? httpDefinition(value) : stdioDefinition(value) };
}

/**
 * What is wrong with a server written inline in a step, or undefined. The
 * shape decides the transport: `command` is stdio, `url` Streamable HTTP.
 */
export function inlineServerProblem(value: Record<string, unknown>): string | undefined {
  if ("command" in value && "url" in value) return "give either command (a stdio server) or url (Streamable HTTP), not both";
  if (!("command" in value) && !("url" in value)) return "needs command (a stdio server: { command, args?, env?, cwd? }) or url (Streamable HTTP: { url, headers? })";
  const known = "url" in value ? ["url", "headers"] : ["command", "args", "env", "cwd"];
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0) return `has an unknown field "${unknown[0]}" (${"url" in value ? "an HTTP server takes url, headers" : "a stdio server takes command, args, env, cwd"})`;
  return "url" in value ? httpProblem(value, true) : stdioProblem(value, true);
}

/** A server written inline, once `inlineServerProblem` found nothing wrong. */
export function inlineServer(value: Record<string, unknown>): McpServerDefinition {
  return "url" in value ? httpDefinition(value) : stdioDefinition(value);
}

function stdioProblem(value: Record<string, unknown>, strict: boolean): string | undefined {
  if (typeof value.command !== "string" || value.command.trim() === "") return "its command must be a non-empty string";
  if (value.args !== undefined && !(Array.isArray(value.args) && value.args.every((a) => typeof a === "string"))) {
    return "its args must be an array of strings";
  }
  if (value.cwd !== undefined && (typeof value.cwd !== "string" || value.cwd === "")) return "its cwd must be a non-empty string";
  return mapProblem(value.env, "env", strict) ?? variablesProblem(stdioDefinition(value));
}

function httpProblem(value: Record<string, unknown>, strict: boolean): string | undefined {
  if (typeof value.url !== "string" || !/^https?:\/\/\S+$/.test(value.url)) return "its url must be an http:// or https:// URL";
  return mapProblem(value.headers, "headers", strict) ?? variablesProblem(httpDefinition(value));
}

/** env and headers: strings (VS Code also writes numbers, and null for "unset"). */
function mapProblem(value: unknown, name: string, strict: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) return `its ${name} must be an object of strings`;
  for (const [key, item] of Object.entries(value)) {
    const ok = typeof item === "string" || (!strict && (typeof item === "number" || item === null));
    if (!ok) return `its ${name}.${key} must be a string`;
  }
  return undefined;
}

function stdioDefinition(value: Record<string, unknown>): McpServerDefinition {
  return {
    transport: "stdio",
    command: value.command as string,
    args: (value.args as string[] | undefined) ?? [],
    env: stringMap(value.env),
    ...(typeof value.cwd === "string" ? { cwd: value.cwd } : {}),
  };
}

function httpDefinition(value: Record<string, unknown>): McpServerDefinition {
  return { transport: "http", url: value.url as string, headers: stringMap(value.headers) };
}

function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (item !== null && item !== undefined) out[key] = String(item);
  return out;
}

/** Every string of a definition that may hold `${env:NAME}`, named by where it is. */
export function definitionStrings(server: McpServerDefinition): Array<[where: string, value: string]> {
  if (server.transport === "http") return [["url", server.url], ...Object.entries(server.headers).map(([k, v]): [string, string] => [`headers.${k}`, v])];
  return [
    ["command", server.command],
    ...server.args.map((arg, i): [string, string] => [`args[${i}]`, arg]),
    ...Object.entries(server.env).map(([k, v]): [string, string] => [`env.${k}`, v]),
    ...(server.cwd !== undefined ? [["cwd", server.cwd] as [string, string]] : []),
  ];
}

const VARIABLE = /\$\{([^}]*)\}/g;
const ENV_REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

/** A `${…}` other than `${env:NAME}` (VS Code's `${input:…}`, `${workspaceFolder}`), which only its host can fill in. */
function variablesProblem(server: McpServerDefinition): string | undefined {
  for (const [where, value] of definitionStrings(server)) {
    for (const match of value.matchAll(VARIABLE)) {
      if (!ENV_REFERENCE.test(match[1]!)) {
        return `its ${where} uses ${match[0]}, which Clockwork cannot fill in: it fills in only \${env:NAME}, a variable of the agent's environment`;
      }
    }
  }
  return undefined;
}

/**
 * The definition with every `${env:NAME}` replaced by the variable's value
 * in `env`; throws McpConfigError naming the first variable that is not set.
 */
export function expandServer(server: McpServerDefinition, env: NodeJS.ProcessEnv): McpServerDefinition {
  const expand = (where: string, value: string) =>
    value.replace(VARIABLE, (whole, inner: string) => {
      const name = ENV_REFERENCE.exec(inner)?.[1];
      if (name === undefined) throw new McpConfigError(`${where} uses ${whole}, which Clockwork cannot fill in; use \${env:NAME}`);
      const found = env[name];
      if (found === undefined) {
        throw new McpConfigError(
          `${where} names the environment variable ${name} (\${env:${name}}), which is not set where the run executes (the agent's environment for triggered runs, your shell for clockwork run)`,
        );
      }
      return found;
    });
  const mapValues = (map: Record<string, string>, prefix: string) =>
    Object.fromEntries(Object.entries(map).map(([k, v]) => [k, expand(`${prefix}.${k}`, v)]));
  if (server.transport === "http") return { ...server, url: expand("url", server.url), headers: mapValues(server.headers, "headers") };
  return {
    ...server,
    command: expand("command", server.command),
    args: server.args.map((arg, i) => expand(`args[${i}]`, arg)),
    env: mapValues(server.env, "env"),
    ...(server.cwd !== undefined ? { cwd: expand("cwd", server.cwd) } : {}),
  };
}

/** One line saying what a server is, for hovers and messages; never a header or env value. */
export function describeServer(server: McpServerDefinition): string {
  if (server.transport === "http") return `Streamable HTTP at ${redactUrl(server.url)}`;
  return `stdio: ${[server.command, ...server.args].map(shortPath).join(" ")}`;
}

/** A long path by its last three parts (`…/server-everything/dist/index.js`), so a message stays readable. */
function shortPath(word: string): string {
  const parts = word.split("/");
  return word.length > 40 && parts.length > 4 ? `…/${parts.slice(-3).join("/")}` : word;
}

/**
 * JSON with comments: `//` and `/* *\/` comments and trailing commas become
 * spaces, strings are left alone, and offsets stay where they were (so a
 * parse error's position is still the file's).
 */
export function stripJsonComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
      const end = text[i + 1] === "/" ? endOfLine(text, i) : endOfBlockComment(text, i);
      out += text.slice(i, end).replace(/[^\n]/g, " ");
      i = end;
    } else if (ch === "," && /^\s*[}\]]/.test(withoutComments(text, i + 1))) {
      out += " ";
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function endOfLine(text: string, from: number): number {
  const eol = text.indexOf("\n", from);
  return eol < 0 ? text.length : eol;
}

function endOfBlockComment(text: string, from: number): number {
  const close = text.indexOf("*/", from + 2);
  return close < 0 ? text.length : close + 2;
}

/** What follows `from`, with the comments in it removed: enough to see whether a comma is trailing. */
function withoutComments(text: string, from: number): string {
  return text.slice(from, from + 4096).replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, "");
}

/** "line 3, column 5: Unexpected token" from JSON.parse's "… at position 42". */
function jsonErrorWhere(text: string, message: string): string {
  const position = /position (\d+)/.exec(message);
  if (!position) return message;
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, "")}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
