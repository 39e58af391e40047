import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Supervisor, type Session, type SupervisorDeps, type SupervisorState } from "../../extension/supervisor";

/**
 * A fake world: an agent that is up or down, sessions the test closes, and a
 * clock. `sleep` resolves when the test calls `tick()` or the supervisor is
 * woken, so the loop advances one step at a time without real waiting.
 */
function world(options: { autoStart?: boolean; spawnWorks?: boolean } = {}) {
  let agentUp = false;
  let now = 0;
  const states: SupervisorState[] = [];
  const failures: Array<[string, boolean]> = [];
  let spawns = 0;
  let closeSession: ((how: { deliberate: boolean }) => void) | undefined;
  let sleeper: (() => void) | undefined;
  const waiters: Array<{ match: (s: SupervisorState) => boolean; resolve: () => void }> = [];
  let autoStart = options.autoStart ?? true;
  let spawnWorks = options.spawnWorks ?? true;

  const deps: SupervisorDeps = {
    probe: async () => agentUp,
    connect: async (): Promise<Session> => ({
      closed: new Promise((resolve) => (closeSession = resolve)),
    }),
    spawn: async () => {
      spawns++;
      if (!spawnWorks) throw new Error("the agent exited with code 1 while starting");
      agentUp = true;
    },
    autoStart: () => autoStart,
    now: () => now,
    sleep: (_ms, wake) =>
      new Promise<void>((resolve) => {
        sleeper = resolve;
        void wake.then(resolve);
      }),
    onState: (s) => {
      states.push(s);
      for (const w of [...waiters]) {
        if (w.match(s)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    onError: (message, byUser) => failures.push([message, byUser]),
  };
  const supervisor = new Supervisor(deps);
  return {
    supervisor,
    states,
    failures,
    get spawns() {
      return spawns;
    },
    setAgentUp: (up: boolean) => (agentUp = up),
    setAutoStart: (on: boolean) => (autoStart = on),
    setSpawnWorks: (on: boolean) => (spawnWorks = on),
    advance: (ms: number) => (now += ms),
    /** The agent goes away; `deliberate` when it said it was stopping. */
    agentExits(deliberate: boolean) {
      agentUp = false;
      closeSession?.({ deliberate });
    },
    tick: () => sleeper?.(),
    until(kind: SupervisorState["kind"]): Promise<void> {
      return new Promise((resolve) => waiters.push({ match: (s) => s.kind === kind, resolve }));
    },
  };
}

/** A world whose agent already answers, with the supervisor connected to it. */
async function connectedWorld() {
  const w = world();
  w.setAgentUp(true);
  const connected = w.until("connected");
  void w.supervisor.start();
  await connected;
  return w;
}

/** Lets the supervisor look several times, as minutes passing would. */
async function idle(w: ReturnType<typeof world>) {
  for (let i = 0; i < 5; i++) w.tick();
  await new Promise((r) => setImmediate(r));
}

describe("Supervisor", () => {
  it("connects to an agent that already answers without starting one", async () => {
    const w = await connectedWorld();
    assert.equal(w.spawns, 0);
    w.supervisor.dispose();
  });

  it("starts an agent on activation when none answers and auto-start is on", async () => {
    const w = world();
    const connected = w.until("connected");
    void w.supervisor.start();
    await connected;
    assert.equal(w.spawns, 1);
    assert.deepEqual(w.states.map((s) => s.kind), ["starting", "connected"]);
    w.supervisor.dispose();
  });

  it("only reports the agent as stopped when auto-start is off, and starts it when the user asks", async () => {
    const w = world({ autoStart: false });
    const stopped = w.until("stopped");
    void w.supervisor.start();
    await stopped;
    assert.match((w.states.at(-1) as { reason: string }).reason, /autoStart/);
    assert.equal(w.spawns, 0);
    const connected = w.until("connected");
    w.supervisor.requestStart();
    await connected;
    assert.equal(w.spawns, 1);
    w.supervisor.dispose();
  });

  it("reconnects by itself when the agent comes back after a deliberate stop, without starting one", async () => {
    const w = await connectedWorld();
    let connected: Promise<void>;
    const stopped = w.until("stopped");
    w.agentExits(true);
    await stopped;
    assert.equal(w.spawns, 0, "a stopping agent is not replaced");
    connected = w.until("connected");
    w.setAgentUp(true);
    w.tick();
    await connected;
    assert.equal(w.spawns, 0);
    w.supervisor.dispose();
  });

  it("restarts a crashed agent, but after three automatic starts within a minute reports an error once instead", async () => {
    const w = await connectedWorld();
    let connected: Promise<void>;
    for (let i = 1; i <= 3; i++) {
      connected = w.until("connected");
      w.agentExits(false);
      await connected;
      assert.equal(w.spawns, i);
      w.advance(10_000);
    }
    const error = w.until("error");
    w.agentExits(false);
    await error;
    assert.equal(w.spawns, 3);
    assert.match((w.states.at(-1) as { message: string }).message, /again after 3 automatic starts within a minute/);
    assert.equal(w.failures.length, 1, "one notification");
    // It stays in the error state: no further start by itself, however long it waits.
    w.advance(10 * 60_000);
    await idle(w);
    assert.equal(w.spawns, 3);
    assert.equal(w.states.at(-1)!.kind, "error");
    connected = w.until("connected");
    w.supervisor.requestStart();
    await connected;
    assert.equal(w.spawns, 4, "the user can start it");
    w.supervisor.dispose();
  });

  it("counts the start on activation and keeps restarting crashes that are more than a minute apart", async () => {
    const w = world();
    let connected = w.until("connected");
    void w.supervisor.start();
    await connected;
    assert.equal(w.spawns, 1);
    for (let i = 2; i <= 6; i++) {
      w.advance(30_001);
      connected = w.until("connected");
      w.agentExits(false);
      await connected;
      assert.equal(w.spawns, i);
    }
    assert.equal(w.failures.length, 0);
    w.supervisor.dispose();
  });

  it("leaves an agent stopped from anywhere stopped, saying so, until the user starts it", async () => {
    const w = await connectedWorld();
    let connected: Promise<void>;
    const stopped = w.until("stopped");
    w.agentExits(true);
    await stopped;
    assert.match((w.states.at(-1) as { reason: string }).reason, /stays stopped until you start it/);
    w.advance(10 * 60_000);
    await idle(w);
    assert.equal(w.spawns, 0);
    connected = w.until("connected");
    w.supervisor.requestStart();
    await connected;
    assert.equal(w.spawns, 1);
    w.supervisor.dispose();
  });

  it("does not restart an agent the user stopped from VS Code", async () => {
    const w = await connectedWorld();
    w.supervisor.markUserStopped();
    const stopped = w.until("stopped");
    w.agentExits(false);
    await stopped;
    assert.equal(w.spawns, 0);
    w.supervisor.dispose();
  });

  it("reports a failed start once and does not retry until asked", async () => {
    const w = world({ spawnWorks: false });
    const error = w.until("error");
    void w.supervisor.start();
    await error;
    await idle(w);
    assert.equal(w.spawns, 1);
    assert.equal(w.failures.length, 1);
    assert.deepEqual(w.failures[0], ["could not start the agent: the agent exited with code 1 while starting", false]);
    w.setSpawnWorks(true);
    const connected = w.until("connected");
    w.supervisor.requestStart();
    await connected;
    assert.equal(w.spawns, 2);
    w.supervisor.dispose();
  });
});

describe("Supervisor.reset", () => {
  it("starts over as on activation: an agent for the new home is started even after a deliberate stop", async () => {
    const w = await connectedWorld();
    const stopped = w.until("stopped");
    w.agentExits(true);
    await stopped;
    assert.equal(w.spawns, 0);
    const again = w.until("connected");
    w.supervisor.reset();
    await again;
    assert.equal(w.spawns, 1);
    w.supervisor.dispose();
  });
});
