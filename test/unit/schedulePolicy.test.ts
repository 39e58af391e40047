// Catch-up, grace, overlap and resume decisions, on injected time.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nextFireAfter, parseCron, type CronSpec } from "../../agent/core/cron";
import {
  DEFAULT_CATCHUP_WINDOW_MS,
  DEFAULT_GRACE_MS,
  MISSED_LIST_LIMIT,
  missedOf,
  decideOverlap,
  nextOnResume,
  overlapSkipReason,
  planDue,
} from "../../agent/core/schedulePolicy";

const at = (iso: string) => Date.parse(iso);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const hourly = parseCron("0 * * * *", "UTC");
const daily = parseCron("0 9 * * *", "UTC");

/**
 * A scheduler on a fake clock: it is up except during `down` intervals, and
 * while up it looks at the schedule every `tickMs` and whenever a fire is
 * due, asking planDue what to do. Returns the instants it ran, in order.
 */
function simulate(args: {
  spec: CronSpec;
  from: number;
  to: number;
  catchup: "once" | "skip";
  down?: Array<[number, number]>;
  tickMs?: number;
}): number[] {
  const { spec, from, to, catchup } = args;
  const tickMs = args.tickMs ?? 30 * SECOND;
  const isDown = (t: number) => (args.down ?? []).some(([a, b]) => t >= a && t < b);
  let next = nextFireAfter(spec, from);
  const ran: number[] = [];
  let now = from;
  while (now <= to && next !== null) {
    if (!isDown(now) && next <= now) {
      const plan = planDue({ spec, nextFireAt: next, now, catchup });
      if (plan.fire) ran.push(plan.scheduledFor);
      assert.ok(plan.next === null || plan.next > now, "the next fire always moves past now");
      next = plan.next;
      continue;
    }
    // Wake at the next fire or the next tick, whichever is first; a machine
    // that is down wakes when it comes back.
    const wake = Math.min(next, now + tickMs);
    const end = (args.down ?? []).find(([a, b]) => wake >= a && wake < b)?.[1];
    now = end ?? Math.max(wake, now + 1);
  }
  return ran;
}

describe("planDue on time", () => {
  it("fires the due instant and moves to the following one", () => {
    const due = at("2026-01-05T09:00:00Z");
    assert.deepEqual(planDue({ spec: daily, nextFireAt: due, now: due + 3, catchup: "skip" }), {
      fire: true,
      scheduledFor: due,
      next: at("2026-01-06T09:00:00Z"),
      missed: 0,
      missedInstants: [],
      missedLast: null,
    });
  });

  it("does nothing for an instant that is not due yet", () => {
    const due = at("2026-01-05T09:00:00Z");
    const plan = planDue({ spec: daily, nextFireAt: due, now: due - 1, catchup: "once" });
    assert.equal(plan.fire, false);
    assert.equal(plan.next, due);
  });

  it("counts a fire within the grace period as on time under both policies", () => {
    const due = at("2026-01-05T09:00:00Z");
    for (const catchup of ["once", "skip"] as const) {
      const plan = planDue({ spec: daily, nextFireAt: due, now: due + DEFAULT_GRACE_MS, catchup });
      assert.equal(plan.fire, true, catchup);
      assert.equal(plan.scheduledFor, due);
    }
  });

  it("treats a fire later than the grace period as missed: skip drops it, once still runs it", () => {
    const due = at("2026-01-05T09:00:00Z");
    const now = due + DEFAULT_GRACE_MS + 1;
    const skip = planDue({ spec: daily, nextFireAt: due, now, catchup: "skip" });
    assert.equal(skip.fire, false);
    assert.equal(skip.missed, 1);
    assert.equal(skip.next, at("2026-01-06T09:00:00Z"));
    assert.match(skip.reason ?? "", /catchup: skip/);
    const once = planDue({ spec: daily, nextFireAt: due, now, catchup: "once" });
    assert.equal(once.fire, true);
    assert.equal(once.scheduledFor, due);
  });

  it("honours a grace period passed in", () => {
    const due = at("2026-01-05T09:00:00Z");
    assert.equal(planDue({ spec: daily, nextFireAt: due, now: due + 5 * SECOND, catchup: "skip", graceMs: 2 * SECOND }).fire, false);
    assert.equal(planDue({ spec: daily, nextFireAt: due, now: due + 5 * SECOND, catchup: "skip", graceMs: 10 * SECOND }).fire, true);
  });

  it("fires a slightly late seconds-level schedule once, for the latest instant, not once per second", () => {
    const spec = parseCron("* * * * * *", "UTC");
    const due = at("2026-01-05T09:00:00Z");
    const plan = planDue({ spec, nextFireAt: due, now: due + 3500, catchup: "skip" });
    assert.equal(plan.fire, true);
    assert.equal(plan.scheduledFor, due + 3000);
    assert.equal(plan.missed, 3);
    assert.equal(plan.next, due + 4000);
  });
});

