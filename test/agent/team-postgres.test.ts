// Team mode for real: several agent processes, each with its own home and
// HTTP port, sharing one PostgreSQL database (a throwaway cluster started
// by test/helpers/postgres.ts; skipped, loudly, only when none can start).
// Each agent goes by its own host name (CLOCKWORK_HOST), so pinning and
// leases behave as on separate machines.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { RunChanged, Status, TriggersChanged, type AgentStatus, type RunSummary } from "../../agent/protocol";
import { openPostgresStore } from "../../agent/store/postgres";
import type { Store } from "../../agent/store";
import { postgresOrSkip } from "../helpers/postgres";
import { AgentProcess, cli, mostAtOnce, recordNotifications, removeDir, tempHome, writeWorkflow, type Watcher } from "./agent-harness";

const pg = postgresOrSkip("the team-mode tests (several agents on one PostgreSQL)");
after(() => pg.cluster?.stop());

const LEASE_MS = 3000;

interface Member {
  home: string;
  host: string;
  agent: AgentProcess;
  watcher: Watcher;
  status: AgentStatus;
  env: NodeJS.ProcessEnv;
}

/** A team on a fresh database: `hosts.length` agents, each its own home and host name. */
async function startTeam(url: string, hosts: string[], extra: NodeJS.ProcessEnv = {}): Promise<Member[]> {
  return Promise.all(
    hosts.map(async (host) => {
      const home = tempHome(`team-${host}`);
      const env = { CLOCKWORK_DATABASE_URL: url, CLOCKWORK_HOST: host, CLOCKWORK_AGENT_LEASE_MS: String(LEASE_MS), ...extra };
      const agent = await AgentProcess.start(home, env);
      const watcher = await agent.watch();
      const status = await watcher.client.request(Status, undefined);
      return { home, host, agent, watcher, status, env };
    }),
  );
}

/** Stops every agent (gracefully); their homes go with `removeHomes`. */
async function stopTeam(members: Member[]): Promise<void> {
  for (const m of members) m.watcher.client.close();
  await Promise.all(members.map((m) => m.agent.stop()));
}

function removeHomes(members: Member[]): void {
  for (const m of members) removeDir(m.home);
}

/** Which agent host executed each run (its owner). */
async function executors(store: Store, runs: RunSummary[]): Promise<Map<string, string>> {
  const hosts = new Map<string, string>();
  for (const run of runs) hosts.set(run.id, (await store.runs.ownerOf(run.id))?.host ?? "none");
  return hosts;
}

/** The processes of group `pgid` that have not exited (a zombie has). */
function liveMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return fields[0] !== "Z" && Number(fields[2]) === pgid ? [Number(name)] : [];
      } catch {
        return [];
      }
    });
}

/** Another process's exit (or a row another process writes) sends us no event: look again every few milliseconds, up to a hang guard. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const giveUp = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > giveUp) throw new Error(`${what}: not within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function post(url: string, body: string, secret: string): Promise<{ status: number; body: string }> {
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json", "x-clockwork-signature": signature } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", () => resolve({ status: 0, body: text }));
    });
    // An agent killed mid-request answers nothing: that delivery was not accepted.
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end(body);
  });
}

/** Registers `file` as the webhook `name` through `member` (`flags` such as --pin); its secret. */
async function registerWebhook(member: Member, file: string, name: string, ...flags: string[]): Promise<string> {
  const registered = await cli(member.home, ["register-webhook", file, "--name", name, ...flags, "--json"], member.env);
  assert.equal(registered.code, 0, registered.stderr);
  return (JSON.parse(registered.stdout) as { secret: string }).secret;
}

/** Delivers `{}` to the webhook `name` at `member`; the id of the run it accepted. */
async function deliver(member: Member, name: string, secret: string): Promise<string> {
  const answer = await post(`${member.status.httpUrl}/webhook/${name}`, "{}", secret);
  assert.equal(answer.status, 202, answer.body);
  return (JSON.parse(answer.body) as { run_id: string }).run_id;
}

/** Resolves once the run's step process and its first output line are in the store. */
const stepRecorded = (store: Store, runId: string) =>
  until(async () => (await store.runs.stepProcesses(runId)).length > 0 && (await store.runs.logsAfter(runId, 0)).length > 0, "the step's process and first line recorded");

