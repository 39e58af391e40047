// `clockwork register --from-file` and clockwork/triggers/registerSchedules
// against a real agent: thousands of schedules in one command, all or none,
// errors that name the entry and the field, and schedules that fire.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ClockworkError } from "../../agent/errors";
import {
  ListTriggers,
  RegisterSchedules,
  Status,
  TriggersChanged,
  type RegisterScheduleParams,
  type RunSummary,
} from "../../agent/protocol";
import { AgentProcess, cli, recordNotifications, removeDir, shellWorkflow, tempHome, writeWorkflow, type Watcher } from "./agent-harness";

/** A different cron for every index, spread over the year: none is due while the tests run. */
const cronOf = (j: number) => `${j % 60} ${Math.floor(j / 60) % 24} ${1 + (Math.floor(j / 1440) % 28)} ${1 + (j % 12)} *`;

type Entry = Omit<RegisterScheduleParams, "file"> & { file: unknown } & Record<string, unknown>;
const entries = (prefix: string, count: number, file: string): Entry[] =>
  Array.from({ length: count }, (_, j) => ({ file, cron: cronOf(j), timezone: "UTC", name: `${prefix}-${j}` }));

describe("registering schedules in bulk", () => {
  let home: string;
  let work: string;
  let agent: AgentProcess;
  let watcher: Watcher;
  let workflow: string;

  before(async () => {
    home = tempHome("bulk");
    work = join(home, "work");
    mkdirSync(work);
    workflow = writeWorkflow(work, "tick.workflow.ts", shellWorkflow("tick", "echo tick"));
    agent = await AgentProcess.start(home, { CLOCKWORK_MAX_CONCURRENT_RUNS: "4" });
    watcher = await agent.watch();
  });
  after(async () => {
    watcher.client.close();
    await agent.stop();
    removeDir(home);
  });

  const writeFile = (name: string, list: unknown) => {
    const path = join(work, name);
    writeFileSync(path, JSON.stringify(list, null, 1));
    return path;
  };
  const scheduleCount = async () => (await watcher.client.request(Status, undefined)).counts.schedules;

  test("3,000 schedules from one file: relative files read from the file's folder, one notification names them all", async () => {
    const changes = recordNotifications(watcher.client, TriggersChanged);
    // Written relative to the JSON file's folder; the command runs from the home, one level up.
    const path = writeFile("schedules.json", entries("bulk", 3000, "tick.workflow.ts"));
    const registered = await cli(home, ["register", "--from-file", path]);
    assert.equal(registered.code, 0, registered.stderr);
    assert.match(registered.stdout, /registered 3000 schedules from .*schedules\.json/);
    assert.equal(await scheduleCount(), 3000);

    const { names } = await changes.until((c) => c.names.length > 1);
    assert.equal(names.length, 3000);
    assert.deepEqual(names.slice(0, 2), ["bulk-0", "bulk-1"]);

    const [first, last] = await watcher.client.request(ListTriggers, { names: ["bulk-0", "bulk-2999"] });
    assert.equal(first!.workflowFile, workflow);
    assert.equal(first!.workflowName, "tick");
    assert.deepEqual(
      { cron: last!.schedule!.cron, timezone: last!.schedule!.timezone, overlap: last!.schedule!.overlap, catchup: last!.schedule!.catchup },
      { cron: cronOf(2999), timezone: "UTC", overlap: "skip", catchup: "once" },
    );
    assert.ok(Date.parse(last!.schedule!.nextFireAt!) > Date.now(), "its next fire is computed");
  });

  test("listing thousands of triggers does not hold the agent up: a question asked after the listing is answered first", async () => {
    const order: string[] = [];
    const listing = watcher.client.request(ListTriggers, {}).then((all) => order.push(`list of ${all.length}`));
    const status = watcher.client.request(Status, undefined).then(() => order.push("status"));
    await Promise.all([listing, status]);
    assert.deepEqual(order, ["status", "list of 3000"]);
  });

  test("one bad entry and nothing is registered: the error names each bad entry by index and field", async () => {
    const before = await scheduleCount();
    const list = entries("bad", 2000, workflow);
    list[5]!.cron = "61 * * * *";
    list[1200]!.timezone = "Mars/Olympus";
    list[1500]!.name = "bad-7";
    const bad = await cli(home, ["register", "--from-file", writeFile("bad.json", list)]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.json: nothing registered \(all or nothing\), 3 problems:/);
    assert.match(bad.stderr, /entry 5: cron: minute field "61" is out of range 0-59/);
    assert.match(bad.stderr, /entry 1200: timezone: unknown zone "Mars\/Olympus"/);
    assert.match(bad.stderr, /entry 1500: name: "bad-7" is also the name of entry 7/);
    assert.equal(await scheduleCount(), before, "no entry was registered");

    // A name already registered (by the test before) is found only when everything else is right.
    const taken = entries("fresh", 2000, workflow);
    taken[1999]!.name = "bulk-7";
    const conflict = await cli(home, ["register", "--from-file", writeFile("taken.json", taken)]);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /entry 1999: name: a trigger named "bulk-7" already exists \(a schedule\)/);
    assert.equal(await scheduleCount(), before);
    const fresh = await watcher.client.request(ListTriggers, { names: ["fresh-0", "fresh-1998"] });
    assert.deepEqual(fresh, [], "the entries before the taken name were not kept either");
  });

  test("entries of the wrong shape, a missing workflow and bad JSON are refused before anything is sent", async () => {
    const list = entries("shape", 4, workflow);
    list[1]!.cron = 5 as never;
    list[2]!.tz = "UTC";
    list[3]!.file = join(work, "missing.workflow.ts");
    const shape = await cli(home, ["register", "--from-file", writeFile("shape.json", list)]);
    assert.equal(shape.code, 1);
    assert.match(shape.stderr, /entry 1: cron: Invalid input: expected string, received number/);
    assert.match(shape.stderr, /entry 2: unknown field "tz" \(an entry has file, cron, timezone, name, overlap, catchup, host\)/);

    list[1]!.cron = "0 9 * * *";
    delete list[2]!.tz;
    const missing = await cli(home, ["register", "--from-file", writeFile("missing.json", list)]);
    assert.match(missing.stderr, /entry 3: file: workflow file not found: .*missing\.workflow\.ts/);

    writeFileSync(join(work, "broken.json"), '[{"file": "tick.workflow.ts",\n "cron" "0 9 * * *"}]');
    const broken = await cli(home, ["register", "--from-file", join(work, "broken.json")]);
    assert.match(broken.stderr, /broken\.json: not valid JSON: .*\(line 2, column 9\)/);
    const object = await cli(home, ["register", "--from-file", writeFile("object.json", { file: workflow, cron: "0 9 * * *" })]);
    assert.match(object.stderr, /object\.json: expected a JSON array of schedules/);
    const mixed = await cli(home, ["register", "--from-file", join(work, "shape.json"), "--cron", "0 9 * * *"]);
    assert.match(mixed.stderr, /--from-file takes everything from the file; drop --cron/);
  });

  test("over the socket, a bad entry is an error naming it, and the params schema names the field of a malformed one", async () => {
    const list = entries("socket", 3, workflow) as RegisterScheduleParams[];
    list[2] = { ...list[2]!, cron: "0 0 30 2 *" };
    await assert.rejects(
      watcher.client.request(RegisterSchedules, { schedules: list }),
      (error: unknown) => error instanceof ClockworkError && error.kind === "Invalid" && /entry 2: cron: "0 0 30 2 \*" never fires/.test(error.message),
    );
    const malformed = [{ file: workflow, cron: "0 9 * * *", overlap: "sometimes" }] as never;
    await assert.rejects(watcher.client.request(RegisterSchedules, { schedules: malformed }), /schedules\[0\]\.overlap/);
  });

  test("schedules registered in bulk fire: three every-second ones among a thousand that are not due", async () => {
    const list = entries("quiet", 1000, workflow) as RegisterScheduleParams[];
    for (const j of [0, 1, 2]) list.push({ file: workflow, cron: "* * * * * *", timezone: "UTC", name: `tick-${j}`, overlap: "skip" });
    const registered = await cli(home, ["register", "--from-file", writeFile("ticks.json", list)]);
    assert.equal(registered.code, 0, registered.stderr);
    const finished = (name: string, runs: RunSummary[]) => runs.some((r) => r.triggerName === name && r.triggerKind === "cron" && r.status === "success");
    await watcher.until((runs) => ["tick-0", "tick-1", "tick-2"].every((n) => finished(n, runs)) || undefined, "a successful fire of each");
    for (const j of [0, 1, 2]) assert.equal((await cli(home, ["unregister", `tick-${j}`])).code, 0);
  });
});

describe("registering schedules in bulk with no agent running", () => {
  test("the schedules go to the store, all or none, and the command says no agent will fire them yet", async () => {
    const home = tempHome("bulk-store");
    try {
      const work = join(home, "work");
      mkdirSync(work);
      const workflow = writeWorkflow(work, "tick.workflow.ts", shellWorkflow("tick", "echo tick"));
      const path = join(work, "schedules.json");
      writeFileSync(path, JSON.stringify(entries("offline", 20, workflow)));
      const registered = await cli(home, ["register", "--from-file", path]);
      assert.equal(registered.code, 0, registered.stderr);
      assert.match(registered.stdout, /registered 20 schedules[\s\S]*no agent is running/);
      const listed = await cli(home, ["list", "--json"]);
      assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 20);
      const again = await cli(home, ["register", "--from-file", path]);
      assert.match(again.stderr, /entry 0: name: a trigger named "offline-0" already exists/);
    } finally {
      removeDir(home);
    }
  });
});