describe("planDue after downtime", () => {
  const down = at("2026-01-05T00:00:00Z");
  const sixHoursLater = down + 6 * HOUR + 10 * MINUTE;

  it("with catchup once, fires exactly once after a 6-hour gap, for the latest missed instant", () => {
    const plan = planDue({ spec: hourly, nextFireAt: down, now: sixHoursLater, catchup: "once" });
    assert.equal(plan.fire, true);
    assert.equal(plan.scheduledFor, at("2026-01-05T06:00:00Z"));
    assert.equal(plan.missed, 6);
    assert.equal(plan.next, at("2026-01-05T07:00:00Z"));
    assert.match(plan.reason ?? "", /catch-up: fired once for 2026-01-05T06:00:00.000Z after missing 7 fires/);
  });

  it("with catchup skip, fires nothing after a 6-hour gap and moves past now", () => {
    const plan = planDue({ spec: hourly, nextFireAt: down, now: sixHoursLater, catchup: "skip" });
    assert.equal(plan.fire, false);
    assert.equal(plan.missed, 7);
    assert.equal(plan.next, at("2026-01-05T07:00:00Z"));
  });

  it("runs a 6-hour outage of a simulated scheduler once with catchup once and not at all with skip", () => {
    const from = at("2026-01-04T21:30:00Z");
    const outage: [number, number] = [at("2026-01-04T23:30:00Z"), at("2026-01-05T05:40:00Z")];
    const to = at("2026-01-05T05:50:00Z");
    const once = simulate({ spec: hourly, from, to, catchup: "once", down: [outage] });
    const skip = simulate({ spec: hourly, from, to, catchup: "skip", down: [outage] });
    const before = ["2026-01-04T22:00:00.000Z", "2026-01-04T23:00:00.000Z"];
    assert.deepEqual(once.map((ms) => new Date(ms).toISOString()), [...before, "2026-01-05T05:00:00.000Z"]);
    assert.deepEqual(skip.map((ms) => new Date(ms).toISOString()), before);
  });

  it("fires an hourly job once after three days down, then keeps its hourly cadence", () => {
    const from = at("2026-01-01T00:30:00Z");
    const outage: [number, number] = [at("2026-01-01T01:30:00Z"), at("2026-01-04T01:30:00Z")];
    const ran = simulate({ spec: hourly, from, to: at("2026-01-04T04:30:00Z"), catchup: "once", down: [outage] });
    assert.deepEqual(ran.map((ms) => new Date(ms).toISOString()), [
      "2026-01-01T01:00:00.000Z",
      "2026-01-04T01:00:00.000Z", // the one catch-up fire, on wake
      "2026-01-04T02:00:00.000Z",
      "2026-01-04T03:00:00.000Z",
      "2026-01-04T04:00:00.000Z",
    ]);
    const plan = planDue({ spec: hourly, nextFireAt: at("2026-01-01T02:00:00Z"), now: outage[1], catchup: "once" });
    // 72 hourly instants from Jan 1 02:00 to Jan 4 01:00; one of them runs.
    assert.equal(plan.missed, 71);
  });

  it("runs a daily job missed during a night's sleep once on wake with catchup once", () => {
    const sleep: [number, number] = [at("2026-01-05T08:00:00Z"), at("2026-01-05T12:00:00Z")];
    const ran = simulate({ spec: daily, from: at("2026-01-05T00:00:00Z"), to: at("2026-01-05T13:00:00Z"), catchup: "once", down: [sleep] });
    assert.deepEqual(ran, [at("2026-01-05T09:00:00Z")]);
  });

  it("does not catch up an instant older than the catch-up window", () => {
    const weekly = parseCron("0 9 * * 1", "UTC");
    const missedAt = at("2026-01-05T09:00:00Z");
    const now = missedAt + DEFAULT_CATCHUP_WINDOW_MS + MINUTE;
    const plan = planDue({ spec: weekly, nextFireAt: missedAt, now, catchup: "once" });
    assert.equal(plan.fire, false);
    assert.equal(plan.next, at("2026-01-12T09:00:00Z"));
    assert.match(plan.reason ?? "", /older than the catch-up window of 24 h/);
    const wider = planDue({ spec: weekly, nextFireAt: missedAt, now, catchup: "once", catchupWindowMs: 3 * DAY });
    assert.equal(wider.fire, true);
    assert.equal(wider.scheduledFor, missedAt);
  });

  it("measures the window from the latest missed instant, so a daily job down for a week still runs once", () => {
    const plan = planDue({ spec: daily, nextFireAt: at("2026-01-01T09:00:00Z"), now: at("2026-01-08T10:00:00Z"), catchup: "once" });
    assert.equal(plan.fire, true);
    assert.equal(plan.scheduledFor, at("2026-01-08T09:00:00Z"));
    assert.equal(plan.missed, 7);
  });

  it("counts every missed instant of a seconds-level schedule exactly, listing only the oldest", () => {
    const spec = parseCron("* * * * * *", "UTC");
    const nextFireAt = at("2026-01-05T00:00:00Z");
    const now = nextFireAt + 2 * HOUR + 500;
    const plan = planDue({ spec, nextFireAt, now, catchup: "once" });
    assert.equal(plan.fire, true);
    assert.equal(plan.scheduledFor, nextFireAt + 2 * HOUR);
    assert.equal(plan.next, nextFireAt + 2 * HOUR + SECOND);
    // 7201 due instants (both ends included); one of them runs.
    assert.equal(plan.missed, 7200);
    assert.equal(plan.missedInstants.length, MISSED_LIST_LIMIT);
    assert.equal(plan.missedInstants[0], nextFireAt);
    assert.equal(plan.missedLast, nextFireAt + 2 * HOUR - SECOND);
    assert.match(plan.reason ?? "", /after missing 7201 fires/);
  });

  it("reports which instants were missed, on the catch-up run and when nothing fires", () => {
    const down = at("2026-01-05T00:00:00Z");
    const now = down + 3 * HOUR + 10 * MINUTE;
    const once = planDue({ spec: hourly, nextFireAt: down, now, catchup: "once" });
    assert.deepEqual(missedOf(once), {
      count: 3,
      instants: ["2026-01-05T00:00:00.000Z", "2026-01-05T01:00:00.000Z", "2026-01-05T02:00:00.000Z"],
      last: "2026-01-05T02:00:00.000Z",
    });
    const skip = planDue({ spec: hourly, nextFireAt: down, now, catchup: "skip" });
    assert.equal(missedOf(skip)?.count, 4);
    assert.equal(missedOf(skip)?.last, "2026-01-05T03:00:00.000Z");
    assert.equal(missedOf(planDue({ spec: hourly, nextFireAt: down, now: down + 5, catchup: "skip" })), null);
  });

  it("counts the missed instants of a New York schedule across the spring-forward gap", () => {
    const ny = parseCron("0 * * * *", "America/New_York");
    // From local midnight to local midnight on 2027-03-14: 23 hourly instants.
    const plan = planDue({ spec: ny, nextFireAt: at("2027-03-14T05:00:00Z"), now: at("2027-03-15T04:00:00Z") - 1, catchup: "skip" });
    assert.equal(plan.missed, 23);
  });

  it("catches up a DST-shifted instant once and moves to the next day, not the repeated hour", () => {
    const ny = parseCron("30 1 * * *", "America/New_York");
    const first = at("2026-11-01T05:30:00Z");
    const plan = planDue({ spec: ny, nextFireAt: first, now: at("2026-11-01T06:40:00Z"), catchup: "once" });
    assert.equal(plan.fire, true);
    assert.equal(plan.scheduledFor, first);
    assert.equal(plan.missed, 0);
    assert.equal(plan.next, at("2026-11-02T06:30:00Z"));
    const gap = parseCron("30 2 * * *", "America/New_York");
    const onTime = planDue({ spec: gap, nextFireAt: at("2026-03-08T07:00:00Z"), now: at("2026-03-08T07:00:00.004Z"), catchup: "skip" });
    assert.deepEqual([onTime.fire, onTime.next], [true, at("2026-03-09T06:30:00Z")]);
  });
});

