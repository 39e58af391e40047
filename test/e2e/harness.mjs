// End-to-end harness: a real VS Code (code-server, with the real Node extension
// host) driven by playwright-core in Debian's Chromium, all offline.
// Install the tooling first with `bash scripts/e2e-setup.sh`.
//
//   const server = await startCodeServer({ runDir, workspace, vsixPath, settings, env });
//   const wb = await openWorkbench(server.url, { screenshotsDir });
//   await runCommand(wb.page, 'Clockwork: Run Workflow');
//   await waitForNotification(wb.page, /done/);
//   await screenshot(wb.page, screenshotsDir, 'after-run');
//   await wb.close(); await server.stop();
//
// Every UI wait is a Playwright locator wait (event-driven); the time limits
// are only generous safety nets. Override the tool paths with CODE_SERVER_BIN
// and CHROMIUM_PATH if needed.

import { spawn, execFile } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const CODE_SERVER_BIN =
  process.env.CODE_SERVER_BIN || path.join(REPO_ROOT, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Settings every e2e workspace gets (merged under the caller's `settings`). */
export const DEFAULT_WORKSPACE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
};

// User-level settings that keep an offline VS Code quiet.
const DEFAULT_USER_SETTINGS = {
  ...DEFAULT_WORKSPACE_SETTINGS,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'workbench.tips.enabled': false,
};

const T = {
  install: 120_000,
  healthz: 90_000,
  workbench: 120_000,
  ui: 60_000,
  stop: 15_000,
};

// ------------------------------------------------------------------ helpers

/**
 * Why the VS Code tests cannot run on this machine, or false when they can.
 * Every e2e file skips its suite with this reason (npm test never fails for
 * a missing tool), and scripts/test.mjs repeats it after the results.
 */
export function e2eSkipReason() {
  const missing = [];
  const shown = (file) => (file.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, file) : file);
  if (!existsSync(CODE_SERVER_BIN)) missing.push(`code-server (${shown(CODE_SERVER_BIN)})`);
  if (!existsSync(CHROMIUM_PATH)) missing.push(`Chromium (${CHROMIUM_PATH})`);
  if (missing.length === 0) return false;
  return `VS Code end-to-end tests SKIPPED: ${missing.join(' and ')} not installed; run \`bash scripts/e2e-setup.sh\` to install them`;
}

function assertTooling() {
  const reason = e2eSkipReason();
  if (reason) throw new Error(reason);
}

function execFileP(file, args, opts) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
        reject(err);
      } else resolve({ stdout, stderr });
    });
  });
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Pids of live (non-zombie) processes in process group `pgid`. */
export function groupMembers(pgid) {
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    // No /proc: fall back to kill(0), which also counts zombies.
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const pids = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ..." - comm may contain spaces and parens.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    const pgrp = Number(rest[2]);
    if (pgrp === pgid && state !== 'Z' && state !== 'X') pids.push(Number(e));
  }
  return pids;
}

async function waitGroupGone(pgid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (groupMembers(pgid).length === 0) return true;
    await delay(50);
  }
  return groupMembers(pgid).length === 0;
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch (e) {
    if (e.code !== 'ESRCH') throw e;
  }
}

