// What one registration costs the agent must not depend on how many triggers
// are already there: registering n schedules one by one used to take time in
// n² (each registration made the watcher manager and the status read every
// trigger). No timing here: the test counts what the agent reads. It runs the
// whole agent (scheduler, watchers, status, broadcasts, the socket) in this
// process, because only here can every SQLite statement it runs be seen:
// each row a statement returns is counted, and each statement it runs is
// planned by SQLite afterwards, where reading a table whole shows as a SCAN.
// Then it compares ten registrations next to 100 triggers with ten next to
// 2,000: the same rows must be read, and each TriggersChanged must name only
// the trigger that changed.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { tryConnect, type AgentClient } from "../../agent/cli/client";
import { loadConfig } from "../../agent/config";
import { startAgent, type RunningAgent } from "../../agent/daemon/agent";
import { AgentStatusChanged, RegisterSchedule, RegisterSchedules, TriggersChanged } from "../../agent/protocol";
import { baseEnv, removeDir, shellWorkflow, tempHome, writeWorkflow } from "./agent-harness";

/** Rows returned and statements run, by every better-sqlite3 statement of this process, while `counting`. */
const reads = { counting: false, rows: 0, statements: new Set<string>() };

function countStatements(): () => void {
  const proto = Object.getPrototypeOf(new Database(":memory:").prepare("SELECT 1")) as Record<string, (...args: unknown[]) => unknown>;
  const original = { get: proto.get!, all: proto.all!, run: proto.run! };
  const note = (statement: { source: string }, rows: number) => {
    if (!reads.counting) return;
    reads.rows += rows;
    reads.statements.add(statement.source);
  };
  proto.get = function (this: { source: string }, ...args: unknown[]) {
    const row = original.get.apply(this, args);
    note(this, row === undefined ? 0 : 1);
    return row;
  };
  proto.all = function (this: { source: string }, ...args: unknown[]) {
    const rows = original.all.apply(this, args) as unknown[];
    note(this, rows.length);
    return rows;
  };
  proto.run = function (this: { source: string }, ...args: unknown[]) {
    note(this, 0);
    return original.run.apply(this, args);
  };
  return () => Object.assign(proto, original);
}

const cronOf = (j: number) => `${j % 60} ${Math.floor(j / 60) % 24} ${1 + (Math.floor(j / 1440) % 28)} ${1 + (j % 12)} *`;

describe("the cost of one registration", () => {
  let home: string;
  let file: string;
  let agent: RunningAgent;
  let client: AgentClient;
  let restore: () => void;
  const changed: string[][] = [];
  let schedules = 0;
  let statusWaiter: { count: number; resolve: () => void } | undefined;

  before(async () => {
    restore = countStatements();
    home = tempHome("registration-cost");
    const work = join(home, "work");
    mkdirSync(work);
    file = writeWorkflow(work, "tick.workflow.ts", shellWorkflow("tick", "true"));
    agent = await startAgent({ config: loadConfig(baseEnv(home)), unsafeNoLock: true });
    client = (await tryConnect({ socketPath: agent.socketPath }))!;
    client.onNotification(TriggersChanged, ({ names }) => changed.push(names));
    client.onNotification(AgentStatusChanged, (status) => {
      if (statusWaiter && status.counts.schedules === statusWaiter.count) statusWaiter.resolve();
    });
  });
  after(async () => {
    restore();
    client.close();
    await agent.stop("the test ended");
    removeDir(home);
  });

  /**
   * Registers `count` more schedules in one bulk request (not measured).
   * Every reaction to a trigger change (the scheduler's re-arm, the watcher
   * manager's sync) runs before the status read that ends with this count,
   * and the status notification comes after them.
   */
  async function bulk(count: number): Promise<void> {
    const entries = Array.from({ length: count }, (_, i) => ({ file, cron: cronOf(schedules + i), timezone: "UTC", name: `bulk-${schedules + i}` }));
    await settled(schedules + count, () => client.request(RegisterSchedules, { schedules: entries }));
    schedules += count;
  }

  async function settled(count: number, act: () => Promise<unknown>): Promise<void> {
    const status = new Promise<void>((resolve) => (statusWaiter = { count, resolve }));
    await act();
    await status;
  }

  /** Ten registrations one by one, each until the agent has settled: the rows read and statements run. */
  async function tenRegistrations(label: string): Promise<{ rows: number; statements: Set<string>; names: string[][] }> {
    reads.rows = 0;
    reads.statements = new Set();
    changed.length = 0;
    reads.counting = true;
    for (let i = 0; i < 10; i++) {
      const name = `${label}-${i}`;
      await settled(schedules + 1, () => client.request(RegisterSchedule, { file, cron: cronOf(schedules), timezone: "UTC", name }));
      schedules++;
    }
    reads.counting = false;
    return { rows: reads.rows, statements: reads.statements, names: [...changed] };
  }

  test("reads the same rows next to 2,000 triggers as next to 100, names only itself, and no statement reads a table whole", async () => {
    await bulk(100);
    const few = await tenRegistrations("few");
    await bulk(1_890);
    const many = await tenRegistrations("many");

    assert.equal(many.rows, few.rows, `rows read by ten registrations: ${few.rows} next to 100 triggers, ${many.rows} next to 2,000`);
    assert.deepEqual(
      many.names,
      Array.from({ length: 10 }, (_, i) => [`many-${i}`]),
      "each registration is announced by its own name, never with the others",
    );

    const db = new Database(loadConfig(baseEnv(home)).dbFile, { readonly: true });
    try {
      const statements = [...new Set([...few.statements, ...many.statements])];
      // The agents table has a row per agent process, not per trigger: the
      // status that follows a change may sort it.
      const perTrigger = (sql: string) => !/\bFROM agents\b/.test(sql);
      const whole = statements
        .map((sql) => ({ sql, plan: planOf(db, sql) }))
        .filter(({ sql, plan }) => /\bSCAN (triggers|runs)\b/.test(plan) || (/TEMP B-TREE/.test(plan) && perTrigger(sql)));
      assert.deepEqual(whole, [], "statements run for a registration that read every trigger or run");
    } finally {
      db.close();
    }
  });
});

/** SQLite's plan for `sql`, its parameters bound to null (the plan does not depend on their values). */
function planOf(db: Database.Database, sql: string): string {
  const named = [...new Set([...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!))];
  const positional = (sql.match(/\?/g) ?? []).length;
  const statement = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (
    named.length > 0
      ? statement.all(Object.fromEntries(named.map((n) => [n, null])))
      : statement.all(...Array.from({ length: positional }, () => null))
  ) as Array<{ detail: string }>;
  return rows.map((r) => r.detail).join("\n");
}
