// The extension with 1,000 triggers, in a real VS Code (code-server +
// Chromium, as in the end-to-end tests):
//   - bundle size of dist/extension.js (target ≤ 1 MB);
//   - load and activation time as the extension logs them (activate() must
//     not wait for the agent), with an agent running and with none;
//   - time from clicking the Clockwork view to the tree showing the 1,000
//     triggers (target ≤ 200 ms);
//   - time from a trigger change (pause / resume over the socket) to the tree
//     showing it (target ≤ 200 ms), median of several changes.
//
//   bash scripts/e2e-setup.sh && npm run build && node bench/extension.mjs [changes]
//
// Times across the process boundary are wall-clock (Date.now) in Node and in
// the page; the page records when its DOM changed with a MutationObserver.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CODE_SERVER_BIN, REPO_ROOT, freePort, openWorkbench, startCodeServer } from '../test/e2e/harness.mjs';

const require = createRequire(import.meta.url);
const rpc = require('vscode-jsonrpc/node');
const execFileP = promisify(execFile);
const TRIGGERS = 1000;
const CHANGES = Number(process.argv[2] ?? 9);
const cli = path.join(REPO_ROOT, 'dist', 'clockwork.js');
const bundle = path.join(REPO_ROOT, 'dist', 'extension.js');

if (!existsSync(bundle)) throw new Error('dist/extension.js is missing: run `npm run build` first');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- bundle size
const size = statSync(bundle).size;
console.log(`bundle: ${(size / 1024).toFixed(0)} KiB (${size} bytes)`);

if (!existsSync(CODE_SERVER_BIN)) {
  console.log('code-server is not installed: run `bash scripts/e2e-setup.sh` for the VS Code figures');
  process.exit(0);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cw-bench-ext-'));
const home = path.join(tmp, 'home');
const env = { ...process.env, CLOCKWORK_HOME: home, CLOCKWORK_HTTP_PORT: String(await freePort()) };
let agent;
let server;
let wb;
try {
  // ---- an agent with 1,000 schedules
  agent = spawn(process.execPath, [cli, 'agent'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    let out = '';
    agent.stdout.on('data', (d) => {
      out += d;
      if (/ agent \S+ started /.test(out)) resolve();
    });
    agent.once('exit', (code) => reject(new Error(`agent exited with ${code}: ${out}`)));
  });
  const workspace = path.join(tmp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const file = path.join(workspace, 'bench.workflow.ts');
  writeFileSync(file, `import { defineWorkflow, shell } from "clockwork";\nexport default defineWorkflow({ name: "bench", steps: [shell("a", "true")] });\n`);
  const client = await connect(path.join(home, 'agent.sock'));
  const t0 = Date.now();
  for (let i = 0; i < TRIGGERS; i++) {
    await client.sendRequest('clockwork/triggers/registerSchedule', {
      file,
      name: `t-${String(i).padStart(4, '0')}`,
      cron: `${i % 60} ${i % 24} * * *`,
      timezone: 'UTC',
    });
  }
  console.log(`registered ${TRIGGERS} schedules in ${Date.now() - t0} ms`);

  // ---- VS Code with the packaged extension
  const vsix = path.join(tmp, 'clockwork.vsix');
  await execFileP(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce'),
    ['package', '--no-yarn', '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix],
    { cwd: REPO_ROOT, timeout: 180_000 },
  );
  server = await startCodeServer({ runDir: path.join(tmp, 'run'), workspace, vsixPath: vsix, env });
  wb = await openWorkbench(server.url);
  const page = wb.page;
  // The workspace holds a workflow file, so the extension activates and
  // connects at start-up; wait for the status bar to say it did.
  await page.locator('.part.statusbar', { hasText: /Clockwork · t-\d{4} in/ }).first().waitFor({ timeout: 120_000 });

  // ---- opening the view
  const icon = page.locator('.part.activitybar .action-item a[aria-label^="Clockwork"]').first();
  await watchFor(page, 'open', () => {
    const rows = [...document.querySelectorAll('.part.sidebar .monaco-list-row')];
    return rows.some((r) => /Schedules/.test(r.textContent) && /1000/.test(r.textContent)) && rows.some((r) => /t-0000/.test(r.textContent));
  });
  const clickedAt = Date.now();
  await icon.click();
  const openMs = (await seenAt(page, 'open')) - clickedAt;
  console.log(`open the view → ${TRIGGERS} triggers shown: ${openMs} ms`);

  // ---- trigger changes
  const changeMs = [];
  for (let i = 0; i < CHANGES; i++) {
    // VS Code batches tree refreshes that follow one another within 200 ms
    // (the first goes through at once, the rest wait for the batch), so the
    // changes are spaced the way a person makes them, not back to back.
    await new Promise((r) => setTimeout(r, 300));
    const paused = i % 2 === 0;
    await watchFor(page, `change${i}`, (want) => {
      const row = [...document.querySelectorAll('.part.sidebar .monaco-list-row')].find((r) => /t-0000/.test(r.textContent));
      return !!row && /paused/.test(row.textContent) === want;
    }, paused);
    const sentAt = Date.now();
    await client.sendRequest('clockwork/triggers/setPaused', { name: 't-0000', paused });
    changeMs.push((await seenAt(page, `change${i}`)) - sentAt);
  }
  console.log(`trigger change → tree updated: median ${median(changeMs)} ms (${changeMs.join(', ')})`);

  // ---- activation, from the extension's own log
  const log = findFile(path.join(server.userDataDir, 'logs'), 'Clockwork.log');
  console.log(`with an agent running: ${activationLine(log)}`);
  client.dispose();
} finally {
  await wb?.close().catch(() => {});
  await server?.stop().catch(() => {});
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
  }
}

// ---- activation with no agent at all (auto-start off): activate() must not wait
try {
  const workspace = path.join(tmp, 'workspace2');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, 'x.workflow.ts'), 'export default {};\n');
  const vsix = path.join(tmp, 'clockwork.vsix');
  server = await startCodeServer({
    runDir: path.join(tmp, 'run2'),
    workspace,
    vsixPath: vsix,
    env: { ...env, CLOCKWORK_HOME: path.join(tmp, 'nohome') },
    settings: { 'clockwork.agent.autoStart': false },
  });
  wb = await openWorkbench(server.url);
  await wb.page.locator('.part.statusbar', { hasText: 'Clockwork' }).first().waitFor({ timeout: 120_000 });
  const log = await waitForFile(path.join(server.userDataDir, 'logs'), 'Clockwork.log', /activated in/);
  console.log(`with no agent (auto-start off): ${activationLine(log)}`);
} finally {
  await wb?.close().catch(() => {});
  await server?.stop().catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
}

