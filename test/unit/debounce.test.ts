import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DebounceTable, mergeEvents } from "../../agent/core/debounce";

const stamp = (size: number, mtimeMs = 1000) => ({ size, mtimeMs });

describe("mergeEvents", () => {
  it("keeps the meaning of a burst", () => {
    assert.equal(mergeEvents("created", "modified"), "created");
    assert.equal(mergeEvents("created", "deleted"), null);
    assert.equal(mergeEvents("modified", "modified"), "modified");
    assert.equal(mergeEvents("modified", "deleted"), "deleted");
    assert.equal(mergeEvents("deleted", "created"), "modified");
    assert.equal(mergeEvents("deleted", "deleted"), "deleted");
  });
});

describe("DebounceTable", () => {
  it("fires once, a delay after the last event of a burst", () => {
    const table = new DebounceTable(500);
    table.record("w", "/f", "modified", stamp(1), 0);
    table.record("w", "/f", "modified", stamp(2), 300);
    table.record("w", "/f", "modified", stamp(3), 600);
    assert.equal(table.nextDueAt(), 1100);
    assert.deepEqual(table.due(1099), []);
    const due = table.due(1100);
    assert.equal(due.length, 1);
    const decision = table.settle("w", "/f", stamp(3), 1100);
    assert.equal(decision.kind, "fire");
    assert.equal(table.size, 0);
  });

  it("keeps separate clocks per watcher and per path", () => {
    const table = new DebounceTable(500);
    table.record("w", "/a", "modified", stamp(1), 0);
    table.record("w", "/b", "modified", stamp(1), 200);
    table.record("v", "/a", "modified", stamp(1), 400);
    assert.deepEqual(table.due(500).map((c) => [c.watcher, c.path]), [["w", "/a"]]);
    assert.deepEqual(table.due(900).map((c) => [c.watcher, c.path]), [["w", "/b"], ["v", "/a"]]);
  });

  it("waits again when the file changed since the last event, so a half-written file is not processed", () => {
    const table = new DebounceTable(500);
    table.record("w", "/f", "created", stamp(10), 0);
    table.due(500);
    const decision = table.settle("w", "/f", stamp(20, 1400), 520);
    assert.deepEqual(decision, { kind: "wait", dueAt: 1020 });
    table.due(1020);
    const second = table.settle("w", "/f", stamp(20, 1400), 1020);
    assert.equal(second.kind, "fire");
    assert.equal(second.kind === "fire" && second.change.event, "created");
  });

  it("waits when it never saw the file's size", () => {
    const table = new DebounceTable(500);
    table.record("w", "/f", "modified", null, 0);
    table.due(500);
    assert.equal(table.settle("w", "/f", stamp(1), 500).kind, "wait");
  });

  it("does not hand out a change twice while its check is in flight, and honours events that arrived meanwhile", () => {
    const table = new DebounceTable(500);
    table.record("w", "/f", "modified", stamp(1), 0);
    assert.equal(table.due(500).length, 1);
    assert.equal(table.due(600).length, 0);
    assert.equal(table.nextDueAt(), null);
    table.record("w", "/f", "modified", stamp(2), 550);
    assert.deepEqual(table.settle("w", "/f", stamp(2), 560), { kind: "wait", dueAt: 1050 });
    assert.equal(table.nextDueAt(), 1050);
  });

  it("fires a deletion without looking at the file", () => {
    const table = new DebounceTable(500);
    table.record("w", "/f", "modified", stamp(1), 0);
    table.record("w", "/f", "deleted", null, 100);
    table.due(600);
    const decision = table.settle("w", "/f", null, 600);
    assert.equal(decision.kind === "fire" && decision.change.event, "deleted");
  });

  it("drops a file that was created and deleted inside one burst", () => {
    const table = new DebounceTable(500);
    table.record("w", "/f", "created", stamp(1), 0);
    assert.equal(table.record("w", "/f", "deleted", null, 100), null);
    assert.equal(table.size, 0);
  });

  it("gives a vanished file one more delay for its deletion event, then drops it", () => {
    const table = new DebounceTable(500);
    table.record("w", "/f", "modified", stamp(1), 0);
    table.due(500);
    assert.deepEqual(table.settle("w", "/f", null, 500), { kind: "wait", dueAt: 1000 });
    table.due(1000);
    assert.deepEqual(table.settle("w", "/f", null, 1000), { kind: "drop" });
    assert.equal(table.size, 0);
  });

  it("forgets a watcher's changes when it is cleared", () => {
    const table = new DebounceTable(500);
    table.record("w", "/a", "modified", stamp(1), 0);
    table.record("v", "/a", "modified", stamp(1), 0);
    table.clearWatcher("w");
    assert.deepEqual(table.due(500).map((c) => c.watcher), ["v"]);
  });
});
