// The Clockwork extension in a real VS Code (code-server + Chromium) with the
// agent working in the background: a schedule that fails gives one
// notification, a webhook registered in a stepped wizard (with its header
// allow-list and a secret dialog that closes with Close) runs now with a
// recent delivery's payload, a file watcher and a run trigger are registered
// in their wizards (the run trigger then answers a failed run), an agent
// stopped from a terminal stays stopped while VS Code says so, an agent
// killed mid-run is restarted, and the agent's log has each line once.
//
//   bash scripts/e2e-setup.sh && npm run build && node --test test/e2e/clockwork-agent.e2e.mjs
//
// Skips (does not fail) when code-server or Chromium is not installed.
// Screenshots go to test-results/e2e/clockwork-agent; CLOCKWORK_UPDATE_MEDIA=1
// also writes the README's screenshot of the Triggers tree into media/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { watch, readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eSkipReason, quickOpen, runCommand, screenshot, webviewFrame } from './harness.mjs';
import { agentPid, cli, startSession } from './session.mjs';
import { UI, clockworkRow, contextMenu, dialog, partShot, quickInput, recordToasts, showClockwork, toasts, widenSidebar } from './ui.mjs';

const FAILING = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({ name: "report", steps: [shell("fetch", "echo fetching; echo 'upstream answered 503' >&2; exit 3")] });
`;

const HOOK = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "deploy",
  steps: [shell("show", "echo pr={trigger.body.number} request={trigger.headers.x-request-id}")],
});
`;

const NOTES = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({ name: "notes", steps: [shell("changed", "echo {trigger.path}")] });
`;

// Started by a run trigger: says which run failed and why.
const ALERT = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({ name: "alert", steps: [shell("say", "echo {trigger.run.workflow} failed: {trigger.run.error}")] });
`;

// Waits inside the agent (a code step), so killing the agent ends it too.
const SLOW = `import { defineWorkflow, code } from "clockwork";

export default defineWorkflow({
  name: "slow",
  steps: [
    code("wait", async (ctx) => {
      ctx.log("waiting for a minute");
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      return "done";
    }),
  ],
});
`;

/**
 * Runs a palette command that opens a wizard. The wizard's first question
 * replaces the palette in the same quick input at once, so this waits for
 * that question's title rather than for the palette to close (a moment
 * that polling can miss).
 */
async function runWizardCommand(page, command, firstTitle) {
  const q = quickInput(page);
  await page.keyboard.press('F1');
  await q.widget.locator('.quick-input-box input').fill(`>${command}`);
  await q.row(command).click();
  await q.waitForTitle(firstTitle);
}

