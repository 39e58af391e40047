// Backfill's pure decisions: the range a user types (in the schedule's
// zone unless it has an offset), the refusals, what an instant has and
// whether it runs under each --reprocess, and how its runs are spread.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backfillConcurrency, backfillSerialKey } from "../../agent/core/admission";
import { backfillInstants, instantAction, instantState, MAX_BACKFILL_INSTANTS, parseRangeBound } from "../../agent/core/backfill";
import { parseCron } from "../../agent/core/cron";
import type { InstantState, Reprocess } from "../../agent/protocol";

const at = (iso: string) => Date.parse(iso);
const NOW = at("2026-01-01T00:00:00Z");
const NY = "America/New_York";

describe("parseRangeBound", () => {
  it("reads instants with an offset as they are, and dates and times without one in the schedule's zone", () => {
    assert.equal(parseRangeBound("2025-03-09T00:00:00Z", NY, NOW, "--from"), at("2025-03-09T00:00:00Z"));
    assert.equal(parseRangeBound("2025-03-09T00:00-05:00", NY, NOW, "--from"), at("2025-03-09T05:00:00Z"));
    assert.equal(parseRangeBound("2025-03-09", NY, NOW, "--from"), at("2025-03-09T05:00:00Z"));
    assert.equal(parseRangeBound("2025-07-01 06:30", NY, NOW, "--from"), at("2025-07-01T10:30:00Z"));
    assert.equal(parseRangeBound("now", NY, NOW, "--to"), NOW);
  });

  it("reads a wall time inside a spring-forward gap as the moment the gap ends", () => {
    assert.equal(parseRangeBound("2025-03-09T02:30", NY, NOW, "--from"), at("2025-03-09T07:00:00Z"));
  });

  it("refuses what is not a time, naming the option and the forms it takes", () => {
    for (const text of ["yesterday", "2025-02-30", "2025-03-09T25:00", "1741500000"]) {
      assert.throws(() => parseRangeBound(text, NY, NOW, "--from"), new RegExp(`--from "${text}" is not a time: .*America/New_York`));
    }
  });
});

describe("backfillInstants", () => {
  const hourly = parseCron("0 * * * *", NY);
  const range = (from: string, to: string) => ({ name: "hourly", spec: hourly, from: at(from), to: at(to), now: NOW });

  it("gives the instants of [from, to), oldest first", () => {
    const span = backfillInstants(range("2025-03-09T05:00:00Z", "2025-03-10T04:00:00Z"));
    assert.equal(span.count, 23);
    assert.equal(span.instants[0], at("2025-03-09T05:00:00Z"));
  });

  it("refuses a backwards range, a range in the future, an empty one and one over the limit with its count", () => {
    assert.throws(() => backfillInstants(range("2025-03-10T00:00:00Z", "2025-03-09T00:00:00Z")), /--to .* must be after --from/);
    assert.throws(() => backfillInstants(range("2025-12-31T00:00:00Z", "2026-02-01T00:00:00Z")), /is in the future \(now is 2026-01-01T00:00:00\.000Z\)/);
    assert.throws(() => backfillInstants(range("2025-03-09T05:10:00Z", "2025-03-09T05:50:00Z")), /gives no instants in \[/);
    assert.throws(
      () => backfillInstants(range("2024-01-01T00:00:00Z", "2025-06-01T00:00:00Z")),
      new RegExp(`gives 12408 instants .* more than the ${MAX_BACKFILL_INSTANTS} .*--to 2025-02-20T16:00:00\\.000Z, then --from 2025-02-20T16:00:00\\.000Z`),
    );
  });
});

describe("instantState and instantAction", () => {
  it("sums up an instant's runs: success wins, then a run in flight, then a failure, then only skips", () => {
    assert.equal(instantState([]), "none");
    assert.equal(instantState(["skipped"]), "missed");
    assert.equal(instantState(["skipped", "cancelled"]), "failed");
    assert.equal(instantState(["failed", "queued"]), "active");
    assert.equal(instantState(["failed", "success", "running"]), "success");
  });

  const table: Record<InstantState, Record<Reprocess, "run" | "keep">> = {
    none: { none: "run", failed: "run", all: "run" },
    missed: { none: "run", failed: "run", all: "run" },
    failed: { none: "keep", failed: "run", all: "run" },
    success: { none: "keep", failed: "keep", all: "run" },
    active: { none: "keep", failed: "keep", all: "keep" },
  };
  for (const [state, byReprocess] of Object.entries(table)) {
    for (const [reprocess, action] of Object.entries(byReprocess)) {
      it(`an instant that is ${state} is ${action === "run" ? "run" : "kept"} with --reprocess ${reprocess}`, () => {
        const decision = instantAction(state as InstantState, reprocess as Reprocess);
        assert.equal(decision.action, action);
        if (decision.action === "keep") assert.ok(decision.reason.length > 0);
      });
    }
  }
});

describe("backfill concurrency", () => {
  it("follows the overlap policy unless --max-parallel says otherwise", () => {
    assert.deepEqual(backfillConcurrency("skip"), { kind: "serial" });
    assert.deepEqual(backfillConcurrency("queue"), { kind: "serial" });
    assert.deepEqual(backfillConcurrency("parallel"), { kind: "parallel" });
    assert.deepEqual(backfillConcurrency("skip", 3), { kind: "limited", max: 3 });
  });

  it("shares the schedule's key one at a time, deals N lanes when limited, and keys nothing in parallel", () => {
    assert.equal(backfillSerialKey({ kind: "serial" }, "s", 7), "s");
    const lanes = [0, 1, 2, 3, 4].map((i) => backfillSerialKey({ kind: "limited", max: 2 }, "s", i));
    assert.equal(new Set(lanes).size, 2);
    assert.equal(lanes[0], lanes[2]);
    assert.notEqual(lanes[0], "s");
    assert.equal(backfillSerialKey({ kind: "parallel" }, "s", 0), undefined);
  });
});
