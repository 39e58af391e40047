// A watched single file in a real agent: modify → delete → recreate, twenty
// times, at a person's pace (the issue saw `deleted` fire twice in 3 of 6
// tries). Changes within one debounce window may merge, as documented; what
// must never happen is one change firing twice. The runs are checked
// against the file's life: a deletion only of a file that exists, a
// creation only of one that does not, a modification only of one that does.
import assert from "node:assert/strict";
import { unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as pause } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { GetRun, type RunSummary } from "../../agent/protocol";
import { runCli } from "../helpers/cli";
import { writeWorkflow } from "./agent-harness";
import { startTestAgent, type TestAgent } from "./webhook-harness";

// The run reports the event it was given and the file's content then.
const SEEN_WORKFLOW = `import { defineWorkflow, code } from "clockwork";
import { existsSync, readFileSync } from "node:fs";
export default defineWorkflow({
  name: "seen",
  steps: [code("seen", (ctx) => JSON.stringify({ event: ctx.trigger.fileEvent, content: existsSync(ctx.trigger.path!) ? readFileSync(ctx.trigger.path!, "utf8") : null }))],
});
`;
const ROUNDS = 20;

interface Seen {
  event: string;
  content: string | null;
}

describe("a watched single file", { timeout: 300_000 }, () => {
  let t: TestAgent;
  let file: string;
  let consumed = 0;

  before(async () => {
    t = await startTestAgent("watch-file");
    const workflow = writeWorkflow(t.work, "seen.workflow.ts", SEEN_WORKFLOW);
    file = join(t.work, "watched.txt");
    writeFileSync(file, "initial");
    const result = await runCli(["register-watcher", workflow, "--path", file, "--name", "single"], { env: t.env });
    assert.equal(result.code, 0, result.stderr);
  });
  after(async () => t.stop());

  const finishedFileRuns = (runs: RunSummary[]) =>
    [...new Map(runs.filter((r) => r.triggerKind === "file").map((r) => [r.id, r])).values()].filter((r) => r.status !== "queued" && r.status !== "running");

  /** The file runs that finished after those already consumed, up to and including the first one `until` accepts. */
  async function runsUntil(until: (seen: Seen) => boolean): Promise<Seen[]> {
    const seen: Seen[] = [];
    for (;;) {
      const index = consumed;
      const run = await t.watcher.until((all) => finishedFileRuns(all)[index], `file run ${index + 1}`);
      consumed++;
      const record = await t.watcher.client.request(GetRun, { id: run.id });
      assert.equal(record.status, "success", record.error ?? "");
      const one = JSON.parse(record.steps[0]!.output!) as Seen;
      seen.push(one);
      if (until(one)) return seen;
    }
  }

  test("each change, waited for, fires exactly one run with its own event", async () => {
    for (const [change, event] of [
      [() => writeFileSync(file, "modified"), "modified"],
      [() => unlinkSync(file), "deleted"],
      [() => writeFileSync(file, "recreated"), "created"],
    ] as const) {
      change();
      const [seen] = await runsUntil(() => true);
      assert.equal(seen!.event, event);
    }
  });

  test("a file replaced at once (deleted and written again, as some editors save) is still watched afterwards", async () => {
    for (let i = 1; i <= 3; i++) {
      unlinkSync(file);
      writeFileSync(file, `replaced ${i}`);
      const [replaced] = await runsUntil(() => true);
      assert.deepEqual(replaced, { event: "modified", content: `replaced ${i}` });
      writeFileSync(file, `edited ${i}`);
      const [edited] = await runsUntil(() => true);
      assert.deepEqual(edited, { event: "modified", content: `edited ${i}` }, "the edit after a replacement is seen");
    }
  });

  test(`modify → delete → recreate at a person's pace, ${ROUNDS} times: no change fires twice`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      // The writer's own rhythm, which is what is tested: each gap is longer
      // than the 500 ms debounce, as a person's would be.
      writeFileSync(file, `modified ${round}`);
      await pause(700);
      unlinkSync(file);
      await pause(1200);
      writeFileSync(file, `recreated ${round}`);
      await pause(1200);
    }
    // A last change: any run a change of the rounds fired twice comes before its run.
    writeFileSync(file, "last");
    const seen = await runsUntil((s) => s.content === "last");

    let exists = true;
    seen.forEach((s, i) => {
      const where = `run ${i + 1} of ${seen.length}: ${seen.map((x) => x.event).join(" ")}`;
      if (s.event === "deleted") assert.ok(exists, `a deletion of a file already deleted (${where})`);
      else if (s.event === "created") assert.ok(!exists, `a creation of a file that existed (${where})`);
      else assert.ok(exists, `a modification of a deleted file (${where})`);
      exists = s.event !== "deleted";
    });
    assert.ok(seen.length <= 3 * ROUNDS + 1, `${seen.length} runs for ${3 * ROUNDS + 1} changes`);
    assert.ok(seen.filter((s) => s.event === "deleted").length > 0, "deletions are seen");
  });
});
