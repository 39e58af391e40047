// One Clockwork session in a real VS Code for an e2e file: the extension
// packaged into a .vsix and installed into a fresh code-server, a workspace
// with the file's workflow files, a private CLOCKWORK_HOME (the extension
// starts its own agent there; the test starts none), and Chromium on the
// workbench. Also the `clockwork` CLI against that home, as a terminal would
// run it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, freePort, groupMembers, openWorkbench, screenshot, startCodeServer } from './harness.mjs';

const execFileP = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'clockwork.js');

/**
 * @param {string} name  names the screenshots folder (test-results/e2e/<name>)
 * @param {Record<string, string>} files  workspace-relative path → content
 */
export async function startSession(name, files) {
  const extensionBundle = path.join(REPO_ROOT, 'dist', 'extension.js');
  assert.ok(existsSync(extensionBundle), 'dist/extension.js is missing: run `npm run build` first');
  const t0 = Date.now();
  const lap = (what) => console.log(`# ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'cw-e2e-'));
  const vsix = path.join(tmp, 'clockwork.vsix');
  await execFileP(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce'),
    ['package', '--no-yarn', '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix],
    { cwd: REPO_ROOT, timeout: 180_000 },
  );
  lap('vsix packaged');
  const workspace = path.join(tmp, 'workspace');
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(workspace, file)), { recursive: true });
    await writeFile(path.join(workspace, file), content);
  }
  // Short, private paths: a Unix socket path must stay under ~100 bytes.
  const home = path.join(tmp, 'home');
  const httpPort = await freePort();
  const server = await startCodeServer({
    runDir: path.join(tmp, 'run'),
    workspace,
    vsixPath: vsix,
    settings: { 'editor.codeLens': true, 'files.autoSave': 'off' },
    // Hovers show at once: the tests read tooltips, not the wait before them.
    userSettings: { 'workbench.hover.delay': 100 },
    env: { CLOCKWORK_HOME: home, CLOCKWORK_HTTP_PORT: String(httpPort) },
  });
  lap(`code-server on port ${server.port}`);
  const screenshotsDir = path.resolve(process.env.E2E_SCREENSHOTS_DIR || path.join(REPO_ROOT, 'test-results', 'e2e', name));
  const wb = await openWorkbench(server.url, { screenshotsDir });
  lap('workbench ready');
  let failed = false;

  return {
    tmp,
    home,
    workspace,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    server,
    page: wb.page,
    screenshotsDir,
    /** Where the README's screenshots are written too: media/ with CLOCKWORK_UPDATE_MEDIA=1. */
    mediaDirs: [path.join(screenshotsDir, 'media'), ...(process.env.CLOCKWORK_UPDATE_MEDIA === '1' ? [path.join(REPO_ROOT, 'media')] : [])],
    lap,
    /** Runs one test's body; on failure keeps a screenshot, the agent log's tail and the run folder. */
    async guarded(label, fn) {
      try {
        await fn();
      } catch (error) {
        failed = true;
        await screenshot(wb.page, screenshotsDir, `FAILED-${label}`).catch(() => {});
        // Where only the printed output is kept, this is the screenshot.
        const onScreen = await describeScreen(wb.page).catch((e) => `(could not read the screen: ${e.message})`);
        console.log(`# on screen when ${label} failed:\n${onScreen}`);
        const log = tailOf(path.join(home, 'agent.log'));
        if (log) console.log(`# agent.log:\n${log}`);
        throw error;
      }
    },
    /** Closes the browser and code-server, stops the agent; the processes left over (expected none). */
    async close() {
      await wb.close().catch(() => {});
      await server.stop().catch(() => {});
      const leftover = await stopAgent(home);
      lap('shut down');
      // E2E_KEEP_RUN=1 keeps the run folder (logs of code-server, the extension host and the agent).
      if (!failed && !process.env.E2E_KEEP_RUN) await rm(tmp, { recursive: true, force: true });
      else console.log(`# run folder kept: ${tmp} (code-server log: ${server.logFile})`);
      return leftover;
    },
  };
}

/** Runs the built `clockwork` CLI against `home`, as a terminal would. */
export async function cli(home, args, { timeout = 60_000 } = {}) {
  const env = { ...process.env, CLOCKWORK_HOME: home, NO_COLOR: '1' };
  return execFileP(process.execPath, [CLI, ...args], { env, timeout });
}

/** The pid of the agent serving `home`, from `clockwork status --json`. */
export async function agentPid(home) {
  const { stdout } = await cli(home, ['status', '--json']);
  const state = JSON.parse(stdout);
  return state.pid ?? state.status?.pid;
}

/**
 * Stops the agent the extension started (it runs detached and outlives VS
 * Code by design) and returns the pids of its process group still alive.
 */
async function stopAgent(home) {
  let pid;
  try {
    pid = await agentPid(home);
  } catch (error) {
    // Exit 1: not running (nothing to stop); other failures fall through to the lock file.
    if (error.code === 1) return [];
    pid = Number.parseInt(readFileSync(path.join(home, 'agent.lock'), 'utf8'), 10);
  }
  if (!pid) return [];
  await cli(home, ['agent', 'stop']).catch(() => {
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

/**
 * The parts of the workbench a failed step usually turns on, as text: the
 * quick input (title and rows), an open menu, a dialog, the toasts, and the
 * rows of the Clockwork views with their accessible labels.
 */
async function describeScreen(page) {
  return page.evaluate(() => {
    const shown = (el) => el && el.offsetParent !== null;
    const text = (el) => (el?.innerText ?? '').replace(/\s+/g, ' ').trim();
    const lines = [];
    const quick = document.querySelector('.quick-input-widget');
    if (shown(quick)) {
      lines.push(`quick input: "${text(quick.querySelector('.quick-input-title'))}", message "${text(quick.querySelector('.quick-input-message'))}"`);
      for (const row of quick.querySelectorAll('.monaco-list-row')) lines.push(`  row: ${text(row)}`);
    } else lines.push('quick input: hidden');
    for (const item of document.querySelectorAll('.context-view .monaco-menu .action-menu-item')) if (shown(item)) lines.push(`menu item: ${text(item)}`);
    for (const box of document.querySelectorAll('.monaco-dialog-box')) if (shown(box)) lines.push(`dialog: ${text(box)}`);
    for (const toast of document.querySelectorAll('.notifications-toasts .notification-toast')) if (shown(toast)) lines.push(`toast: ${text(toast)}`);
    for (const row of document.querySelectorAll('.part.sidebar .monaco-list-row')) lines.push(`sidebar row: ${row.getAttribute('aria-label') ?? text(row)}`);
    return lines.join('\n');
  });
}

export function tailOf(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
