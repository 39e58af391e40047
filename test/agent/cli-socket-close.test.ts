// A command ends when its work is done, whatever the agent was sending at
// that moment. The agent notifies every client of changes, so a command
// often closes its connection in the middle of a notification; the JSON-RPC
// reader's watchdog for an incomplete message then re-armed itself forever
// and the command never exited (seen as a test file timing out).
//
// Here a stand-in agent on the home's socket answers `clockwork fire`, and
// in the same write starts a notification it never finishes.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import { loadConfig } from "../../agent/config";
import { startCli } from "../helpers/cli";
import { makeTestHome, type TestHome } from "../helpers/home";

/** The watchdog fires after 10 s and re-arms; a command that has not exited long after that never will. */
const NEVER_MS = 60_000;

let home: TestHome;
let server: net.Server;
const received: string[] = [];

before(async () => {
  home = makeTestHome("socket-close");
  server = net.createServer((socket) => {
    let buffer = "";
    socket.on("data", (chunk) => {
      buffer += chunk.toString();
      const match = /Content-Length: (\d+)\r\n\r\n/.exec(buffer);
      if (!match) return;
      const start = match.index + match[0].length;
      const length = Number(match[1]);
      if (Buffer.byteLength(buffer.slice(start)) < length) return;
      const request = JSON.parse(buffer.slice(start, start + length)) as { id: number; method: string };
      buffer = buffer.slice(start + length);
      received.push(request.method);
      const answer = JSON.stringify({ jsonrpc: "2.0", id: request.id, result: { runId: "abcdefabcdef" } });
      const notification = JSON.stringify({ jsonrpc: "2.0", method: "clockwork/status", params: { padding: "x".repeat(200) } });
      socket.write(
        `Content-Length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}` +
          `Content-Length: ${Buffer.byteLength(notification)}\r\n\r\n${notification.slice(0, 40)}`,
      );
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(loadConfig(home.env).socketPath, resolve));
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  home.cleanup();
});

test("a command exits after its answer even when the agent was half-way through a notification", async () => {
  const cli = startCli(["fire", "nightly", "--json"], { env: home.env });
  let guard: NodeJS.Timeout | undefined;
  const never = new Promise<"hung">((resolve) => (guard = setTimeout(() => resolve("hung"), NEVER_MS)));
  try {
    const outcome = await Promise.race([cli.exited, never]);
    assert.notEqual(outcome, "hung", `clockwork fire printed ${JSON.stringify(cli.stdout)} and did not exit`);
    assert.deepEqual(outcome, { code: 0, signal: null }, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout), { runId: "abcdefabcdef" });
    assert.deepEqual(received, ["clockwork/triggers/fire"]);
  } finally {
    clearTimeout(guard);
    cli.kill("SIGKILL");
  }
});
