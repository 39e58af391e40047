// Replay and backfill in a real VS Code (code-server + Chromium): a signed
// webhook delivery replayed from the Runs tree's context menu (the run
// panel shows the replay, the agent records replay_of), replayed again with
// a body edited as JSON in an editor, and Backfill… on a schedule, whose dry
// run lists every instant of a DST day before anything runs, and which
// queues exactly those runs once confirmed.
//
//   bash scripts/e2e-setup.sh && npm run build && node --test test/e2e/recovery.e2e.mjs
//
// Skips (does not fail) when code-server or Chromium is not installed.
// Screenshots go to test-results/e2e/recovery.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { e2eSkipReason, runCommand, screenshot, webviewFrame } from './harness.mjs';
import { cli, startSession } from './session.mjs';
import { UI, clockworkRow, contextMenu, quickInput, showClockwork } from './ui.mjs';

const HOOK = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "deploy",
  steps: [shell("show", "echo action={trigger.body.action} event={trigger.headers.x-github-event}")],
});
`;

const HOURLY = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({ name: "hourly", steps: [shell("slice", "echo {run.scheduled_for}")] });
`;

async function json(promise) {
  return JSON.parse((await promise).stdout);
}

describe('Clockwork in VS Code: replay and backfill', { skip: e2eSkipReason() }, () => {
  let s;
  let page;
  let original;

  before(async () => {
    s = await startSession('recovery', { 'deploy.workflow.ts': HOOK, 'hourly.workflow.ts': HOURLY });
    page = s.page;
  });

  after(async () => {
    const leftover = (await s?.close()) ?? [];
    assert.deepEqual(leftover, [], 'processes of the agent the extension started are still running');
  });

  it('replays a webhook run from the Runs tree: same body and headers, replay_of recorded, shown in the run panel', () =>
    s.guarded('replay-from-tree', async () => {
      await showClockwork(page);
      await page.locator('.part.sidebar', { hasText: 'No triggers yet' }).waitFor({ state: 'visible', timeout: UI });
      const hook = await json(cli(s.home, ['register-webhook', path.join(s.workspace, 'deploy.workflow.ts'), '--name', 'gh', '--json']));
      const body = JSON.stringify({ action: 'opened', number: 42 });
      const signature = `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}`;
      const res = await fetch(`${hook.url}?wait=1`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': 'd-1', 'x-clockwork-signature': signature },
      });
      assert.equal(res.status, 200);
      original = await res.json();
      assert.equal(original.steps[0].output, 'action=opened event=issues');

      const row = page.locator('.part.sidebar .monaco-list-row', { hasText: 'webhook gh' }).first();
      await row.waitFor({ state: 'visible', timeout: UI });
      await contextMenu(page, row, 'Replay');
      const frame = await webviewFrame(page, { timeout: UI });
      await frame.locator('#meta', { hasText: `replay of ${original.id}` }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#step-0 pre', { hasText: 'action=opened event=issues' }).waitFor({ state: 'visible', timeout: UI });
      await page.locator('.part.sidebar .monaco-list-row', { hasText: /webhook gh · replay/ }).first().waitFor({ state: 'visible', timeout: UI });
      await screenshot(page, s.screenshotsDir, '1-replayed-from-tree');
      const [latest] = await json(cli(s.home, ['history', '--limit', '1', '--json']));
      assert.equal(latest.replayOf, original.id);
      assert.equal(latest.triggerKind, 'webhook');
      s.lap('replayed from the Runs tree');
    }));

  it('replays with a body edited as JSON in an editor', () =>
    s.guarded('replay-edited-body', async () => {
      const row = page.locator('.part.sidebar .monaco-list-row', { hasText: /webhook gh$/ }).first();
      await contextMenu(page, row, 'Replay with Edited Body…');
      const editor = page.locator('.editor-group-container .monaco-editor', { hasText: '"action": "opened"' }).first();
      await editor.waitFor({ state: 'visible', timeout: UI });
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      // Typed without the closing brace: the editor closes brackets and quotes itself.
      await page.keyboard.type('{"action": "closed", "number": 43');
      await page.locator('.editor-group-container .monaco-editor .view-lines', { hasText: '"closed"' }).first().waitFor({ state: 'visible', timeout: UI });
      await screenshot(page, s.screenshotsDir, '2-edited-body');
      await runCommand(page, 'Clockwork: Replay with This Body');
      const frame = await webviewFrame(page, { timeout: UI });
      await frame.locator('#step-0 pre', { hasText: 'action=closed event=issues' }).waitFor({ state: 'visible', timeout: UI });
      const [latest] = await json(cli(s.home, ['history', '--limit', '1', '--json']));
      const record = await json(cli(s.home, ['show', latest.id, '--json']));
      assert.equal(record.replayOf, original.id);
      assert.deepEqual(record.trigger.body, { action: 'closed', number: 43 });
      assert.deepEqual(record.trigger.headers, original.trigger.headers);
      s.lap('replayed with an edited body');
    }));

  it('shows the backfill dry run, every instant of the DST day, before it runs anything; confirming queues them', () =>
    s.guarded('backfill-dry-run', async () => {
      await cli(s.home, ['register', path.join(s.workspace, 'hourly.workflow.ts'), '--cron', '0 * * * *', '--tz', 'America/New_York', '--name', 'hourly']);
      const row = await clockworkRow(page, 'hourly');
      await contextMenu(page, row, 'Backfill…');
      const q = quickInput(page);
      await q.waitForTitle('Backfill hourly (1/3): from');
      await q.answer('2025-03-09');
      await q.waitForTitle('Backfill hourly (2/3): to');
      await q.answer('2025-03-10');
      await q.waitForTitle('Backfill hourly (3/3)');
      await q.row('Only instants that never ran').click();

      await q.waitForTitle('Backfill hourly: 23 of 23 instants would run (dry run)');
      await q.row('2025-03-09 00:00 EST').waitFor({ state: 'visible', timeout: UI });
      await q.row('2025-03-09 03:00 EDT').waitFor({ state: 'visible', timeout: UI });
      assert.match(await q.row('2025-03-09 01:00 EST').innerText(), /never ran → run/);
      await screenshot(page, s.screenshotsDir, '3-backfill-dry-run');
      // Shown, not yet done: the agent has no run of the schedule.
      assert.deepEqual(await json(cli(s.home, ['history', '--trigger', 'hourly', '--json'])), []);
      // An instant's line only informs: the list stays.
      await q.row('2025-03-09 00:00 EST').click();
      await q.waitForTitle('Backfill hourly: 23 of 23 instants would run (dry run)');

      await q.row('Run 23 backfill runs').click();
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'Backfill hourly: queued 23 runs' }).first().waitFor({ state: 'visible', timeout: UI });
      const runs = await json(cli(s.home, ['history', '--trigger', 'hourly', '--limit', '100', '--json']));
      assert.equal(runs.length, 23);
      assert.ok(runs.every((r) => r.backfill && r.triggerKind === 'cron'));
      assert.deepEqual(runs.map((r) => r.scheduledFor).sort()[0], '2025-03-09T05:00:00.000Z');
      await page.locator('.part.sidebar .monaco-list-row', { hasText: /cron hourly · backfill/ }).first().waitFor({ state: 'visible', timeout: UI });
      await screenshot(page, s.screenshotsDir, '4-backfill-queued');
      s.lap('backfill shown, then confirmed');
    }));
});
