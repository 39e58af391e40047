// Loaded into every test file's process (scripts/test.mjs). Once a file's
// tests are done its process should exit by itself; a stray handle (a
// child's pipe, a socket) would keep it alive and stall the whole run.
// Node's --test-force-exit ends such a process at once, but can then drop
// verdicts the process had not yet passed to the runner: a run that reports
// fewer tests than it ran, and passes (nodejs/node#64833). So the process
// gets time after its last test to exit, then is ended, saying which
// handles kept it alive; its verdicts have been sent by then. The time
// counts from the first of the file's own `after` hooks (this one is
// registered before the file loads), so it leaves them room to clean up.
import { after } from "node:test";

const GRACE_MS = 30_000;

// Only in a file's own process, never in the runner that starts them.
if (process.env.NODE_TEST_CONTEXT) {
  after(() => {
    setTimeout(() => {
      const handles = process.getActiveResourcesInfo().filter((kind) => kind !== "Timeout");
      process.stderr.write(`\n!!! ${process.argv[1]}: still running ${GRACE_MS / 1000} s after its last test (${handles.join(", ") || "timers"}): ended\n`);
      process.exit(process.exitCode ?? 0);
    }, GRACE_MS).unref();
  });
}