describe("planDue invariants", () => {
  it("never fires more than once, never for an instant after now, and always moves next past now", () => {
    // A seeded generator keeps the cases the same on every run.
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const specs = [
      hourly,
      daily,
      parseCron("*/15 * * * *", "Europe/Berlin"),
      parseCron("30 2 * * *", "America/New_York"),
      parseCron("*/7 * * * * *", "UTC"),
      parseCron("0 9 1 * 1", "Asia/Tokyo"),
    ];
    for (let i = 0; i < 300; i++) {
      const spec = specs[i % specs.length]!;
      const start = at("2026-01-01T00:00:00Z") + Math.floor(random() * 330 * DAY);
      const nextFireAt = nextFireAfter(spec, start)!;
      const now = nextFireAt + Math.floor(random() ** 3 * 4 * DAY);
      const catchup = random() < 0.5 ? "once" : "skip";
      const plan = planDue({ spec, nextFireAt, now, catchup });
      const label = `${spec.expression} ${spec.timezone} ${new Date(nextFireAt).toISOString()} → ${new Date(now).toISOString()} ${catchup}`;
      assert.ok(plan.next !== null && plan.next > now, label);
      assert.equal(plan.next, nextFireAfter(spec, now), label);
      assert.ok(plan.scheduledFor >= nextFireAt && plan.scheduledFor <= now, label);
      assert.ok(plan.missed >= 0, label);
      if (now - nextFireAt <= DEFAULT_GRACE_MS) assert.equal(plan.fire, true, label);
      if (plan.fire && catchup === "skip") assert.ok(now - nextFireAt <= DEFAULT_GRACE_MS, label);
    }
  });
});