/**
 * A TCP relay between one agent and PostgreSQL that can cut the agent off
 * the database and let it back: a network partition of that agent alone.
 */
async function partition(databasePort: number) {
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((inbound) => {
    if (down) return inbound.destroy();
    const outbound = connect(databasePort, "127.0.0.1");
    for (const [from, to] of [[inbound, outbound], [outbound, inbound]] as const) {
      sockets.add(from);
      from.on("error", () => undefined);
      from.on("close", () => (sockets.delete(from), to.destroy()));
      from.pipe(to);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cut = () => {
    down = true;
    for (const socket of sockets) socket.destroy();
  };
  return {
    /** `url` reaching the database through this relay. */
    through: (url: string) => url.replace(`@127.0.0.1:${databasePort}/`, `@127.0.0.1:${(server.address() as AddressInfo).port}/`),
    cut,
    restore: () => void (down = false),
    close: () => new Promise<void>((resolve) => (cut(), server.close(() => resolve()))),
  };
}

test("pinning a trigger to a host is refused on SQLite, naming team mode", async () => {
  const home = tempHome("pin-sqlite");
  try {
    const file = writeWorkflow(home, "p.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "p", steps: [shell("main", "true")] });\n`);
    const result = await cli(home, ["register", file, "--cron", "@daily", "--pin", "host-x"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /pinning to host "host-x" needs team mode: set CLOCKWORK_DATABASE_URL/);
  } finally {
    removeDir(home);
  }
});

if (pg.cluster === null) {
  test("several agents on one PostgreSQL", { skip: pg.reason }, () => undefined);
} else {
  const cluster = pg.cluster;

  describe("several agents on one PostgreSQL", () => {
    test("per-second schedules: every due instant runs exactly once across three agents, and history anywhere shows every agent's runs", async (t) => {
      const url = cluster.createDatabase("instants");
      const setup = tempHome("team-setup");
      const file = writeWorkflow(setup, "tick.workflow.ts", `import { defineWorkflow, code } from "clockwork";\nexport default defineWorkflow({ name: "tick", steps: [code("main", () => "ok")] });\n`);
      const SCHEDULES = 10;
      const INSTANTS = 100;
      for (let i = 0; i < SCHEDULES; i++) {
        const registered = await cli(setup, ["register", file, "--cron", "* * * * * *", "--name", `tick${i}`, "--overlap", "parallel"], { CLOCKWORK_DATABASE_URL: url });
        assert.equal(registered.code, 0, registered.stderr);
      }
      const team = await startTeam(url, ["host-a", "host-b", "host-c"], { CLOCKWORK_MAX_CONCURRENT_RUNS: "4" });
      // Instants are counted from once the whole team is up: before, a schedule registered earlier
      // may miss instants while agents start (catch-up fires the latest one once).
      const since = Date.now() + 1000;
      const store = await openPostgresStore(url);
      try {
        // One agent's socket sees every agent's runs (relayed); wait there for the instants to have run.
        const counted = (r: RunSummary) => r.triggerKind === "cron" && r.status === "success" && Date.parse(r.scheduledFor!) >= since;
        const done = (runs: RunSummary[]) => new Set(runs.filter(counted).map((r) => r.id)).size >= INSTANTS;
        await team[0]!.watcher.until((runs) => done(runs) || undefined, `${INSTANTS} successful fires`);
        await stopTeam(team);

        const runs = (await store.runs.listRuns({ limit: 100_000 })).filter((r) => r.triggerKind === "cron" && Date.parse(r.scheduledFor!) >= since);
        const byTrigger = new Map<string, number[]>();
        for (const run of runs) byTrigger.set(run.triggerName!, [...(byTrigger.get(run.triggerName!) ?? []), Date.parse(run.scheduledFor!)]);
        let merged = 0;
        for (const [name, instants] of byTrigger) {
          instants.sort((a, b) => a - b);
          assert.equal(new Set(instants).size, instants.length, `${name}: an instant fired twice`);
          // An agent more than a second late fires the latest missed instant once (catch-up), whichever agent it is.
          for (let i = 1; i < instants.length; i++) merged += (instants[i]! - instants[i - 1]!) / 1000 - 1;
        }
        t.diagnostic(`instants merged by catch-up under load: ${merged}`);
        // The claim rows say the same from the database's side: one claim per instant, each with its one run.
        const database = url.split("/").pop()!;
        const claims = cluster.psql(database, `SELECT COUNT(*), COUNT(DISTINCT run_id), COUNT(*) FILTER (WHERE run_id IS NULL) FROM schedule_claims`).trim();
        const cronRows = cluster.psql(database, `SELECT COUNT(*), COUNT(DISTINCT (trigger_id, scheduled_for)) FROM runs WHERE trigger_kind = 'cron'`).trim();
        const [claimCount, claimRuns] = claims.split("|").map(Number);
        const [cronCount, cronInstants] = cronRows.split("|").map(Number);
        assert.equal(cronCount, cronInstants, "no (trigger, instant) has two runs");
        assert.equal(claimRuns, cronCount, "every run of an instant is the one its claim names");
        assert.ok(claimCount! >= cronCount!, "every run's instant was claimed");
        assert.ok(runs.length >= INSTANTS);
        assert.deepEqual(runs.filter((r) => r.status !== "success" && r.status !== "queued").map((r) => `${r.id}: ${r.status} ${r.error}`), []);
        const hosts = await executors(store, runs.filter((r) => r.status === "success"));
        const perHost = [...hosts.values()].reduce((m, h) => m.set(h, (m.get(h) ?? 0) + 1), new Map<string, number>());
        t.diagnostic(`runs executed per agent: ${[...perHost].map(([h, n]) => `${h} ${n}`).join(", ")}`);
        assert.ok(perHost.size >= 2, "the instants are shared between agents");
        // host-a's socket client saw the other agents' runs finish, as they happened.
        const seenOnA = new Set(team[0]!.watcher.runs.filter((r) => r.status === "success").map((r) => r.id));
        const elsewhere = [...hosts].filter(([, h]) => h !== "host-a").map(([id]) => id);
        assert.ok(elsewhere.some((id) => seenOnA.has(id)), "run events from other agents reach this agent's clients");

        // `clockwork history` from one agent's home lists runs the others executed.
        const history = await cli(team[0]!.home, ["history", "--limit", "1000", "--json"], team[0]!.env);
        assert.equal(history.code, 0, history.stderr);
        const listed = new Set((JSON.parse(history.stdout) as RunSummary[]).map((r) => r.id));
        const others = [...hosts].filter(([, h]) => h !== "host-a").map(([id]) => id);
        assert.ok(others.length > 0 && others.every((id) => listed.has(id)), "history shows the runs other agents executed");
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await store.close();
        removeDir(setup);
      }
    });

    test("kill -9 of one agent mid-burst of webhooks: every 2xx is one row, and every accepted run succeeds except those started on the killed agent, which name it", async (t) => {
      const url = cluster.createDatabase("burst");
      const team = await startTeam(url, ["host-a", "host-b"], { CLOCKWORK_MAX_CONCURRENT_RUNS: "2" });
      const [a, b] = team as [Member, Member];
      const store = await openPostgresStore(url);
      try {
        const file = writeWorkflow(a.home, "slow.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "slow", steps: [shell("main", "sleep 1; echo done")] });\n`);
        const secret = await registerWebhook(a, file, "burst");
        const bId = b.status.agents!.find((p) => p.self)!.id;

        const send = (member: Member, i: number) => post(`${member.status.httpUrl}/webhook/burst`, JSON.stringify({ i }), secret);
        // First half: both agents accept deliveries, and the one about to die starts some of them.
        const responses: Array<Promise<{ status: number; body: string }>> = [];
        for (let i = 0; i < 40; i++) responses.push(send(i % 2 === 0 ? a : b, i));
        await Promise.all(responses);
        // A run takes a second, so one seen running here is still running when the kill comes.
        const startedOnB = async () => {
          for (const run of await store.runs.activeRuns()) {
            if (run.status === "running" && (await store.runs.ownerOf(run.id))?.host === "host-b") return true;
          }
          return undefined;
        };
        while (!(await startedOnB())) {
          await new Promise<void>((resolve) => {
            const off = b.watcher.client.onNotification(RunChanged, () => {
              off();
              resolve();
            });
          });
        }
        await b.agent.kill9();
        // Second half, after the kill: the survivor accepts; the dead agent answers nothing.
        for (let i = 40; i < 60; i++) responses.push(send(i % 2 === 0 ? a : b, i));
        const answered = await Promise.all(responses);
        const DELIVERIES = responses.length;
        const accepted = answered.filter((r) => r.status >= 200 && r.status < 300).map((r) => (JSON.parse(r.body) as { run_id: string }).run_id);
        t.diagnostic(`${accepted.length} of ${DELIVERIES} deliveries accepted`);
        assert.equal(new Set(accepted).size, accepted.length, "every 2xx names its own run");
        for (const id of accepted) assert.ok(await store.runs.getSummary(id), `a 2xx without a row: ${id}`);

        // Every webhook run (accepted, or written just before the kill) ends; the survivor sees each end.
        const all = (await store.runs.listRuns({ trigger: "burst", limit: 1000 })).map((r) => r.id);
        await a.watcher.until((runs) => {
          const latest = new Map(runs.map((r) => [r.id, r.status]));
          return all.every((id) => ["success", "failed", "cancelled"].includes(latest.get(id) ?? "")) || undefined;
        }, "every webhook run to finish");
        const finished = await Promise.all(all.map((id) => store.runs.getSummary(id)));
        const failed = finished.filter((r) => r!.status !== "success");
        t.diagnostic(`${finished.length - failed.length} succeeded, ${failed.length} failed with the killed agent`);
        for (const run of failed) {
          assert.equal(run!.status, "failed");
          assert.match(run!.error ?? "", new RegExp(`interrupted: agent ${bId} on host-b .*stopped heartbeating`));
        }
        assert.ok(failed.length > 0, "the runs the killed agent had started are failed");
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await store.close();
      }
    });

    test("a schedule registered while the agents sleep (by a command, with no agent of its own) is re-armed on every agent at once", async () => {
      const url = cluster.createDatabase("rearm");
      // No schedules yet: each agent sleeps up to 30 s before it looks at the table again.
      const team = await startTeam(url, ["host-a", "host-b"]);
      const setup = tempHome("team-rearm");
      try {
        const file = writeWorkflow(setup, "soon.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "soon", steps: [shell("main", "true")] });\n`);
        const registered = await cli(setup, ["register", file, "--cron", "*/5 * * * * *", "--name", "soon", "--json"], { CLOCKWORK_DATABASE_URL: url });
        assert.equal(registered.code, 0, registered.stderr);
        const nextFireAt = (JSON.parse(registered.stdout) as { schedule: { nextFireAt: string } }).schedule.nextFireAt;
        // Re-armed by the notification, an agent fires the very instant the command computed;
        // woken only by its 30 s timer, it would fire a later one (catch-up).
        const first = await team[0]!.watcher.until((runs) => runs.find((r) => r.triggerName === "soon"), "the first fire");
        assert.equal(first.scheduledFor, nextFireAt);
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        removeDir(setup);
      }
    });

    test("a pinned webhook's delivery accepted on one agent runs on the pinned host, and a cancel asked on the first agent stops it there", async () => {
      const url = cluster.createDatabase("cancel");
      const team = await startTeam(url, ["host-a", "host-b"]);
      const [a] = team as [Member, Member];
      const store = await openPostgresStore(url);
      try {
        const file = writeWorkflow(a.home, "long.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "long", steps: [shell("main", "sleep 60")] });\n`);
        const secret = await registerWebhook(a, file, "long", "--pin", "host-b");
        const runId = await deliver(a, "long", secret);
        await a.watcher.until((runs) => runs.some((r) => r.id === runId && r.status === "running") || undefined, "the run started (on host-b)");
        assert.equal((await store.runs.ownerOf(runId))?.host, "host-b");
        const cancelled = await cli(a.home, ["cancel", runId, "--json"], a.env);
        assert.equal(cancelled.code, 0, cancelled.stderr);
        assert.equal((JSON.parse(cancelled.stdout) as RunSummary).status, "cancelled");
        assert.equal((await store.runs.getSummary(runId))?.status, "cancelled");
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await store.close();
      }
    });

    test("status shows the shared store without its password and every agent alive", async () => {
      const url = cluster.createDatabase("status");
      const team = await startTeam(url, ["host-a", "host-b"]);
      try {
        const result = await cli(team[0]!.home, ["status", "--json"], team[0]!.env);
        assert.equal(result.code, 0, result.stderr);
        assert.ok(!result.stdout.includes(cluster.password), "the password is never shown");
        const state = JSON.parse(result.stdout) as { state: string; status: AgentStatus };
        assert.equal(state.status.store?.kind, "postgres");
        assert.match(state.status.store!.location, /^postgres:\/\/clockwork:\*\*\*@127\.0\.0\.1:\d+\/status_/);
        assert.deepEqual(state.status.agents!.map((a) => [a.host, a.alive, a.self]).sort(), [["host-a", true, true], ["host-b", true, false]]);
        const text = await cli(team[1]!.home, ["status"], team[1]!.env);
        assert.match(text.stdout, /store {5}postgres postgres:\/\/clockwork:\*\*\*@/);
        assert.match(text.stdout, /agents {4}2 alive of 2/);
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
      }
    });

    test("a watcher is pinned to the host that registered it: it never fires on another agent", async () => {
      const url = cluster.createDatabase("pinned");
      const team = await startTeam(url, ["host-a", "host-b"]);
      const [a, b] = team as [Member, Member];
      const store = await openPostgresStore(url);
      const watched = join(a.home, "inbox");
      mkdirSync(watched);
      try {
        const file = writeWorkflow(a.home, "inbox.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "inbox", steps: [shell("main", "echo {trigger.path}")] });\n`);
        const registered = await cli(a.home, ["register-watcher", file, "--path", watched, "--name", "inbox", "--json"], a.env);
        assert.equal(registered.code, 0, registered.stderr);
        const listedOnB = await cli(b.home, ["list-triggers", "--json"], b.env);
        assert.equal((JSON.parse(listedOnB.stdout) as Array<{ name: string; host?: string }>).find((r) => r.name === "inbox")?.host, "host-a");

        const FILES = 3;
        for (let i = 0; i < FILES; i++) {
          writeFileSync(join(watched, `note${i}.txt`), `note ${i}`);
          // One at a time, so each change is its own run.
          await b.watcher.until((runs) => runs.filter((r) => r.triggerKind === "file" && r.status === "success").length > i || undefined, `file run ${i}`);
        }
        await stopTeam(team);
        const runs = (await store.runs.listRuns({ trigger: "inbox" })).filter((r) => r.triggerKind === "file");
        assert.equal(runs.length, FILES, "one run per file: no second agent fired for the same change");
        assert.deepEqual([...new Set((await executors(store, runs)).values())], ["host-a"]);
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await store.close();
      }
    });

    test("a database outage: deliveries get 500 while it is down, and the agents work again once it is back, without a restart", async () => {
      const url = cluster.createDatabase("outage");
      const team = await startTeam(url, ["host-a", "host-b"]);
      const [a, b] = team as [Member, Member];
      try {
        const file = writeWorkflow(a.home, "ok.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "ok", steps: [shell("main", "true")] });\n`);
        const secret = await registerWebhook(a, file, "outage");
        // An agent whose listening connection comes back tells its clients that every trigger may have
        // changed (what was announced while it was away was missed), so they re-read.
        const resynced = team.map((m) => recordNotifications(m.watcher.client, TriggersChanged));
        const before = resynced.map((notes) => notes.seen.length);
        cluster.pause();
        let resumed = false;
        try {
          const during = await post(`${a.status.httpUrl}/webhook/outage`, "{}", secret);
          assert.equal(during.status, 500, "a delivery that cannot be recorded is not accepted: the sender retries");
          cluster.resume();
          resumed = true;
        } finally {
          if (!resumed) cluster.resume();
        }
        for (const [i, notes] of resynced.entries()) await notes.until((n) => notes.seen.indexOf(n) >= before[i]! && n.names.includes("outage"));
        // Both agents, still running, accept and run deliveries again; one's run is seen by the other's client.
        for (const member of [a, b]) {
          const after = await post(`${member.status.httpUrl}/webhook/outage`, "{}", secret);
          assert.equal(after.status, 202, after.body);
          const runId = (JSON.parse(after.body) as { run_id: string }).run_id;
          await a.watcher.until((runs) => runs.some((r) => r.id === runId && r.status === "success") || undefined, `the delivery to ${member.host} after the outage`);
        }
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
      }
    });

    test("a schedule pinned with --pin runs only on that host's agents, whoever claims its instants", async () => {
      const url = cluster.createDatabase("pinsched");
      const team = await startTeam(url, ["host-a", "host-b"]);
      const [a, b] = team as [Member, Member];
      const store = await openPostgresStore(url);
      try {
        const file = writeWorkflow(a.home, "local.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "local", steps: [shell("main", "true")] });\n`);
        const registered = await cli(a.home, ["register", file, "--cron", "* * * * * *", "--name", "local", "--overlap", "parallel", "--pin", "host-b", "--json"], a.env);
        assert.equal(registered.code, 0, registered.stderr);
        assert.equal((JSON.parse(registered.stdout) as { host?: string }).host, "host-b");
        await a.watcher.until((runs) => runs.filter((r) => r.triggerName === "local" && r.status === "success").length >= 6 || undefined, "six runs of the pinned schedule");
        await stopTeam(team);
        const runs = (await store.runs.listRuns({ trigger: "local", limit: 1000 })).filter((r) => r.status === "success");
        assert.deepEqual([...new Set((await executors(store, runs)).values())], ["host-b"]);
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await store.close();
      }
    });

    test("kill -9 of an agent mid-step: another host fails the run, and the step's processes end when an agent of their host starts", async () => {
      const url = cluster.createDatabase("leftover");
      const team = await startTeam(url, ["host-a", "host-b"]);
      const [a, b] = team as [Member, Member];
      const store = await openPostgresStore(url);
      let restarted: AgentProcess | undefined;
      try {
        const file = writeWorkflow(a.home, "long.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "long", steps: [shell("main", "sleep 600")] });\n`);
        const secret = await registerWebhook(a, file, "long", "--pin", "host-a");
        const runId = await deliver(b, "long", secret);
        await until(async () => (await store.runs.stepProcesses(runId)).length > 0, "the step's process group recorded");
        const [group] = await store.runs.stepProcesses(runId);
        assert.ok(liveMembers(group!.pgid).length > 0, "the step runs");

        await a.agent.kill9();
        const failed = await b.watcher.until((runs) => runs.find((r) => r.id === runId && r.status === "failed"), "host-b taking over");
        assert.match(failed.error ?? "", /taken over by agent \S+ on host-b/);
        assert.ok(liveMembers(group!.pgid).length > 0, "host-b cannot end another machine's processes");

        restarted = await AgentProcess.start(a.home, a.env);
        await until(() => liveMembers(group!.pgid).length === 0, "the leftover step process ended");
        assert.deepEqual(await store.runs.leftoverProcesses("host-a"), []);
        assert.match(restarted.output, /ended \d+ step process(es)? left running by runs another agent took over/);
      } finally {
        await restarted?.stop().catch(() => undefined);
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await store.close();
      }
    });

    test("an agent cut off the database while a run finishes elsewhere tells its clients, once back, the output and the end they missed", async () => {
      const url = cluster.createDatabase("catchup");
      const link = await partition(cluster.port);
      const [a] = await startTeam(link.through(url), ["host-a"]);
      const [b] = await startTeam(url, ["host-b"]);
      const team = [a!, b!];
      try {
        const go = join(a!.home, "go");
        const file = writeWorkflow(
          a!.home,
          "gated.workflow.ts",
          `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "gated", steps: [shell("main", "echo before; while [ ! -e ${go} ]; do sleep 0.05; done; echo after")] });\n`,
        );
        const secret = await registerWebhook(a!, file, "gated", "--pin", "host-b");
        const runId = await deliver(a!, "gated", secret);
        // host-a's client follows the run executing on host-b, up to its first line.
        await a!.watcher.until(() => a!.watcher.logs.some((c) => c.runId === runId && c.text.includes("before")), "host-a's client hearing the run's first line");

        // Cut off, host-a hears nothing of how the run goes on and ends.
        link.cut();
        writeFileSync(go, "");
        await b!.watcher.until((runs) => runs.some((r) => r.id === runId && r.status === "success"), "the run's success on host-b");
        assert.ok(!a!.watcher.runs.some((r) => r.id === runId && r.status === "success"), "host-a cannot have heard the end while cut off");
        link.restore();

        await a!.watcher.until((runs) => runs.some((r) => r.id === runId && r.status === "success"), "host-a's client hearing the run's end once host-a is back");
        assert.ok(a!.watcher.logs.some((c) => c.runId === runId && c.text.includes("after")), "host-a's client got the line written while it was cut off");
        assert.ok(a!.watcher.steps.some((s) => s.runId === runId && s.step.status === "success"), "and the step's end");
        const lines = a!.watcher.logs.filter((c) => c.runId === runId).map((c) => c.seq);
        assert.deepEqual(lines, [...new Set(lines)], "no line twice");
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await link.close();
      }
    });

    test("a backfill of a skip schedule runs one instant at a time across the team, whichever agent takes each", async () => {
      const url = cluster.createDatabase("backfill");
      const team = await startTeam(url, ["host-a", "host-b"], { CLOCKWORK_MAX_CONCURRENT_RUNS: "4" });
      const [a] = team as [Member, Member];
      try {
        const log = join(a.home, "overlap.log");
        writeFileSync(log, "");
        const file = writeWorkflow(a.home, "slices.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "slices", steps: [shell("main", "echo start >> ${log}; sleep 0.3; echo end >> ${log}")] });\n`);
        const registered = await cli(a.home, ["register", file, "--cron", "0 * * * *", "--tz", "UTC", "--name", "slices", "--overlap", "skip"], a.env);
        assert.equal(registered.code, 0, registered.stderr);
        const queued = await cli(a.home, ["backfill", "slices", "--from", "2025-01-01T00:00:00Z", "--to", "2025-01-01T06:00:00Z", "--json"], a.env);
        assert.equal(queued.code, 0, queued.stderr);
        const ids = (JSON.parse(queued.stdout) as { instants: Array<{ runId: string }> }).instants.map((i) => i.runId);
        assert.equal(ids.length, 6);
        await a.watcher.until((runs) => ids.every((id) => runs.some((r) => r.id === id && r.status === "success")) || undefined, "every backfill run's success");
        const lines = readFileSync(log, "utf8");
        assert.equal(mostAtOnce(lines), 1, `one at a time:\n${lines}`);
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
      }
    });

    test("a cancel asked while the executing agent is cut off the database reaches it once it is back", async () => {
      const url = cluster.createDatabase("cancelcut");
      const link = await partition(cluster.port);
      // A lease longer than the cut: host-b stays the run's agent instead of being taken over.
      const [a] = await startTeam(url, ["host-a"], { CLOCKWORK_AGENT_LEASE_MS: "120000" });
      const [b] = await startTeam(link.through(url), ["host-b"], { CLOCKWORK_AGENT_LEASE_MS: "120000" });
      const team = [a!, b!];
      const store = await openPostgresStore(url);
      try {
        const file = writeWorkflow(a!.home, "long.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "long", steps: [shell("main", "echo started; sleep 600")] });\n`);
        const secret = await registerWebhook(a!, file, "long", "--pin", "host-b");
        const runId = await deliver(a!, "long", secret);
        // Cut off once the step runs and is recorded: the run itself has nothing more to write until it ends.
        await stepRecorded(store, runId);
        link.cut();
        // host-a asks; host-b hears nothing, so after its wait host-a answers that the run still runs.
        const asked = await cli(a!.home, ["cancel", runId, "--json"], a!.env);
        assert.equal(asked.code, 0, asked.stderr);
        assert.equal((JSON.parse(asked.stdout) as RunSummary).status, "running");
        link.restore();

        const ended = await b!.watcher.until((runs) => runs.find((r) => r.id === runId && r.finishedAt !== null), "the run's end on host-b once it is back");
        assert.equal(ended.status, "cancelled");
        assert.equal((await store.runs.getSummary(runId))?.status, "cancelled");
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await store.close();
        await link.close();
      }
    });

    test("a queued run whose cancel its agent never heard is ended, unstarted, by the agent that takes it from the shared queue", async () => {
      // As left by an agent cut off while it held the run queued, then
      // taken over: the run back in the shared queue, the cancel kept.
      const url = cluster.createDatabase("queuedcancel");
      const setup = tempHome("team-queued-cancel");
      const marker = join(setup, "ran");
      const file = writeWorkflow(setup, "mark.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "mark", steps: [shell("main", "touch ${marker}")] });\n`);
      const store = await openPostgresStore(url);
      let team: Member[] = [];
      try {
        const queued = await store.runs.insertRun({ workflowName: "mark", workflowFile: file, triggerKind: "manual", status: "queued" });
        await store.runs.requestCancel(queued.id);
        team = await startTeam(url, ["host-a"]);
        await until(async () => (await store.runs.getSummary(queued.id))?.finishedAt != null, "the queued run to be ended");
        const ended = (await store.runs.getSummary(queued.id))!;
        assert.equal(ended.status, "cancelled");
        assert.match(ended.error ?? "", /cancelled by request before it started/);
        assert.equal(ended.startedAt, null);
        assert.equal(existsSync(marker), false, "its step never ran");
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        removeDir(setup);
        await store.close();
      }
    });

    test("a run that ends while its agent is cut off the database is recorded once the database is back, not left running", async () => {
      const url = cluster.createDatabase("endcut");
      const link = await partition(cluster.port);
      const [b] = await startTeam(link.through(url), ["host-b"], { CLOCKWORK_AGENT_LEASE_MS: "120000" });
      const team = [b!];
      const store = await openPostgresStore(url);
      try {
        const gate = join(b!.home, "gate");
        const file = writeWorkflow(b!.home, "gated.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "gated", steps: [shell("main", "echo started; while [ ! -e ${gate} ]; do sleep 0.05; done")] });\n`);
        const secret = await registerWebhook(b!, file, "gated");
        const runId = await deliver(b!, "gated", secret);
        await stepRecorded(store, runId);

        // The run ends while nothing it writes can reach the database.
        link.cut();
        writeFileSync(gate, "");
        await until(() => readFileSync(join(b!.home, "agent.log"), "utf8").includes(`run ${runId}: could not record its end`), "the agent noticing it cannot record the end");
        assert.equal((await store.runs.getSummary(runId))?.status, "running");
        link.restore();

        const ended = await b!.watcher.until((runs) => runs.find((r) => r.id === runId && r.finishedAt !== null), "the run's end once the database is back");
        assert.equal((await store.runs.getSummary(runId))?.status, ended.status);
        assert.match(ended.error ?? "", /Connection terminated|ECONNRESET|ECONNREFUSED|connect/, "the failure names the lost database");
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await store.close();
        await link.close();
      }
    });

    test("a run trigger reacts exactly once to each watched run, whichever agent finished it (every agent hears every finish)", async () => {
      const url = cluster.createDatabase("runtrig");
      const team = await startTeam(url, ["host-a", "host-b"]);
      const [a, b] = team as [Member, Member];
      const store = await openPostgresStore(url);
      const PER_HOST = 4;
      try {
        const upstream = writeWorkflow(a.home, "upstream.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "upstream", steps: [shell("main", "exit 3")] });\n`);
        const notify = writeWorkflow(a.home, "notify.workflow.ts", `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "notify", steps: [shell("main", "true")] });\n`);
        // One webhook pinned to each host, so the watched runs finish on both agents.
        const secrets: string[] = [];
        for (const host of ["host-a", "host-b"]) {
          secrets.push(await registerWebhook(a, upstream, `up-${host}`, "--pin", host));
        }
        const onRun = await cli(a.home, ["register-on-run", notify, "--workflow", "upstream", "--name", "notify"], a.env);
        assert.equal(onRun.code, 0, onRun.stderr);

        for (let i = 0; i < PER_HOST; i++) {
          for (const [n, host] of ["host-a", "host-b"].entries()) {
            // Delivered to the other host's agent: accepted there, executed where pinned.
            const answer = await post(`${(n === 0 ? b : a).status.httpUrl}/webhook/up-${host}`, "{}", secrets[n]!);
            assert.equal(answer.status, 202, answer.body);
          }
        }
        await a.watcher.until(
          (runs) => runs.filter((r) => r.triggerName === "notify" && r.status === "success").length >= 2 * PER_HOST || undefined,
          "a notify run for every failed upstream run",
        );
        // Stopped gracefully, each agent has decided about every run it finished: whatever it started is a row now.
        await stopTeam(team);

        const upstreamRuns = (await store.runs.listRuns({ workflow: "upstream", limit: 1000 })).filter((r) => r.status === "failed");
        assert.equal(upstreamRuns.length, 2 * PER_HOST);
        assert.deepEqual([...new Set((await executors(store, upstreamRuns)).values())].sort(), ["host-a", "host-b"]);
        const reactions = await store.runs.listRuns({ trigger: "notify", limit: 1000 });
        const reactedTo = await Promise.all(reactions.map(async (r) => (await store.runs.getRun(r.id)).trigger.run?.id));
        assert.equal(reactions.length, 2 * PER_HOST, "one reaction per watched run, none twice");
        assert.deepEqual(reactedTo.sort(), upstreamRuns.map((r) => r.id).sort());
      } finally {
        await stopTeam(team).catch(() => undefined);
        removeHomes(team);
        await store.close();
      }
    });
  });
}