describe('Clockwork in VS Code: the agent at work in the background', { skip: e2eSkipReason() }, () => {
  let s;
  let page;

  before(async () => {
    s = await startSession('clockwork-agent', {
      'report.workflow.ts': FAILING,
      'deploy.workflow.ts': HOOK,
      'notes.workflow.ts': NOTES,
      'slow.workflow.ts': SLOW,
      'alert.workflow.ts': ALERT,
      'notes/readme.md': '# notes\n',
    });
    page = s.page;
  });

  after(async () => {
    const leftover = (await s?.close()) ?? [];
    assert.deepEqual(leftover, [], 'processes of the agent the extension started are still running');
  });

  it('notifies once, with Show Run, when a background run fails, however often it fails again', () =>
    s.guarded('background-failure', async () => {
      await showClockwork(page);
      await page.locator('.part.statusbar', { hasText: 'Clockwork' }).first().waitFor({ state: 'visible', timeout: UI });
      await page.locator('.part.sidebar', { hasText: 'No triggers yet' }).waitFor({ state: 'visible', timeout: UI });
      await recordToasts(page);
      await cli(s.home, ['register', path.join(s.workspace, 'report.workflow.ts'), '--cron', '* * * * * *', '--tz', 'UTC', '--name', 'report-every-second']);
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /schedule "report-every-second" \(report\) failed/ }).first();
      await toast.waitFor({ state: 'visible', timeout: UI });
      assert.match(await toast.innerText(), /Show Run/);
      // Three more failures: still the one notification.
      const runs = page.locator('.part.sidebar .monaco-list-row', { hasText: 'cron report-every-second' });
      await runs.nth(3).waitFor({ state: 'visible', timeout: UI });
      await cli(s.home, ['pause', 'report-every-second']);
      const shown = (await toasts(page)).filter((t) => /report-every-second/.test(t));
      assert.equal(shown.length, 1, `one notification, not one per failure: ${JSON.stringify(await toasts(page))}`);
      await screenshot(page, s.screenshotsDir, '1-background-failure');
      await toast.locator('.monaco-button', { hasText: 'Show Run' }).click();
      const frame = await webviewFrame(page, { timeout: UI });
      await frame.locator('#status', { hasText: 'failed' }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#step-0 pre', { hasText: 'upstream answered 503' }).waitFor({ state: 'visible', timeout: UI });
      s.lap('one notification for a failing schedule');
    }));

  let hook;
  it('registers a webhook in a stepped wizard, with a header allow-list and a secret dialog that closes with Close', () =>
    s.guarded('register-webhook', async () => {
      const q = quickInput(page);
      await runCommand(page, 'Clockwork: Register Webhook…');
      await q.waitForTitle('Register Webhook (1/3)');
      await q.row('deploy.workflow.ts').click();
      await q.waitForTitle('Register Webhook (2/3)');
      await q.answer('gh');
      await q.waitForTitle('Register Webhook (3/3)');
      await q.answer('Authorization');
      // The agent refuses a credential header: the step comes back with its reason.
      await q.waitForTitle('Register Webhook (3/3)');
      await q.widget.locator('.quick-input-message', { hasText: 'carries credentials' }).waitFor({ state: 'visible', timeout: UI });
      await screenshot(page, s.screenshotsDir, '2-webhook-wizard-refused');
      await q.answer('x-request-id');
      const secret = await dialog(page);
      const buttons = await secret.buttons();
      assert.ok(buttons.includes('Close'), `a Close button: ${buttons}`);
      assert.ok(!buttons.includes('Cancel'), `no Cancel button: ${buttons}`);
      const text = await secret.text();
      hook = {
        url: /URL: (http\S+)/.exec(text)?.[1],
        secret: /Secret: ([0-9a-f]{64})/.exec(text)?.[1],
      };
      assert.ok(hook.url && hook.secret, `the dialog shows the URL and the secret: ${text}`);
      await screenshot(page, s.screenshotsDir, '3-webhook-secret');
      await secret.press('Close');
      await clockworkRow(page, 'gh');
      s.lap('webhook registered');
    }));

  it("runs the webhook now with a recent delivery's payload and the headers its allow-list kept", () =>
    s.guarded('webhook-run-now', async () => {
      const body = JSON.stringify({ number: 42, action: 'opened' });
      const signature = `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}`;
      const res = await fetch(hook.url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-clockwork-signature': signature, 'x-request-id': 'req-7' },
      });
      assert.equal(res.status, 202);
      // The delivery's run is over before the menu opens: the views stop
      // redrawing its rows, which could otherwise move under the pointer.
      await page.locator('.part.sidebar .monaco-list-row[aria-label*=", success,"]', { hasText: 'webhook gh' }).first().waitFor({ state: 'visible', timeout: UI });
      const row = await clockworkRow(page, 'gh');
      await contextMenu(page, row, 'Run Now…');
      const delivery = quickInput(page).row('{"action":"opened","number":42}');
      await delivery.waitFor({ state: 'visible', timeout: UI });
      assert.match(await delivery.innerText(), /x-request-id: req-7/);
      await screenshot(page, s.screenshotsDir, '4-webhook-payloads');
      await delivery.click();
      const frame = await webviewFrame(page, { timeout: UI });
      await frame.locator('#step-0 pre', { hasText: 'pr=42 request=req-7' }).waitFor({ state: 'visible', timeout: UI });
      assert.match(await frame.locator('#meta').innerText(), /manual · gh/);
      s.lap('webhook run with a delivery payload');
    }));

  it('registers a file watcher in a stepped wizard', () =>
    s.guarded('register-watcher', async () => {
      const q = quickInput(page);
      await runCommand(page, 'Clockwork: Register File Watcher…');
      await q.waitForTitle('Register File Watcher (1/5)');
      await q.row('notes.workflow.ts').click();
      // VS Code's own file dialog, titled with the step.
      await q.waitForTitle('(2/5)');
      // Once the dialog shows the workspace, typing the folder's path opens it
      // there; the dialog's own button (labelled Watch) then picks it. Enter
      // would open the file under the cursor.
      await q.row(/^notes$/).waitFor({ state: 'visible', timeout: UI });
      await q.widget.locator('.quick-input-box input').fill(`${path.join(s.workspace, 'notes')}/`);
      await q.row('readme.md').waitFor({ state: 'visible', timeout: UI });
      await q.widget.locator('.monaco-button', { hasText: /^Watch$/ }).click();
      await q.waitForTitle('Register File Watcher (3/5)');
      await page.keyboard.press('Enter');
      await q.waitForTitle('Register File Watcher (4/5)');
      await q.answer('**/*.md');
      await q.waitForTitle('Register File Watcher (5/5)');
      await q.answer('notes');
      const row = await clockworkRow(page, 'notes');
      assert.match(await row.innerText(), /created, modified · notes\/\*\*\/\*\.md/);
      s.lap('watcher registered');
    }));

  it('registers a run trigger in a stepped wizard, warns of a workflow that has not run, and runs it when a watched run fails', () =>
    s.guarded('register-run-trigger', async () => {
      const q = quickInput(page);
      await recordToasts(page);
      await runWizardCommand(page, 'Clockwork: Register Run Trigger…', 'Register Run Trigger (1/4)');
      await q.row('alert.workflow.ts').click();
      await q.waitForTitle('Register Run Trigger (2/4)');
      // The workflows the agent has seen, and a way to name one that has not run yet.
      await q.row('report').click();
      await q.row('Other names…').click();
      await page.keyboard.press('Enter');
      await q.widget.locator('.quick-input-message', { hasText: 'Workflow names, separated by commas' }).waitFor({ state: 'visible', timeout: UI });
      await q.answer('nightly-backup');
      await q.waitForTitle('Register Run Trigger (3/4)');
      // failed is preselected.
      await page.keyboard.press('Enter');
      await q.waitForTitle('Register Run Trigger (4/4)');
      await q.answer('alert-on-report');
      const warning = page.locator('.notifications-toasts .notification-toast', { hasText: /no workflow named "nightly-backup" has run/ }).first();
      await warning.waitFor({ state: 'visible', timeout: UI });
      const row = await clockworkRow(page, 'alert-on-report');
      assert.match(await row.innerText(), /failed · report, nightly-backup/);
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Run Triggers' }).first().waitFor({ state: 'visible', timeout: UI });

      // A failing run of report starts alert, which the Runs view shows as the run trigger's.
      await cli(s.home, ['fire', 'report-every-second']);
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'run alert-on-report' }).first().waitFor({ state: 'visible', timeout: UI });
      await screenshot(page, s.screenshotsDir, '4-run-trigger');
      s.lap('run trigger registered and fired');
    }));

  it('shows the Triggers tree with every kind of trigger', () =>
    s.guarded('tree', async () => {
      await cli(s.home, ['register', path.join(s.workspace, 'deploy.workflow.ts'), '--cron', '0 9 * * 1-5', '--tz', 'Europe/Berlin', '--name', 'weekday-deploy']);
      await clockworkRow(page, 'weekday-deploy');
      // A wider sidebar, as a user reading the tree would have it.
      await widenSidebar(page, 140);
      await screenshot(page, s.screenshotsDir, '5-tree');
      await partShot(page, page.locator('.part.sidebar'), s.mediaDirs, 'triggers-tree', { maxHeight: 330 });
    }));

  it('leaves an agent stopped from a terminal stopped: no new agent for 10 s, and the views say it is stopped', () =>
    s.guarded('agent-stop', async () => {
      const before = await agentPid(s.home);
      // The deploy run's panel, still open from the test before.
      const frame = await webviewFrame(page, { timeout: UI });
      await cli(s.home, ['agent', 'stop']);
      await page.locator('.part.sidebar', { hasText: 'The Clockwork agent is not running' }).waitFor({ state: 'visible', timeout: UI });
      await page.locator('.part.statusbar .codicon-debug-disconnect').first().waitFor({ state: 'visible', timeout: UI });
      // Nothing may start an agent: its socket would appear in the home.
      const appeared = await new Promise((resolve) => {
        const watcher = watch(s.home, (_event, file) => {
          if (file === 'agent.sock' || file === 'agent.lock') finish(file);
        });
        const timer = setTimeout(() => finish(null), 10_000);
        const finish = (file) => {
          clearTimeout(timer);
          watcher.close();
          resolve(file);
        };
      });
      assert.equal(appeared, null, 'no new agent within 10 s');
      await assert.rejects(agentPid(s.home), (e) => e.code === 1, 'clockwork status: not running');
      const offline = frame.locator('#offline');
      await offline.filter({ hasText: 'not running' }).waitFor({ state: 'visible', timeout: UI });
      assert.doesNotMatch(await offline.innerText(), /waiting/);
      await screenshot(page, s.screenshotsDir, '6-agent-stopped');
      await page.locator('.part.sidebar .monaco-button', { hasText: 'Start Agent' }).first().click();
      // Connected again: the status bar names the next fire, the tree lists the triggers.
      await page.locator('.part.statusbar', { hasText: 'weekday-deploy in' }).first().waitFor({ state: 'visible', timeout: UI });
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'POST /webhook/gh' }).first().waitFor({ state: 'visible', timeout: UI });
      assert.notEqual(await agentPid(s.home), before, 'a new agent, started on request');
      s.lap('stop respected, started on request');
    }));

  it('restarts an agent that died mid-run and then shows that run as failed', () =>
    s.guarded('agent-crash', async () => {
      await quickOpen(page, 'slow.workflow.ts');
      await page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run Now' }).first().click();
      const frame = await webviewFrame(page, { timeout: UI });
      await frame.locator('#status', { hasText: 'running' }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#step-0 pre', { hasText: 'waiting for a minute' }).waitFor({ state: 'visible', timeout: UI });
      const before = await agentPid(s.home);
      process.kill(before, 'SIGKILL');
      // The panel says it lost the agent, the extension starts a new one
      // (the old one did not ask to stop), and the new agent's recovery
      // marks the orphaned run failed, under the step that was running.
      await frame.locator('#status', { hasText: 'failed' }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#step-0 .step-error', { hasText: 'the agent stopped while this run was in progress' }).waitFor({ state: 'visible', timeout: UI });
      assert.notEqual(await agentPid(s.home), before, 'a new agent runs');
      await screenshot(page, s.screenshotsDir, '7-run-failed-after-agent-crash');
      s.lap('agent restarted, run shown failed');
    }));

  it('wrote each line of agent.log once, for every agent the extension started', () =>
    s.guarded('agent-log', async () => {
      // The agent's own lines carry their instant; each is there once.
      const lines = readFileSync(path.join(s.home, 'agent.log'), 'utf8').split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
      const starts = lines.filter((l) => / agent \S+ started \(pid/.test(l));
      assert.equal(starts.length, 3, `started on activation, by Start Agent, after the crash:\n${starts.join('\n')}`);
      assert.equal(new Set(lines).size, lines.length, 'no line is written twice');
    }));
});