// ---- helpers

function connect(socketPath) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('error', reject);
    socket.once('connect', () => {
      const c = rpc.createMessageConnection(new rpc.StreamMessageReader(socket), new rpc.StreamMessageWriter(socket));
      c.listen();
      resolve(c);
    });
  });
}

/** Starts watching the page's DOM for `predicate(arg)`; `seenAt` resolves with the page's Date.now() when it held. */
async function watchFor(page, key, predicate, arg) {
  await page.evaluate(
    ({ key, source, arg }) => {
      const check = new Function('arg', `return (${source})(arg);`);
      window.__cwSeen ??= {};
      const done = (window.__cwSeen[key] = { at: 0 });
      const observer = new MutationObserver(() => {
        if (!done.at && check(arg)) {
          done.at = Date.now();
          observer.disconnect();
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    },
    { key, source: predicate.toString(), arg },
  );
}

async function seenAt(page, key) {
  const handle = await page.waitForFunction((k) => window.__cwSeen?.[k]?.at || 0, key, { timeout: 60_000 });
  return handle.jsonValue();
}

/** "loaded in X ms, activated in Y ms" from the extension's log. */
function activationLine(log) {
  const m = log ? /loaded in ([\d.]+) ms, activated in ([\d.]+) ms/.exec(readFileSync(log, 'utf8')) : null;
  return m ? `bundle evaluated in ${m[1]} ms, activate() took ${m[2]} ms` : 'no activation line in the log';
}

function findFile(dir, name) {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(full, name);
      if (found) return found;
    } else if (entry.name === name) return full;
  }
  return undefined;
}

async function waitForFile(dir, name, pattern) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const file = findFile(dir, name);
    if (file && pattern.test(readFileSync(file, 'utf8'))) return file;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} with ${pattern} did not appear`);
}
