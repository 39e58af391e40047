// The Clockwork extension in a real VS Code (code-server + Chromium), the way
// a user meets it: installed from the packaged .vsix, starting its own agent
// (the packaged agent bundle with its native module and esbuild binary; this
// test starts none), then CodeLens, Run Now with live output in the run
// panel, the cron editor's live preview, the schedule in the tree, pausing it
// from the context menu, and a diagnostic on a broken workflow file.
//
//   bash scripts/e2e-setup.sh && npm run build && node --test test/e2e/clockwork.e2e.mjs
//
// Skips (does not fail) when code-server is not installed. Screenshots go to
// test-results/e2e/clockwork (or $E2E_SCREENSHOTS_DIR); E2E_KEEP_RUN=1 keeps
// the run folder with every log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CODE_SERVER_BIN,
  REPO_ROOT,
  freePort,
  groupMembers,
  openWorkbench,
  quickOpen,
  runCommand,
  screenshot,
  startCodeServer,
  webviewFrame,
} from './harness.mjs';

const execFileP = promisify(execFile);
const screenshotsDir = path.resolve(process.env.E2E_SCREENSHOTS_DIR || path.join(REPO_ROOT, 'test-results', 'e2e', 'clockwork'));
const UI = 60_000;

const HELLO = `import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "hello",
  steps: [
    shell("greet", "echo hello from clockwork"),
    shell("shout", "echo {greet} | tr a-z A-Z"),
  ],
});
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

const skip = existsSync(CODE_SERVER_BIN)
  ? false
  : `code-server is not installed (${path.relative(REPO_ROOT, CODE_SERVER_BIN)}): run \`bash scripts/e2e-setup.sh\` to run the VS Code tests`;

