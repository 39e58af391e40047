import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AgentStatus } from "../../agent/protocol";
import { statusBarRefreshIn, statusBarView } from "../../extension/statusBarModel";

const NOW = Date.parse("2025-05-12T10:00:00Z");

function status(over: Partial<AgentStatus> = {}): AgentStatus {
  return {
    pid: 4242,
    version: "0.1.0",
    startedAt: new Date(NOW - 3_600_000).toISOString(),
    uptimeMs: 3_600_000,
    home: "/h",
    socket: "/h/agent.sock",
    httpUrl: "http://127.0.0.1:8787",
    httpError: null,
    counts: { schedules: 2, webhooks: 1, watchers: 0, runTriggers: 1, running: 0, queued: 0 },
    nextFire: { trigger: "digest", at: new Date(NOW + 3 * 60_000).toISOString() },
    stopping: false,
    ...over,
  };
}

describe("statusBarView", () => {
  it("shows the next fire when connected and idle, and focuses the view on click", () => {
    const view = statusBarView({ kind: "connected", status: status() }, NOW);
    assert.equal(view.text, "$(watch) Clockwork · digest in 3 min");
    assert.equal(view.command, "clockwork.focus");
    assert.equal(view.background, undefined);
    assert.match(view.tooltip, /pid 4242/);
    assert.match(view.tooltip, /2 schedules, 1 webhook, 0 watchers, 1 run trigger/);
  });

  it("shows how many runs are going instead of the next fire", () => {
    const view = statusBarView({ kind: "connected", status: status({ counts: { schedules: 0, webhooks: 0, watchers: 0, runTriggers: 0, running: 2, queued: 1 } }) }, NOW);
    assert.equal(view.text, "$(sync~spin) Clockwork · 2 running");
  });

  it("offers to start the agent when none is running, with a warning colour and no pop-up", () => {
    const view = statusBarView({ kind: "stopped", reason: "Automatic start is off." }, NOW);
    assert.equal(view.command, "clockwork.startAgent");
    assert.equal(view.background, "warning");
    assert.match(view.tooltip, /not running\. Automatic start is off\./);
  });

  it("says how long the agent has run at the moment it is drawn, not when the status was sent", () => {
    const sent = status({ startedAt: new Date(NOW - 150).toISOString(), uptimeMs: 150 });
    assert.match(statusBarView({ kind: "connected", status: sent }, NOW).tooltip, /started \d\d:\d\d \(now\)/);
    const later = statusBarView({ kind: "connected", status: sent }, NOW + 2 * 3_600_000).tooltip;
    assert.match(later, /\(2 h ago\)/);
    assert.doesNotMatch(later, /150 ms/);
  });

  it("asks to be drawn again when its words would change, and not at all when nothing depends on the clock", () => {
    const idle = status({ startedAt: new Date(NOW - 3_600_000 - 20_000).toISOString(), nextFire: null });
    assert.equal(statusBarRefreshIn({ kind: "connected", status: idle }, NOW), 40_000);
    const soon = status({ nextFire: { trigger: "d", at: new Date(NOW + 10_500).toISOString() } });
    assert.equal(statusBarRefreshIn({ kind: "connected", status: soon }, NOW), 501);
    assert.equal(statusBarRefreshIn({ kind: "stopped", reason: "x" }, NOW), null);
  });

  it("points to the agent log on an error", () => {
    const view = statusBarView({ kind: "error", message: "the agent exited with code 1 while starting" }, NOW);
    assert.equal(view.command, "clockwork.showAgentLog");
    assert.equal(view.background, "error");
    assert.match(view.tooltip, /exited with code 1/);
  });

  it("warns when the agent's HTTP server failed", () => {
    const view = statusBarView({ kind: "connected", status: status({ httpUrl: null, httpError: "port 8787 is in use" }) }, NOW);
    assert.equal(view.background, "warning");
    assert.match(view.tooltip, /HTTP server: port 8787 is in use/);
  });
});
