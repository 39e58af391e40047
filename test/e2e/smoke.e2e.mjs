// Self-check of the e2e harness: builds a throwaway extension, installs it into
// a fresh code-server, and drives it through Chromium like a person would.
//
//   bash scripts/e2e-setup.sh        # once
//   node test/e2e/smoke.e2e.mjs [SCREENSHOTS_DIR]
//
// Skips (does not fail) when code-server or Chromium is not installed, with
// the same reason as clockwork.e2e.mjs.
// Screenshots go to SCREENSHOTS_DIR, or $E2E_SCREENSHOTS_DIR, or
// test-results/e2e/smoke. The run folder is deleted when everything passed and
// kept (and printed) otherwise.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  REPO_ROOT,
  e2eSkipReason,
  groupMembers,
  openWorkbench,
  quickOpen,
  runCommand,
  screenshot,
  startCodeServer,
  waitForNotification,
  webviewFrame,
} from './harness.mjs';

const execFileP = promisify(execFile);
const screenshotsDir = path.resolve(
  process.argv[2] || process.env.E2E_SCREENSHOTS_DIR || path.join(REPO_ROOT, 'test-results', 'e2e', 'smoke'),
);

const EXTENSION_JS = `
const vscode = require('vscode');
exports.activate = function (context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('smoke.hello', () => {
      vscode.window.showInformationMessage('Hello from smoke (' + (process.env.SMOKE_GREETING || 'no env') + ')');
    }),
    vscode.commands.registerCommand('smoke.webview', () => {
      const panel = vscode.window.createWebviewPanel('smokeView', 'Smoke View', vscode.ViewColumn.One, {});
      panel.webview.html = '<!DOCTYPE html><html><body><h1 id="greeting">Hello from the smoke webview</h1></body></html>';
    }),
  );
};
exports.deactivate = function () {};
`;

async function buildVsix(dir) {
  const extDir = path.join(dir, 'smoke-extension');
  await mkdir(extDir, { recursive: true });
  const pkg = {
    name: 'e2e-smoke',
    displayName: 'E2E Smoke',
    description: 'Throwaway extension for the e2e harness self-check',
    version: '0.0.1',
    publisher: 'e2e-smoke',
    engines: { vscode: '^1.100.0' },
    main: './extension.js',
    activationEvents: [],
    contributes: {
      commands: [
        { command: 'smoke.hello', title: 'Hello', category: 'Smoke' },
        { command: 'smoke.webview', title: 'Show Webview', category: 'Smoke' },
      ],
    },
  };
  await writeFile(path.join(extDir, 'package.json'), JSON.stringify(pkg, null, 2));
  await writeFile(path.join(extDir, 'extension.js'), EXTENSION_JS);
  await writeFile(path.join(extDir, 'README.md'), '# E2E Smoke\n\nThrowaway extension for the e2e harness self-check.\n');
  const vsix = path.join(dir, 'smoke.vsix');
  await execFileP(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce'),
    ['package', '--no-yarn', '--skip-license', '--allow-missing-repository', '--no-dependencies', '-o', vsix],
    { cwd: extDir, timeout: 120_000 },
  );
  assert.ok(existsSync(vsix), 'vsce produced no .vsix');
  return vsix;
}

describe('e2e harness self-check', { skip: e2eSkipReason() }, () => {
  let tmp;
  let server;
  let wb;
  let failed = false;
  const t0 = Date.now();
  const lap = (what) => console.log(`# ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'e2e-smoke-'));
    const vsix = await buildVsix(tmp);
    lap('vsix packaged');
    const workspace = path.join(tmp, 'workspace');
    await mkdir(workspace, { recursive: true });
    await writeFile(path.join(workspace, 'hello.txt'), 'Hello, workspace!\n');
    server = await startCodeServer({
      runDir: path.join(tmp, 'run'),
      workspace,
      vsixPath: vsix,
      settings: { 'editor.fontSize': 14 },
      env: { SMOKE_GREETING: 'env reached the extension host' },
    });
    lap(`code-server healthy on port ${server.port} (pid ${server.pid})`);
    wb = await openWorkbench(server.url, { screenshotsDir });
    lap('workbench ready');
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    lap('shut down');
    if (server) {
      // stop() must take the whole process group down.
      assert.deepEqual(groupMembers(server.pid), [], 'processes of the code-server group are still running');
    }
    if (!failed && tmp) await rm(tmp, { recursive: true, force: true });
    else if (tmp) console.log(`# run folder kept: ${tmp} (code-server log: ${server?.logFile})`);
  });

  async function guarded(name, fn) {
    try {
      await fn();
    } catch (e) {
      failed = true;
      if (wb) await screenshot(wb.page, screenshotsDir, `FAILED-${name}`).catch(() => {});
      throw e;
    }
  }

  test('palette command shows a notification with env from startCodeServer', () =>
    guarded('command', async () => {
      await runCommand(wb.page, 'Smoke: Hello');
      const toast = await waitForNotification(wb.page, /Hello from smoke \(env reached the extension host\)/);
      assert.match(await toast.innerText(), /Hello from smoke/);
      const file = await screenshot(wb.page, screenshotsDir, 'smoke-notification');
      console.log(`# screenshot: ${file}`);
      lap('notification seen');
    }));

  test('quick open opens a workspace file', () =>
    guarded('quick-open', async () => {
      await quickOpen(wb.page, 'hello.txt');
      await wb.page
        .locator('.monaco-editor .view-lines', { hasText: 'Hello, workspace!' })
        .first()
        .waitFor({ state: 'visible', timeout: 30_000 });
      lap('file opened');
    }));

  test('webviewFrame reaches the content of a webview', () =>
    guarded('webview', async () => {
      await runCommand(wb.page, 'Smoke: Show Webview');
      const frame = await webviewFrame(wb.page);
      await frame.locator('#greeting').waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await frame.locator('#greeting').innerText(), 'Hello from the smoke webview');
      await screenshot(wb.page, screenshotsDir, 'smoke-webview');
      lap('webview content seen');
    }));

  test('workspace settings were written', () =>
    guarded('settings', async () => {
      const { readFile } = await import('node:fs/promises');
      const s = JSON.parse(await readFile(path.join(server.workspace, '.vscode', 'settings.json'), 'utf8'));
      assert.equal(s['workbench.startupEditor'], 'none');
      assert.equal(s['workbench.welcomePage.walkthroughs.openOnInstall'], false);
      assert.equal(s['editor.fontSize'], 14);
    }));
});