// Servers still running when this process exits (a crashed test) are killed.
const liveGroups = new Set();
process.on('exit', () => {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
});

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function readJsonIfAny(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not plain JSON (comments?), refusing to overwrite it: ${e.message}`);
  }
}

// ------------------------------------------------------------- code-server

/**
 * Start an isolated code-server.
 * @param {object} opts
 * @param {string} [opts.runDir]  folder for everything of this run (created; default: a new temp dir)
 * @param {string} [opts.workspace] folder to open (created; default: runDir/workspace)
 * @param {string} [opts.vsixPath] .vsix to install before starting
 * @param {object} [opts.settings] workspace settings, merged over DEFAULT_WORKSPACE_SETTINGS
 * @param {object} [opts.userSettings] user settings, merged over quiet defaults
 * @param {object} [opts.env] extra environment for code-server and so the extension host
 * @param {string[]} [opts.args] extra code-server arguments
 * @returns {Promise<{url, port, pid, env, runDir, workspace, userDataDir, extensionsDir, logFile, stop}>}
 */
export async function startCodeServer({
  runDir,
  workspace,
  vsixPath,
  settings = {},
  userSettings = {},
  env: extraEnv = {},
  args: extraArgs = [],
} = {}) {
  assertTooling();
  runDir = path.resolve(runDir || (await mkdtemp(path.join(os.tmpdir(), 'e2e-run-'))));
  const dirs = {
    home: path.join(runDir, 'home'),
    config: path.join(runDir, 'xdg-config'),
    data: path.join(runDir, 'xdg-data'),
    cache: path.join(runDir, 'xdg-cache'),
    tmp: path.join(runDir, 'tmp'),
    userData: path.join(runDir, 'user-data'),
    extensions: path.join(runDir, 'extensions'),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });

  workspace = path.resolve(workspace || path.join(runDir, 'workspace'));
  await mkdir(path.join(workspace, '.vscode'), { recursive: true });
  const wsSettingsFile = path.join(workspace, '.vscode', 'settings.json');
  const wsSettings = { ...(await readJsonIfAny(wsSettingsFile)), ...DEFAULT_WORKSPACE_SETTINGS, ...settings };
  await writeFile(wsSettingsFile, JSON.stringify(wsSettings, null, 2) + '\n');

  // The workspace settings above are read too late to stop the first-run
  // "Setup VS Code Web" walkthrough on a busy machine, and machine-scoped
  // settings (walkthroughs.openOnInstall) are ignored in workspace settings:
  // the quiet defaults go into the User and (remote) Machine settings as well.
  const userSettingsJson = JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...userSettings }, null, 2) + '\n';
  for (const scope of ['User', 'Machine']) {
    await mkdir(path.join(dirs.userData, scope), { recursive: true });
    await writeFile(path.join(dirs.userData, scope, 'settings.json'), userSettingsJson);
  }

  // Inherit the environment minus anything that would make code-server talk
  // to another VS Code (e.g. when run from a VS Code terminal).
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k === 'PASSWORD' || k === 'HASHED_PASSWORD') continue;
    env[k] = v;
  }
  Object.assign(env, {
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
    ...extraEnv,
  });

  const common = ['--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData];
  if (vsixPath) {
    const { stdout, stderr } = await execFileP(
      CODE_SERVER_BIN,
      [...common, '--install-extension', path.resolve(vsixPath), '--force'],
      { env, cwd: runDir, timeout: T.install },
    );
    if (!/successfully installed/i.test(stdout + stderr)) {
      throw new Error(`installing ${vsixPath} did not report success:\n${stdout}\n${stderr}`);
    }
  }

  const port = await freePort();
  const logFile = path.join(runDir, 'code-server.log');
  const logFd = openSync(logFile, 'a');
  const args = [
    CODE_SERVER_BIN,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...common,
    ...extraArgs,
    workspace,
  ];
  // setsid makes code-server the leader of a new process group (not forking,
  // since the spawned child is not a group leader), so pid === pgid and
  // stop() can kill code-server, its extension host and file watchers at once.
  const child = spawn('setsid', args, { env, cwd: runDir, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const pid = child.pid;
  if (!pid) throw new Error('could not spawn code-server');
  liveGroups.add(pid);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  child.once('error', (err) => {
    exited = { error: err };
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(pid, 'SIGTERM');
    if (!(await waitGroupGone(pid, T.stop))) {
      killGroup(pid, 'SIGKILL');
      if (!(await waitGroupGone(pid, 5_000))) {
        throw new Error(`code-server process group ${pid} survived SIGKILL: ${groupMembers(pid).join(' ')}`);
      }
    }
    if (!exited) await Promise.race([exitPromise, delay(5_000)]);
    liveGroups.delete(pid);
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + T.healthz;
  for (;;) {
    if (exited) {
      await stop().catch(() => {});
      throw new Error(`code-server exited before it was ready (${JSON.stringify(exited)}); log ${logFile}:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop().catch(() => {});
      throw new Error(`code-server not healthy after ${T.healthz} ms; log ${logFile}:\n${tail(logFile)}`);
    }
    await delay(100);
  }

  return {
    url: `${base}/?folder=${encodeURIComponent(workspace)}`,
    port,
    pid,
    env,
    runDir,
    workspace,
    userDataDir: dirs.userData,
    extensionsDir: dirs.extensions,
    logFile,
    stop,
  };
}

// ---------------------------------------------------------------- browser

/**
 * Open the workbench at `url` in headless Chromium and wait until it is ready.
 * Each call uses a fresh browser profile (Playwright's own temporary
 * user-data-dir, deleted on close).
 * @returns {Promise<{browser, context, page, screenshotsDir, consoleErrors: string[], close}>}
 */
