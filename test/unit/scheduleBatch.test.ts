// Bulk registration's checks and its error, with a stand-in loader and a
// repository that only records what it would write (the real store's
// all-or-nothing is the contract suite's; the real agent's, register-bulk).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextFireAfter } from "../../agent/core/cron";
import { registerScheduleBatch } from "../../agent/daemon/scheduleBatch";
import { ClockworkError, invalid } from "../../agent/errors";
import type { RegisterScheduleParams } from "../../agent/protocol";
import type { NewTrigger, TakenName, TriggerRepository } from "../../agent/store";

const NOW = Date.parse("2026-03-01T10:00:00Z");

function deps(taken: TakenName[] = []) {
  const written: NewTrigger[][] = [];
  const loads: string[] = [];
  const triggers = {
    createMany: async (inputs: readonly NewTrigger[]) => {
      if (taken.length === 0) written.push([...inputs]);
      return taken;
    },
  } as unknown as TriggerRepository;
  const loadWorkflow = async (file: string) => {
    loads.push(file);
    if (file.includes("broken")) throw invalid("workflow does not load: /w/broken.workflow.ts:3:1: Expected \";\"");
    return { file, name: file.replace(/^.*\//, "").replace(".workflow.ts", "") };
  };
  return { deps: { triggers, loadWorkflow, now: NOW }, written, loads };
}

const entry = (name: string, over: Partial<RegisterScheduleParams> = {}): RegisterScheduleParams => ({
  file: "/w/digest.workflow.ts",
  cron: "0 9 * * *",
  timezone: "UTC",
  name,
  ...over,
});

const message = async (promise: Promise<unknown>): Promise<{ kind: string; text: string }> => {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ClockworkError);
    return { kind: error.kind, text: error.message };
  }
  throw new Error("expected the batch to be refused");
};

describe("registerScheduleBatch", () => {
  it("writes every entry at once with its first fire, loading each workflow file once", async () => {
    const { deps: d, written, loads } = deps();
    const names = await registerScheduleBatch(
      [entry("a"), entry("b", { cron: "30 7 * * 1-5", timezone: "Europe/Berlin", overlap: "queue" }), entry("c", { file: "/w/backup.workflow.ts" })],
      d,
    );
    assert.deepEqual(names, ["a", "b", "c"]);
    assert.deepEqual(loads.sort(), ["/w/backup.workflow.ts", "/w/digest.workflow.ts"]);
    const [a, b, c] = written[0]!;
    assert.equal(a!.nextFireAt, Date.parse("2026-03-02T09:00:00Z"));
    assert.deepEqual(b!.config, { cron: "30 7 * * 1-5", timezone: "Europe/Berlin", overlap: "queue", catchup: "once" });
    assert.equal(b!.nextFireAt, nextFireAfter({ expression: "30 7 * * 1-5", timezone: "Europe/Berlin" }, NOW));
    assert.equal(c!.workflowName, "backup");
  });

  it("lists every problem in entry order, a broken file once with how many entries use it, and writes nothing", async () => {
    const { deps: d, written } = deps();
    const refused = await message(
      registerScheduleBatch(
        [
          entry("a", { cron: "61 * * * *" }),
          entry("b", { file: "/w/broken.workflow.ts" }),
          entry("c", { file: "/w/broken.workflow.ts" }),
          entry("d", { timezone: "Mars/Olympus" }),
          entry("bad name!"),
          entry("a"),
          entry("e", { cron: "0 0 30 2 *" }),
        ],
        d,
      ),
    );
    assert.equal(refused.kind, "Invalid");
    assert.equal(
      refused.text,
      [
        "nothing registered (all or nothing), 6 problems:",
        '  entry 0: cron: minute field "61" is out of range 0-59',
        '  entry 1 (and 1 other entry with this file): file: workflow does not load: /w/broken.workflow.ts:3:1: Expected ";"',
        '  entry 3: timezone: unknown zone "Mars/Olympus"; use an IANA zone name such as Europe/Berlin, America/New_York or UTC',
        '  entry 4: name: "bad name!" is not a valid trigger name (letters, digits, ".", "_" and "-", starting with a letter or digit, at most 100)',
        '  entry 5: name: "a" is also the name of entry 0',
        '  entry 6: cron: "0 0 30 2 *" never fires (no date matches its day and month fields)',
      ].join("\n"),
    );
    assert.deepEqual(written, []);
  });

  it("says when entries without a name all take their workflow's", async () => {
    const { deps: d } = deps();
    const refused = await message(registerScheduleBatch([{ file: "/w/digest.workflow.ts", cron: "0 9 * * *" }, { file: "/w/digest.workflow.ts", cron: "0 10 * * *" }], d));
    assert.match(refused.text, /entry 1: name: "digest" is also the name of entry 0 \(the workflow's name, as the entry has none; give each entry its own "name"\)/);
  });

  it("names the entries whose names are already taken, as a conflict", async () => {
    const { deps: d } = deps([{ index: 1, name: "b", type: "webhook" }]);
    const refused = await message(registerScheduleBatch([entry("a"), entry("b")], d));
    assert.equal(refused.kind, "Conflict");
    assert.match(refused.text, /entry 1: name: a trigger named "b" already exists \(a webhook\)/);
  });

  it("shows twenty problems and counts the rest", async () => {
    const { deps: d } = deps();
    const entries = Array.from({ length: 25 }, (_, i) => entry(`s${i}`, { cron: "61 * * * *" }));
    const refused = await message(registerScheduleBatch(entries, d));
    const lines = refused.text.split("\n");
    assert.equal(lines[0], "nothing registered (all or nothing), 25 problems:");
    assert.equal(lines.length, 22);
    assert.equal(lines[21], "  … and 5 more");
  });
});