describe('Clockwork extension in VS Code', { skip }, () => {
  let tmp;
  let server;
  let wb;
  let page;
  let clockworkHome;
  let failed = false;
  const t0 = Date.now();
  const lap = (what) => console.log(`# ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  async function guarded(name, fn) {
    try {
      await fn();
    } catch (error) {
      failed = true;
      if (page) await screenshot(page, screenshotsDir, `FAILED-${name}`).catch(() => {});
      const agentLog = clockworkHome ? tailOf(path.join(clockworkHome, 'agent.log')) : '';
      if (agentLog) console.log(`# agent.log:\n${agentLog}`);
      throw error;
    }
  }

  before(async () => {
    const extensionBundle = path.join(REPO_ROOT, 'dist', 'extension.js');
    assert.ok(existsSync(extensionBundle), 'dist/extension.js is missing: run `npm run build` first');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'cw-e2e-'));
    const vsix = path.join(tmp, 'clockwork.vsix');
    await execFileP(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce'),
      ['package', '--no-yarn', '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix],
      { cwd: REPO_ROOT, timeout: 180_000 },
    );
    lap('vsix packaged');
    const workspace = path.join(tmp, 'workspace');
    await mkdir(workspace, { recursive: true });
    await writeFile(path.join(workspace, 'hello.workflow.ts'), HELLO);
    await writeFile(path.join(workspace, 'broken.workflow.ts'), BROKEN);
    await writeFile(path.join(workspace, 'slow.workflow.ts'), SLOW);
    // Short, private paths: a Unix socket path must stay under ~100 bytes.
    clockworkHome = path.join(tmp, 'home');
    server = await startCodeServer({
      runDir: path.join(tmp, 'run'),
      workspace,
      vsixPath: vsix,
      settings: { 'editor.codeLens': true, 'files.autoSave': 'off' },
      env: { CLOCKWORK_HOME: clockworkHome, CLOCKWORK_HTTP_PORT: String(await freePort()) },
    });
    lap(`code-server on port ${server.port}`);
    wb = await openWorkbench(server.url, { screenshotsDir });
    page = wb.page;
    lap('workbench ready');
  });

  after(async () => {
    await wb?.close().catch(() => {});
    await server?.stop().catch(() => {});
    const leftover = clockworkHome ? await stopAgent(clockworkHome) : [];
    lap('shut down');
    // E2E_KEEP_RUN=1 keeps the run folder (logs of code-server, the extension host and the agent).
    if (!failed && tmp && !process.env.E2E_KEEP_RUN) await rm(tmp, { recursive: true, force: true });
    else if (tmp) console.log(`# run folder kept: ${tmp} (code-server log: ${server?.logFile})`);
    assert.deepEqual(leftover, [], 'processes of the agent the extension started are still running');
  });

  it('shows Run Now and Schedule CodeLens on a workflow file, served by the agent the extension started', () =>
    guarded('codelens', async () => {
      await quickOpen(page, 'hello.workflow.ts');
      const runNow = page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run Now' }).first();
      await runNow.waitFor({ state: 'visible', timeout: UI });
      await page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Schedule…' }).first().waitFor({ state: 'visible', timeout: UI });
      // The extension started the agent from the installed .vsix.
      assert.ok(existsSync(path.join(clockworkHome, 'agent.sock')), 'the agent socket exists in CLOCKWORK_HOME');
      await page.locator('.part.statusbar', { hasText: 'Clockwork' }).first().waitFor({ state: 'visible', timeout: UI });
      await screenshot(page, screenshotsDir, '1-codelens');
      lap('CodeLens seen');
    }));

  it('runs the workflow from the CodeLens and shows each step with its output in the run panel', () =>
    guarded('run-panel', async () => {
      await page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run Now' }).first().click();
      const frame = await webviewFrame(page, { timeout: UI });
      const badge = frame.locator('#status');
      await badge.filter({ hasText: 'success' }).waitFor({ state: 'visible', timeout: UI });
      const greet = frame.locator('#step-0');
      const shout = frame.locator('#step-1');
      await greet.locator('pre', { hasText: 'hello from clockwork' }).waitFor({ state: 'visible', timeout: UI });
      await shout.locator('pre', { hasText: 'HELLO FROM CLOCKWORK' }).waitFor({ state: 'visible', timeout: UI });
      assert.match(await greet.locator('.facts').innerText(), /success/);
      assert.equal(await frame.locator('#workflow').innerText(), 'hello');
      await screenshot(page, screenshotsDir, '2-run-panel');
      lap('run panel shows the output');
    }));

  it('previews an expression as it is typed in the cron editor and registers the schedule', () =>
    guarded('cron-editor', async () => {
      await runCommand(page, 'Clockwork: Register Schedule…');
      // Not started from a file: the command asks which workflow.
      const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'hello.workflow.ts' }).first();
      await pick.waitFor({ state: 'visible', timeout: UI });
      await pick.click();
      const frame = await webviewFrame(page, { timeout: UI });
      const cron = frame.locator('#cron');
      await cron.waitFor({ state: 'visible', timeout: UI });
      const description = frame.locator('#description');
      const fires = frame.locator('#fires li');

      await cron.fill('0 9 * * 1-5');
      await description.filter({ hasText: /09:00/ }).waitFor({ state: 'visible', timeout: UI });
      const weekdays = await description.innerText();
      await fires.nth(4).waitFor({ state: 'visible', timeout: UI });
      assert.equal(await fires.count(), 5);

      await cron.fill('61 * * * *');
      const error = frame.locator('#cron-error');
      await error.waitFor({ state: 'visible', timeout: UI });
      assert.equal(await frame.locator('#save').isDisabled(), true, 'Save is disabled for an invalid expression');
      await screenshot(page, screenshotsDir, '3-cron-editor-invalid');

      await cron.fill('*/5 * * * *');
      await error.waitFor({ state: 'hidden', timeout: UI });
      await description.filter({ hasText: /5 minutes/ }).waitFor({ state: 'visible', timeout: UI });
      assert.notEqual(await description.innerText(), weekdays, 'the description follows the expression');
      const firstFire = await fires.first().innerText();
      assert.match(firstFire, /in \d+ (min|s)|now/);
      await frame.locator('#name').fill('hello-every-5');
      await frame.locator('#timezone').fill('UTC');
      await frame.locator('#save:not([disabled])').waitFor({ state: 'visible', timeout: UI });
      await screenshot(page, screenshotsDir, '4-cron-editor');
      await frame.locator('#save').click();
      lap('schedule saved');
    }));

  it('lists the new schedule in the Triggers tree with its cadence and next fire', () =>
    guarded('tree', async () => {
      const row = await triggerRow('hello-every-5');
      await row.filter({ hasText: /in \d+ (min|s)|now/ }).waitFor({ state: 'visible', timeout: UI });
      assert.match(await row.innerText(), /5 minutes/);
      await screenshot(page, screenshotsDir, '5-tree-schedule');
      lap('schedule in the tree');
    }));

  it('pauses the schedule from its context menu and shows it paused', () =>
    guarded('pause', async () => {
      const row = await triggerRow('hello-every-5');
      await row.click({ button: 'right' });
      const pause = page.locator('.context-view .monaco-menu .action-menu-item', { hasText: /^\s*Pause\s*$/ }).first();
      await pause.waitFor({ state: 'visible', timeout: UI });
      await pause.hover();
      await screenshot(page, screenshotsDir, '6-context-menu');
      // VS Code's menus act on the keyboard as on the mouse; Enter on the
      // hovered item is what a mouse click amounts to, without the menu's
      // mouse-up timing that a synthetic click can miss.
      await page.keyboard.press('Enter');
      await pause.waitFor({ state: 'hidden', timeout: UI });
      await row.filter({ hasText: 'paused' }).waitFor({ state: 'visible', timeout: UI });
      await row.locator('.codicon-debug-pause').first().waitFor({ state: 'visible', timeout: UI });
      await screenshot(page, screenshotsDir, '7-tree-paused');
      lap('schedule paused');
    }));

  it('shows a diagnostic at the right line of a broken workflow file', () =>
    guarded('diagnostic', async () => {
      await quickOpen(page, 'broken.workflow.ts');
      const squiggle = page.locator('.monaco-editor .squiggly-error').first();
      await squiggle.waitFor({ state: 'attached', timeout: UI });
      await page.keyboard.press('Control+Shift+M');
      const marker = page.locator('.markers-panel .monaco-list-row', { hasText: /Expected|Unexpected/ }).first();
      await marker.waitFor({ state: 'visible', timeout: UI });
      assert.match(await marker.innerText(), /\[Ln 6, Col \d+\]/);
      await screenshot(page, screenshotsDir, '8-diagnostic');
      lap('diagnostic seen');
    }));

  it('restarts an agent that died mid-run and then shows that run as failed', () =>
    guarded('agent-crash', async () => {
      await quickOpen(page, 'slow.workflow.ts');
      await page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run Now' }).first().click();
      const frame = await webviewFrame(page, { timeout: UI });
      await frame.locator('#status', { hasText: 'running' }).waitFor({ state: 'visible', timeout: UI });
      await frame.locator('#step-0 pre', { hasText: 'waiting for a minute' }).waitFor({ state: 'visible', timeout: UI });
      const before = await agentPid(clockworkHome);
      process.kill(before, 'SIGKILL');
      // The panel says it lost the agent, the extension starts a new one
      // (the old one did not ask to stop), and the new agent's recovery
      // marks the orphaned run failed.
      await frame.locator('#status', { hasText: 'failed' }).waitFor({ state: 'visible', timeout: UI });
      // The error is shown where it happened: under the step that was running.
      await frame.locator('#step-0 .step-error', { hasText: 'the agent stopped while this run was in progress' }).waitFor({ state: 'visible', timeout: UI });
      const after = await agentPid(clockworkHome);
      assert.notEqual(after, before, 'a new agent runs');
      await screenshot(page, screenshotsDir, '9-run-failed-after-agent-crash');
      lap('agent restarted, run shown failed');
    }));

  it('adds editor types for "clockwork" so TypeScript stops reporting the module as missing', () =>
    guarded('types', async () => {
      await quickOpen(page, 'hello.workflow.ts');
      const problems = page.locator('.markers-panel');
      if (!(await problems.isVisible())) await page.keyboard.press('Control+Shift+M');
      const missing = problems.locator('.monaco-list-row', { hasText: "Cannot find module 'clockwork'" });
      await missing.first().waitFor({ state: 'visible', timeout: UI });
      await quickOpen(page, 'hello.workflow.ts');
      await runCommand(page, 'Clockwork: Add Editor Types to Folder');
      await missing.first().waitFor({ state: 'detached', timeout: UI });
      assert.ok(existsSync(path.join(server.workspace, 'clockwork.d.ts')));
      await screenshot(page, screenshotsDir, '10-editor-types');
      lap('editor types added');
    }));

  /** The row of a trigger in the Triggers view, opening the Clockwork container first. */
  async function triggerRow(name) {
    const sidebarRow = page.locator('.part.sidebar .monaco-list-row', { hasText: name }).first();
    if (!(await sidebarRow.isVisible())) {
      const icon = page.locator('.part.activitybar .action-item a[aria-label^="Clockwork"]').first();
      await icon.click();
    }
    await sidebarRow.waitFor({ state: 'visible', timeout: UI });
    return sidebarRow;
  }
});

