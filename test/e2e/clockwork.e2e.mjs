// The Clockwork extension in a real VS Code (code-server + Chromium), the way
// a user meets it while writing workflows: installed from the packaged .vsix,
// starting its own agent, then CodeLens, Run Now with live output in one
// reused run panel and no notification while that panel shows the result,
// the cron editor validating with the agent (Asia/Kolkata), a schedule
// firing every 2 seconds with its tree row kept true without Refresh, Edit
// Schedule, Pause/Resume, Unregister, the Runs filter, a diagnostic and the
// editor-types quick fix. Background runs, webhooks, watchers and the agent's
// lifecycle are in clockwork-agent.e2e.mjs.
//
//   bash scripts/e2e-setup.sh && npm run build && node --test test/e2e/clockwork.e2e.mjs
//
// Skips (does not fail) when code-server or Chromium is not installed.
// Screenshots go to test-results/e2e/clockwork (or $E2E_SCREENSHOTS_DIR);
// CLOCKWORK_UPDATE_MEDIA=1 also writes the README's screenshots into media/;
// E2E_KEEP_RUN=1 keeps the run folder with every log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eSkipReason, quickOpen, runCommand, screenshot, webviewFrame } from './harness.mjs';
import { startSession } from './session.mjs';
import { UI, clockworkRow, contextMenu, dialog, hoverText, partShot, quickInput, recordToasts, showClockwork, toasts } from './ui.mjs';

const HELLO = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "hello",
  steps: [
    shell("greet", "echo hello from clockwork"),
    shell("shout", "echo {greet} | tr a-z A-Z"),
  ],
});
`;

const OTHER = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({ name: "other", steps: [shell("main", "echo other")] });
`;

