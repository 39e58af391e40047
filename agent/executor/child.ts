// The executor entry (dist/executor.js): the only place where a workflow's
// own code runs. The same script serves as a process (the agent's
// executors: their own process group, killable whatever the code does) and
// as a worker thread (a `clockwork run`'s executor, which needs no second
// Node start). Whatever the code does — exit, throw from a timer, spin
// forever, fill the heap — happens here; the parent sees a message or an
// exit and carries on. See ARCHITECTURE.md.
import { writeSync } from "node:fs";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { EXIT_MARKER, type AgentMessage, type ExecutorMessage } from "./messages";
import { startTaskHost, whereNow, type Channel } from "./tasks";

function asProcess(): void {
  if (!process.send) {
    process.stderr.write("the executor is started by the Clockwork agent, not by hand\n");
    process.exit(2);
  }
  const channel: Channel = {
    // Once the channel is gone the parent is too (or has let this executor
    // go), and an executor nobody listens to must not linger: a failed send
    // ends it, rather than raising an error that the crash handler would try
    // to report over the same closed channel.
    send(message: ExecutorMessage) {
      if (!process.connected) return endSelf();
      process.send!(message, undefined, {}, (error) => {
        if (error) endSelf();
      });
    },
    onMessage: (handler) => process.on("message", (message: AgentMessage) => handler(message)),
  };
  // process.exit from workflow code really ends this process (that is what
  // it asks for); a line on stderr, written synchronously first, tells the
  // parent who asked and where, so the run can say so.
  interceptExit((line) => {
    try {
      writeSync(2, `${EXIT_MARKER}${line}\n`);
    } catch {
      // stderr closed: the parent still sees the exit code.
    }
  });
  startTaskHost(channel);
  setImmediate(watchParent);
}

function asThread(): void {
  const port = parentPort!;
  // A thread shares its process's working directory, so Node refuses
  // chdir in workers; say what to do instead, in the workflow's terms.
  process.chdir = () => {
    throw new Error("process.chdir() is not available to workflow code run by `clockwork run`; give child processes a cwd instead");
  };
  interceptExit((line) => port.postMessage({ type: "exiting", line } satisfies ExecutorMessage));
  startTaskHost({ send: (message) => port.postMessage(message), onMessage: (handler) => port.on("message", handler) });
}

function interceptExit(report: (line: string) => void): void {
  const realExit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const where = whereNow();
    report(JSON.stringify({ code: code ?? process.exitCode ?? 0, ...(where ? { where } : {}) }));
    return realExit(code ?? undefined);
  }) as typeof process.exit;
}

/** Ends this executor and everything it started (its process group). */
function endSelf(): void {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.kill(process.pid, "SIGKILL");
  }
}

/**
 * A thread of its own that ends this executor's whole process group when its
 * parent is gone (a `kill -9` of the agent). It must be a thread: workflow
 * code spinning on the main thread would never let a timer there run.
 */
function watchParent(): void {
  const parent = process.ppid;
  const source = `
    const { workerData } = require("node:worker_threads");
    setInterval(() => {
      if (process.ppid === workerData.parent) return;
      try { process.kill(-workerData.self, "SIGKILL"); } catch {}
      try { process.kill(workerData.self, "SIGKILL"); } catch {}
    }, 500);`;
  try {
    new Worker(source, { eval: true, workerData: { parent, self: process.pid } }).unref();
  } catch {
    // No thread to spare (a limit reached): the checks below still hold
    // whenever the main thread is free.
  }
  process.on("disconnect", endSelf);
  setInterval(() => {
    if (process.ppid !== parent) endSelf();
  }, 1000).unref();
}

if (isMainThread) asProcess();
else asThread();