describe("decideOverlap", () => {
  const cases: Array<[Parameters<typeof decideOverlap>[0], number, number, string]> = [
    ["skip", 0, 0, "start"],
    ["skip", 1, 0, "skip"],
    ["queue", 0, 0, "start"],
    ["queue", 1, 0, "queue"],
    ["queue", 1, 1, "skip"],
    ["queue", 0, 1, "skip"],
    ["parallel", 0, 0, "start"],
    ["parallel", 3, 0, "start"],
  ];
  for (const [policy, running, queued, expected] of cases) {
    it(`with overlap ${policy}, ${running} running and ${queued} queued, decides ${expected}`, () => {
      assert.equal(decideOverlap(policy, { running, queued }), expected);
    });
  }

  it("keeps at most one run waiting under queue, however many fires arrive", () => {
    const state = { running: 1, queued: 0 };
    const decisions = Array.from({ length: 5 }, () => {
      const decision = decideOverlap("queue", state);
      if (decision === "queue") state.queued++;
      return decision;
    });
    assert.deepEqual(decisions, ["queue", "skip", "skip", "skip", "skip"]);
    assert.equal(state.queued, 1);
  });

  it("gives a skipped run a reason that names the policy", () => {
    assert.match(overlapSkipReason("skip", { running: 1, queued: 0 }), /previous run is still running \(overlap: skip\)/);
    assert.match(overlapSkipReason("queue", { running: 1, queued: 1 }), /already waiting.*overlap: queue/);
  });
});

describe("nextOnResume", () => {
  it("resumes on the schedule's own cadence, without a backlog", () => {
    const quarter = parseCron("*/15 * * * *", "UTC");
    assert.equal(nextOnResume(quarter, at("2026-01-08T10:07:00Z")), at("2026-01-08T10:15:00Z"));
    assert.equal(nextOnResume(hourly, at("2026-01-08T10:17:00Z")), at("2026-01-08T11:00:00Z"));
  });
});