/** The pid of the agent serving `home`, from `clockwork status --json`. */
async function agentPid(home) {
  const cli = path.join(REPO_ROOT, 'dist', 'clockwork.js');
  const { stdout } = await execFileP(process.execPath, [cli, 'status', '--json'], { env: { ...process.env, CLOCKWORK_HOME: home } });
  const state = JSON.parse(stdout);
  return state.pid ?? state.status?.pid;
}

/**
 * Stops the agent the extension started (it runs detached and outlives VS
 * Code by design) and returns the pids of its process group still alive.
 */
async function stopAgent(home) {
  const cli = path.join(REPO_ROOT, 'dist', 'clockwork.js');
  const env = { ...process.env, CLOCKWORK_HOME: home };
  let pid;
  try {
    const { stdout } = await execFileP(process.execPath, [cli, 'status', '--json'], { env });
    pid = JSON.parse(stdout).pid ?? JSON.parse(stdout).status?.pid;
  } catch (error) {
    // Exit 1: not running (nothing to stop); other failures fall through to the lock file.
    if (error.code === 1) return [];
    pid = Number.parseInt(readFileSync(path.join(home, 'agent.lock'), 'utf8'), 10);
  }
  if (!pid) return [];
  await execFileP(process.execPath, [cli, 'agent', 'stop'], { env, timeout: 60_000 }).catch(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  });
  const deadline = Date.now() + 15_000;
  while (groupMembers(pid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return groupMembers(pid);
}

function tailOf(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}
