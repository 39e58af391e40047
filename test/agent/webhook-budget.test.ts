// Authenticate before buffering: a webhook request without any signature
// header is refused before its body is read, and the bodies that are read
// share one memory budget: a body that does not fit gets 503 with
// Retry-After before it is read. Asserted on the agent's own bookkeeping of
// the body bytes it holds (GET /healthz); the resident-memory figures for
// ten concurrent 100 MiB bodies are in bench/webhook-memory.mjs.
import assert from "node:assert/strict";
import { setTimeout as pause } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { signBody } from "../../agent/core/signature";
import { ListRuns } from "../../agent/protocol";
import { writeWorkflow } from "./agent-harness";
import { bodyFigures, post, rawUpload, registerWebhook, startTestAgent, trivialWorkflow, type RegisteredWebhook, type TestAgent } from "./webhook-harness";

const MiB = 1024 * 1024;
const wrongSignature = signBody("not the secret", "whatever");

/** Polls /healthz until `predicate` holds: the agent announces no event for bytes read. */
async function untilFigures(url: string, predicate: (f: Awaited<ReturnType<typeof bodyFigures>>) => boolean) {
  for (;;) {
    const figures = await bodyFigures(url);
    if (predicate(figures)) return figures;
    await pause(20);
  }
}

describe("webhook bodies and the memory budget", { timeout: 120_000 }, () => {
  let t: TestAgent;
  let hook: RegisteredWebhook;
  let big: RegisteredWebhook;

  before(async () => {
    // A 3 MiB budget: one 2 MiB body fits, a second one does not.
    t = await startTestAgent("webhook-budget", { CLOCKWORK_HTTP_BODY_BUDGET: "3m" });
    const file = writeWorkflow(t.work, "ok.workflow.ts", trivialWorkflow("budget"));
    hook = await registerWebhook(t, file, ["--name", "budget", "--max-body", "2m"]);
    big = await registerWebhook(t, file, ["--name", "huge", "--max-body", "100m"]);
  });
  after(async () => t.stop());

  for (const declared of [true, false]) {
    test(`a request without a signature header gets 401 before any of its ${declared ? "declared" : "chunked"} body is sent`, async () => {
      // Not a byte of the body is sent: the answer can only come from the headers.
      const upload = rawUpload(big.url, { total: 100 * MiB, declared, sendFirst: 0 });
      const answer = await upload.answer;
      upload.close();
      assert.equal(answer.status, 401);
      assert.equal((await bodyFigures(t.url)).inFlightBytes, 0);
    });
  }

  test("past the budget a body gets 503 with Retry-After before it is read, and the budget frees when bodies finish", async () => {
    const runsBefore = (await t.watcher.client.request(ListRuns, { trigger: "budget", limit: 1000 })).length;
    const headers = { "X-Clockwork-Signature": wrongSignature };
    const holding = rawUpload(hook.url, { total: 2 * MiB, declared: true, headers, sendFirst: MiB });
    await untilFigures(t.url, (f) => f.inFlightBytes === 2 * MiB);

    const refused = rawUpload(hook.url, { total: 2 * MiB, declared: true, headers, sendFirst: 0 });
    const answer = await refused.answer;
    refused.close();
    assert.equal(answer.status, 503);
    assert.match(answer.headers["retry-after"] ?? "", /^\d+$/);

    holding.finish();
    assert.equal((await holding.answer).status, 401, "the held body was read, checked and refused");
    holding.close();
    await untilFigures(t.url, (f) => f.inFlightBytes === 0);

    // With the budget free, a correctly signed 2 MiB body is accepted.
    const body = JSON.stringify({ padding: "p".repeat(2 * MiB - 20) });
    const accepted = await post(hook.url, body, { headers: { "x-clockwork-signature": signBody(hook.secret, body) } });
    assert.equal(accepted.status, 202, accepted.text);
    const runs = await t.watcher.client.request(ListRuns, { trigger: "budget", limit: 1000 });
    assert.equal(runs.length, runsBefore + 1, "only the signed body started a run");
  });
});

describe("ten concurrent 100 MiB bodies with wrong signatures", { timeout: 120_000 }, () => {
  let t: TestAgent;
  let big: RegisteredWebhook;

  before(async () => {
    t = await startTestAgent("webhook-flood");
    const file = writeWorkflow(t.work, "ok.workflow.ts", trivialWorkflow("flood"));
    big = await registerWebhook(t, file, ["--name", "flood", "--max-body", "100m"]);
  });
  after(async () => t.stop());

  test("declared: the one body that fits is read and refused 401, the nine others get 503 with Retry-After before they are read", async () => {
    // Each sends its first MiB, then waits: the body that got into the
    // budget cannot finish and leave room before the others have asked.
    const uploads = Array.from({ length: 10 }, () =>
      rawUpload(big.url, { total: 100 * MiB, declared: true, headers: { "X-Clockwork-Signature": wrongSignature }, sendFirst: MiB }),
    );
    // Nine answers come while the tenth body is held, unread past its first MiB.
    let answered = 0;
    const nine = new Promise<void>((resolve) => uploads.forEach((u) => void u.answer.then(() => ++answered === 9 && resolve())));
    await nine;
    assert.equal((await bodyFigures(t.url)).inFlightBytes, 100 * MiB, "the held body has its whole length reserved");
    uploads.forEach((u) => u.finish());
    const answers = await Promise.all(uploads.map((u) => u.answer));
    uploads.forEach((u) => u.close());
    assert.deepEqual(answers.map((a) => a.status).sort(), [401, 503, 503, 503, 503, 503, 503, 503, 503, 503]);
    for (const a of answers.filter((x) => x.status === 503)) assert.match(a.headers["retry-after"] ?? "", /^\d+$/);
    await afterFlood();
  });

  test("chunked: every body gets 401 or 503, and the bytes held never exceed the budget", async () => {
    const uploads = Array.from({ length: 10 }, () =>
      rawUpload(big.url, { total: 100 * MiB, declared: false, headers: { "X-Clockwork-Signature": wrongSignature } }),
    );
    const answers = await Promise.all(uploads.map((u) => u.answer));
    uploads.forEach((u) => u.close());
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.every((s) => s === 401 || s === 503), `statuses: ${statuses.join(", ")}`);
    await afterFlood();
  });

  /** Nothing is held any more, the peak stayed within the budget, no run started, and a signed delivery is accepted. */
  async function afterFlood() {
    const figures = await untilFigures(t.url, (f) => f.inFlightBytes === 0);
    assert.ok(figures.peakBytes <= figures.budgetBytes, `peak ${figures.peakBytes} of ${figures.budgetBytes} bytes`);
    assert.equal((await t.watcher.client.request(ListRuns, { trigger: "flood", limit: 100 })).length, runsSoFar);
    const body = "{}";
    assert.equal((await post(big.url, body, { headers: { "x-clockwork-signature": signBody(big.secret, body) } })).status, 202);
    runsSoFar++;
  }
  let runsSoFar = 0;
});
