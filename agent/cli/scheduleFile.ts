// The file `clockwork register --from-file` reads: a JSON array of schedules,
// each as `clockwork/triggers/registerSchedules` takes it
// ({ file, cron, timezone?, name?, overlap?, catchup?, host? }; host pins
// the schedule in team mode). Each entry is
// checked here against the request's own params schema, so a typo reads the
// same with or without an agent, and relative workflow paths are resolved
// against the folder of the JSON file (where its author wrote them from).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { z } from "zod";
import { nothingRegistered } from "../core/problemList";
import { requestParams } from "../daemon/requestParams";
import { invalid, messageOf } from "../errors";
import type { RegisterScheduleParams } from "../protocol";

const FIELDS = ["file", "cron", "timezone", "name", "overlap", "catchup", "host"];

/** The entries of the schedules file at `path`, checked and with absolute workflow paths; throws invalid naming the file. */
export function readScheduleFile(path: string): RegisterScheduleParams[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw invalid(`${path}: cannot be read (${messageOf(error)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`${path}: not valid JSON: ${jsonError(error, text)}`);
  }
  if (!Array.isArray(value)) {
    throw invalid(`${path}: expected a JSON array of schedules ([{ "file": …, "cron": … }, …]), found ${describeJson(value)}`);
  }
  const checked = requestParams.RegisterSchedules.safeParse({ schedules: value });
  if (!checked.success) throw invalid(`${path}: ${nothingRegistered(checked.error.issues.map(entryProblem))}`);
  const base = dirname(resolve(path));
  return checked.data.schedules.map((entry) => ({ ...entry, file: resolve(base, entry.file) }));
}

/** One schema issue as "entry 3: cron: …", the index counted from 0 as in the array. */
function entryProblem(issue: z.core.$ZodIssue): string {
  const [, index, field] = issue.path;
  if (index === undefined) return `entries: ${issue.code === "too_big" ? `at most ${String((issue as { maximum?: unknown }).maximum)} in one file` : issue.message}`;
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    return `entry ${String(index)}: unknown field ${keys} (an entry has ${FIELDS.join(", ")})`;
  }
  if (field === undefined) return `entry ${String(index)}: expected an object ({ "file": …, "cron": … }), ${issue.message.toLowerCase()}`;
  return `entry ${String(index)}: ${String(field)}: ${issue.message}`;
}

/** JSON.parse's message with the line and column of its position, which an editor can jump to. */
function jsonError(error: unknown, text: string): string {
  const message = messageOf(error);
  const at = /at position (\d+)/.exec(message);
  if (!at) return message;
  const before = text.slice(0, Number(at[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `${message} (line ${line}, column ${column})`;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