export async function openWorkbench(url, { screenshotsDir, viewport = { width: 1400, height: 900 } } = {}) {
  if (screenshotsDir) await mkdir(screenshotsDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: T.workbench,
  });
  const consoleErrors = [];
  try {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: T.workbench });
    try {
      for (const sel of ['.monaco-workbench', '.part.activitybar', '.part.statusbar']) {
        await page.locator(sel).first().waitFor({ state: 'visible', timeout: T.workbench });
      }
    } catch (e) {
      if (screenshotsDir) await screenshot(page, screenshotsDir, 'workbench-not-ready').catch(() => {});
      throw e;
    }
    return {
      browser,
      context,
      page,
      screenshotsDir,
      consoleErrors,
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close().catch(() => {});
    throw e;
  }
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function closeQuickInputIfOpen(page, timeout = T.ui) {
  const widget = page.locator('.quick-input-widget');
  if (await widget.isVisible()) {
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout });
  }
}

/**
 * Open a quick input with `key`, type `query`, and accept the row labelled
 * exactly `label`. The list does not refresh when an extension registers its
 * commands (or a search provider appears) after it was opened, so a "No
 * matching ..." answer closes it and tries again until `timeout`.
 */
async function quickPick(page, { key, query, label, timeout }) {
  const deadline = Date.now() + timeout;
  const left = () => Math.max(1, deadline - Date.now());
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const rows = widget.locator('.monaco-list-row');
  const row = rows
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }) })
    .first();
  const noMatch = rows.filter({ hasText: /^\s*No matching (commands|results)/ }).first();
  for (let attempt = 1; ; attempt++) {
    // Each try gets a bounded slice of the time, so that a quick input closed
    // under our feet (e.g. by an editor that opens late and takes the focus)
    // leads to another try rather than to a long wait for a hidden input.
    const step = () => Math.min(left(), 10_000);
    let found = false;
    let lastError;
    try {
      await closeQuickInputIfOpen(page, step());
      await page.keyboard.press(key);
      await input.waitFor({ state: 'visible', timeout: step() });
      await input.fill(query, { timeout: step() });
      await row.or(noMatch).first().waitFor({ state: 'visible', timeout: step() });
      found = await row.isVisible();
    } catch (e) {
      if (e?.name !== 'TimeoutError') throw e;
      lastError = e;
    }
    if (found) break;
    if (Date.now() >= deadline) {
      throw new Error(
        `quick input: no row "${label}" for "${query}" within ${timeout} ms (${attempt} tries)` +
          (lastError ? `; last error: ${lastError.message}` : ''),
      );
    }
    // Back off a little before asking again (the extension host may still be starting).
    await delay(Math.min(1_000, 100 * 2 ** attempt));
  }
  const focused = await row.evaluate((el) => el.classList.contains('focused'));
  if (focused) await page.keyboard.press('Enter');
  else await row.click();
  await widget.waitFor({ state: 'hidden', timeout: left() });
}

/** Run a command by its palette title, e.g. "Clockwork: Show Runs" ("Category: Title"). */
export async function runCommand(page, title, { timeout = T.ui } = {}) {
  await quickPick(page, { key: 'F1', query: `>${title}`, label: title, timeout });
}

/** Open a workspace file through Quick Open (Ctrl+P); resolves with the locator of its active editor tab. */
export async function quickOpen(page, fileName, { timeout = T.ui } = {}) {
  const name = path.basename(fileName);
  await quickPick(page, { key: 'Control+P', query: fileName, label: name, timeout });
  const tab = page.locator('.editor-group-container .tab.active', { hasText: name }).first();
  await tab.waitFor({ state: 'visible', timeout });
  return tab;
}

/** Save a full-page PNG as dir/name.png and return its path. */
export async function screenshot(page, dir, name) {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Wait for a notification toast whose text matches (RegExp or substring); resolves with its locator. */
export async function waitForNotification(page, text, { timeout = T.ui } = {}) {
  const toast = page
    .locator('.notifications-toasts .notification-toast.notification-fade-in-done')
    .filter({ hasText: text })
    .first();
  await toast.waitFor({ state: 'visible', timeout });
  return toast;
}

/**
 * The inner frame of the visible (active) webview, as a Playwright FrameLocator:
 * `(await webviewFrame(page)).locator('#id')`. Webviews live in
 * iframe.webview > iframe#active-frame; hidden webviews are skipped.
 */
export async function webviewFrame(page, { timeout = T.ui } = {}) {
  const outer = page.locator('iframe.webview.ready').filter({ visible: true }).first();
  await outer.waitFor({ state: 'visible', timeout });
  const inner = outer.contentFrame().locator('iframe#active-frame');
  await inner.waitFor({ state: 'attached', timeout });
  return inner.contentFrame();
}
