// A command's connection to the agent: what it wrote before closing is read
// by the agent, even when the agent was busy and had written to it meanwhile.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { tryConnect } from "../../agent/cli/client";
import { ReportRunLog } from "../../agent/protocol";
import { removeDir } from "./agent-harness";

/** One JSON-RPC notification as it travels on the socket. */
function frame(method: string, params: unknown): string {
  const body = JSON.stringify({ jsonrpc: "2.0", method, params });
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

test("a command's last notification reaches an agent that reads it only after the command closed, having written to the command meanwhile", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cw-close-"));
  const path = join(dir, "agent.sock");
  let accepted!: (socket: net.Socket) => void;
  const agentSide = new Promise<net.Socket>((resolve) => (accepted = resolve));
  // The "agent" is busy: it reads nothing until told to.
  const server = net.createServer((socket) => {
    socket.pause();
    accepted(socket);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  try {
    const client = (await tryConnect({ socketPath: path }))!;
    assert.ok(client, "connected");
    const agent = await agentSide;
    agent.on("error", () => undefined); // a failed write is asserted below
    await client.sendNotification(ReportRunLog, { runId: "r1", step: 0, stream: "stdout", text: "the last line\n", seq: 1 } as never);
    client.close();

    // The busy agent gets round to the client: it first broadcasts (as it
    // does for any run event), then reads what the client sent.
    const wrote = new Promise<Error | null | undefined>((resolve) => agent.write(frame("clockwork/runChanged", { id: "r2" }), resolve));
    let received = "";
    agent.on("data", (chunk) => (received += chunk)).resume();
    await new Promise((resolve) => agent.once("close", resolve));

    assert.equal(await wrote ?? null, null, "the agent's write reached a client that was still there to read it");
    assert.match(received, /"method":"clockwork\/report\/runLog".*the last line/);
    await client.closed;
  } finally {
    server.close();
    removeDir(dir);
  }
});