// A missing comma: the loader's error must land on line 6.
const BROKEN = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "broken",
  steps: [
    shell("first" "echo missing comma"),
  ],
});
`;

describe('Clockwork in VS Code: writing and running workflows', { skip: e2eSkipReason() }, () => {
  let s;
  let page;

  before(async () => {
    s = await startSession('clockwork', {
      'hello.workflow.ts': HELLO,
      'other.workflow.ts': OTHER,
      'broken.workflow.ts': BROKEN,
    });
    page = s.page;
  });

  after(async () => {
    const leftover = (await s?.close()) ?? [];
    assert.deepEqual(leftover, [], 'processes of the agent the extension started are still running');
  });

  it('shows Run Now and Schedule CodeLens, served by the agent the extension started, whose log has each line once', () =>
    s.guarded('codelens', async () => {
      await quickOpen(page, 'hello.workflow.ts');
      await page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run Now' }).first().waitFor({ state: 'visible', timeout: UI });
      await page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Schedule…' }).first().waitFor({ state: 'visible', timeout: UI });
      assert.ok(existsSync(path.join(s.home, 'agent.sock')), 'the agent socket exists in CLOCKWORK_HOME');
      const lines = readFileSync(path.join(s.home, 'agent.log'), 'utf8').split('\n').filter(Boolean);
      assert.equal(lines.filter((l) => / agent \S+ started \(pid/.test(l)).length, 1, 'one start, logged once');
      assert.equal(new Set(lines).size, lines.length, 'no line of agent.log is written twice');
      await screenshot(page, s.screenshotsDir, '1-codelens');
      s.lap('CodeLens seen');
    }));

  it('offers in the palette only the commands that have something to act on, each once', () =>
    s.guarded('palette', async () => {
      const rows = async (query) => {
        await page.keyboard.press('F1');
        const widget = page.locator('.quick-input-widget');
        await widget.locator('.quick-input-box input').fill(`>${query}`);
        const list = widget.locator('.monaco-list-row');
        await list.first().waitFor({ state: 'visible', timeout: UI });
        const texts = await list.allInnerTexts();
        await page.keyboard.press('Escape');
        await widget.waitFor({ state: 'hidden', timeout: UI });
        return texts.map((t) => t.split('\n')[0].trim());
      };
      assert.deepEqual((await rows('Clockwork: Focus on Triggers')).filter((t) => t.startsWith('Clockwork: Focus on Triggers')), ['Clockwork: Focus on Triggers View']);
      // No triggers and no runs going: nothing to pause, resume or cancel.
      for (const title of ['Clockwork: Pause', 'Clockwork: Resume', 'Clockwork: Cancel Run', 'Clockwork: Edit Schedule…']) {
        assert.ok(!(await rows(title)).includes(title), `${title} is not offered`);
      }
      assert.ok((await rows('Clockwork: Run Workflow…')).includes('Clockwork: Run Workflow…'));
    }));

  it('runs from the CodeLens into one reused run panel, with no notification while the panel shows the result', () =>
    s.guarded('run-panel', async () => {
      await recordToasts(page);
      const runNow = page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run Now' }).first();
      await runNow.click();
      let frame = await webviewFrame(page, { timeout: UI });
      await frame.locator('#status', { hasText: 'success' }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#step-0 pre', { hasText: 'hello from clockwork' }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#step-1 pre', { hasText: 'HELLO FROM CLOCKWORK' }).waitFor({ state: 'visible', timeout: UI });
      assert.equal(await frame.locator('#workflow').innerText(), 'hello');
      const firstMeta = await frame.locator('#meta').innerText();

      // Again from the file: the same panel shows the new run.
      await quickOpen(page, 'hello.workflow.ts');
      await runNow.click();
      frame = await webviewFrame(page, { timeout: UI });
      await frame.locator('#meta').filter({ hasNotText: firstMeta.split(' · ')[0] }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#status', { hasText: 'success' }).waitFor({ state: 'visible', timeout: UI });
      // And Rerun in the panel.
      const secondMeta = await frame.locator('#meta').innerText();
      await frame.locator('#rerun').click();
      await frame.locator('#meta').filter({ hasNotText: secondMeta.split(' · ')[0] }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#status', { hasText: 'success' }).waitFor({ state: 'visible', timeout: UI });
      const panels = page.locator('.editor-group-container .tab', { hasText: /hello · / });
      assert.equal(await panels.count(), 1, 'three runs, one panel');

      // A command through the extension host after the runs ended: any
      // notification they asked for has been shown by the time it answers.
      await runCommand(page, 'Clockwork: Show Runs');
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'manual' }).nth(2).waitFor({ state: 'visible', timeout: UI });
      assert.deepEqual(await toasts(page), [], 'no notification while the run panel shows the result');
      await screenshot(page, s.screenshotsDir, '2-run-panel');
      await partShot(page, page.locator('.part.editor'), s.mediaDirs, 'run-panel', { maxHeight: 330, maxWidth: 820 });
      s.lap('run panel reused, no toasts');
    }));

  it('validates the cron editor with the agent: Asia/Kolkata registers, errors wait for a pause and name the field at fault', () =>
    s.guarded('cron-editor', async () => {
      await recordToasts(page);
      await runCommand(page, 'Clockwork: Register Schedule…');
      const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'hello.workflow.ts' }).first();
      await pick.waitFor({ state: 'visible', timeout: UI });
      await pick.click();
      const frame = await webviewFrame(page, { timeout: UI });
      const cron = frame.locator('#cron');
      const zone = frame.locator('#timezone');
      const cronError = frame.locator('#cron-error');
      const zoneError = frame.locator('#timezone-error');
      await cron.waitFor({ state: 'visible', timeout: UI });
      // The agent's zone list is offered, in current IANA spelling.
      assert.ok((await frame.locator('#zones option[value="Asia/Kolkata"]').count()) === 1, 'Asia/Kolkata is offered');

      await cron.fill('0 9 * * 1-5');
      await zone.fill('');
      await zone.pressSequentially('Asia/Kol', { delay: 40 });
      assert.equal(await zoneError.isVisible(), false, 'no error while typing');
      // Once typing pauses, the agent's verdict shows under the zone, not the expression.
      await zoneError.filter({ hasText: 'unknown zone "Asia/Kol"' }).waitFor({ state: 'visible', timeout: UI });
      assert.equal(await cronError.isVisible(), false, 'the expression is not blamed for the zone');
      await frame.locator('#fires li', { hasText: 'Pick a time zone' }).waitFor({ state: 'visible', timeout: UI });
      assert.equal(await frame.locator('#save').isDisabled(), true);

      await zone.pressSequentially('kata', { delay: 40 });
      await zoneError.waitFor({ state: 'hidden', timeout: UI });
      await frame.locator('#fires li', { hasText: 'GMT+5:30' }).nth(4).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#description', { hasText: '09:00' }).waitFor({ state: 'visible', timeout: UI });

      await cron.fill('61 * * * *');
      await cronError.filter({ hasText: 'out of range' }).waitFor({ state: 'visible', timeout: UI });
      assert.equal(await zoneError.isVisible(), false);
      assert.equal(await frame.locator('#save').isDisabled(), true, 'Save is disabled for an invalid expression');
      await screenshot(page, s.screenshotsDir, '3-cron-editor-invalid');

      await cron.fill('0 9 * * 1-5');
      await cronError.waitFor({ state: 'hidden', timeout: UI });
      await frame.locator('#name').fill('kolkata');
      await frame.locator('#save:not([disabled])').waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#fires li', { hasText: 'GMT+5:30' }).nth(4).waitFor({ state: 'visible', timeout: UI });
      await screenshot(page, s.screenshotsDir, '4-cron-editor');
      await partShot(page, page.locator('.part.editor'), s.mediaDirs, 'cron-editor', { maxHeight: 780, maxWidth: 820 });
      await frame.locator('#save').click();
      const row = await clockworkRow(page, 'kolkata');
      await row.filter({ hasText: /in \d+ (min|h|day)|in \d+ days/ }).waitFor({ state: 'visible', timeout: UI });
      assert.deepEqual(await toasts(page), [], 'the tree shows the new schedule: no notification');
      s.lap('Asia/Kolkata schedule registered');
    }));

  it('keeps a schedule row true while it fires every 2 seconds: last run and next fire, without Refresh', () =>
    s.guarded('live-tree', async () => {
      const row = await clockworkRow(page, 'kolkata');
      assert.match(await hoverText(page, row, /Last run/), /Last run: never/);
      await contextMenu(page, row, 'Edit Schedule…');
      const frame = await webviewFrame(page, { timeout: UI });
      await frame.locator('#name[readonly]').waitFor({ state: 'attached', timeout: UI });
      await frame.locator('#cron').fill('*/2 * * * * *');
      await frame.locator('#description', { hasText: /2 seconds/ }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#save:not([disabled])').click();
      // Four fires: a tree that missed them would by now say the first next
      // fire was "5 s ago" and the last run "never".
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'cron kolkata' }).nth(3).waitFor({ state: 'visible', timeout: UI });
      const text = await row.innerText();
      assert.match(text, /now|in \d s/);
      assert.doesNotMatch(text, /ago/);
      const tooltip = await hoverText(page, row, /Last run/);
      assert.match(tooltip, /Last run: [✓●○] (success|running|queued)/);
      await screenshot(page, s.screenshotsDir, '5-tree-live');
      s.lap('tree follows fires');
    }));

  it('pauses the schedule from its context menu, greys its row, and resumes it', () =>
    s.guarded('pause-resume', async () => {
      const row = await clockworkRow(page, 'kolkata');
      const label = row.locator('.label-name').first();
      await quickOpen(page, 'hello.workflow.ts');
      const activeColour = await label.evaluate((el) => getComputedStyle(el).color);
      await contextMenu(page, row, 'Pause');
      await row.filter({ hasText: 'paused' }).waitFor({ state: 'visible', timeout: UI });
      await row.locator('.codicon-debug-pause').first().waitFor({ state: 'visible', timeout: UI });
      // A selected row is drawn in the selection's colours: look at it unselected.
      await quickOpen(page, 'hello.workflow.ts');
      assert.notEqual(await label.evaluate((el) => getComputedStyle(el).color), activeColour, 'the paused label is greyed');
      await screenshot(page, s.screenshotsDir, '6-tree-paused');
      await contextMenu(page, row, 'Resume');
      await row.filter({ hasText: /now|in \d s/ }).waitFor({ state: 'visible', timeout: UI });
      assert.doesNotMatch(await row.innerText(), /paused/);
      await quickOpen(page, 'hello.workflow.ts');
      assert.equal(await label.evaluate((el) => getComputedStyle(el).color), activeColour);
      s.lap('paused and resumed');
    }));

  it('unregisters the schedule after a confirmation', () =>
    s.guarded('unregister', async () => {
      const row = await clockworkRow(page, 'kolkata');
      await contextMenu(page, row, 'Unregister…');
      const confirm = await dialog(page);
      assert.match(await confirm.text(), /Unregister the schedule "kolkata"\?/);
      await confirm.press('Unregister');
      await page.locator('.part.sidebar .monaco-list-row', { hasText: /^kolkata/ }).waitFor({ state: 'detached', timeout: UI });
      await page.locator('.part.sidebar', { hasText: 'No triggers yet' }).waitFor({ state: 'visible', timeout: UI });
      s.lap('unregistered');
    }));

  it('filters the Runs view by workflow and clears the filter', () =>
    s.guarded('runs-filter', async () => {
      await runCommand(page, 'Clockwork: Run Workflow…');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'other.workflow.ts' }).first().click();
      await (await webviewFrame(page, { timeout: UI })).locator('#status', { hasText: 'success' }).waitFor({ state: 'visible', timeout: UI });
      await showClockwork(page);
      const runs = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) }).first();
      await runs.locator('.monaco-list-row', { hasText: 'other' }).first().waitFor({ state: 'visible', timeout: UI });
      await runs.locator('.pane-header').hover();
      await runs.locator('.pane-header .action-label[aria-label="Filter Runs by Workflow…"]').click();
      await quickInput(page).answer('other');
      await runs.locator('.pane-header', { hasText: 'other' }).waitFor({ state: 'visible', timeout: UI });
      await runs.locator('.monaco-list-row', { hasText: 'hello' }).first().waitFor({ state: 'detached', timeout: UI });
      assert.ok((await runs.locator('.monaco-list-row', { hasText: 'other' }).count()) >= 1);
      await screenshot(page, s.screenshotsDir, '7-runs-filtered');
      await runs.locator('.pane-header').hover();
      await runs.locator('.pane-header .action-label[aria-label="Clear Runs Filter"]').click();
      await runs.locator('.monaco-list-row', { hasText: 'hello' }).first().waitFor({ state: 'visible', timeout: UI });
      s.lap('runs filtered and cleared');
    }));

  it('shows a diagnostic at the right line of a broken workflow file', () =>
    s.guarded('diagnostic', async () => {
      await quickOpen(page, 'broken.workflow.ts');
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'attached', timeout: UI });
      await page.keyboard.press('Control+Shift+M');
      const marker = page.locator('.markers-panel .monaco-list-row', { hasText: /Expected|Unexpected/ }).first();
      await marker.waitFor({ state: 'visible', timeout: UI });
      assert.match(await marker.innerText(), /\[Ln 6, Col \d+\]/);
      await screenshot(page, s.screenshotsDir, '8-diagnostic');
      s.lap('diagnostic seen');
    }));

  it('adds editor types for "clockwork" so TypeScript stops reporting the module as missing', () =>
    s.guarded('types', async () => {
      await quickOpen(page, 'hello.workflow.ts');
      const problems = page.locator('.markers-panel');
      if (!(await problems.isVisible())) await page.keyboard.press('Control+Shift+M');
      const missing = problems.locator('.monaco-list-row', { hasText: "Cannot find module 'clockwork'" });
      await missing.first().waitFor({ state: 'visible', timeout: UI });
      await quickOpen(page, 'hello.workflow.ts');
      await runCommand(page, 'Clockwork: Add Editor Types to Folder');
      await missing.first().waitFor({ state: 'detached', timeout: UI });
      assert.ok(existsSync(path.join(s.workspace, 'clockwork.d.ts')));
      await screenshot(page, s.screenshotsDir, '9-editor-types');
      s.lap('editor types added');
    }));
});
