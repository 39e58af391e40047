// VS Code workbench interactions the Clockwork e2e tests share, on top of
// harness.mjs: context menus, modal dialogs, hovers, quick inputs, the
// Clockwork views, and a record of every notification toast shown.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './harness.mjs';

export const UI = 60_000;

/** Where the pointer rests when it must hover nothing: the empty right of the editor area. */
const RESTING = [1300, 700];

/** Opens the row's context menu and runs the item labelled exactly `label`. */
export async function contextMenu(page, row, label) {
  await row.click({ button: 'right' });
  const item = page.locator('.context-view .monaco-menu .action-menu-item', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }).first();
  await item.waitFor({ state: 'visible', timeout: UI });
  await item.hover();
  // VS Code's menus act on the keyboard as on the mouse; Enter on the
  // hovered item is what a click amounts to, without the menu's mouse-up
  // timing that a synthetic click can miss.
  await page.keyboard.press('Enter');
  await item.waitFor({ state: 'hidden', timeout: UI });
}

/** The modal dialog on screen (its message, detail and buttons). */
export async function dialog(page) {
  const box = page.locator('.monaco-dialog-box').first();
  await box.waitFor({ state: 'visible', timeout: UI });
  return {
    box,
    text: () => box.innerText(),
    buttons: async () => (await box.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((t) => t.trim()),
    press: async (label) => {
      await box.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }).first().click();
      await box.waitFor({ state: 'hidden', timeout: UI });
    },
  };
}

/**
 * Hovers `target` and resolves with the text of the hover that shows. A row
 * that is redrawn (a schedule firing every few seconds) drops a hover on its
 * way, so the pointer moves away and back until one shows.
 */
export async function hoverText(page, target, match) {
  const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: match }).first();
  const deadline = Date.now() + UI;
  for (;;) {
    await page.mouse.move(...RESTING);
    await target.hover();
    try {
      await hover.waitFor({ state: 'visible', timeout: Math.min(3_000, Math.max(1, deadline - Date.now())) });
      const text = await hover.innerText();
      await page.mouse.move(...RESTING);
      return text;
    } catch (error) {
      if (error?.name !== 'TimeoutError' || Date.now() >= deadline) throw error;
    }
  }
}

/** The visible quick input: its title (with the step, "Register Webhook (1/3)") and how to answer it. */
export function quickInput(page) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  return {
    widget,
    title: widget.locator('.quick-input-title'),
    async waitForTitle(match) {
      await widget.locator('.quick-input-title', { hasText: match }).waitFor({ state: 'visible', timeout: UI });
    },
    async answer(text) {
      await input.waitFor({ state: 'visible', timeout: UI });
      await input.fill(text);
      await page.keyboard.press('Enter');
    },
    row: (match) => widget.locator('.monaco-list-row', { hasText: match }).first(),
  };
}

/** Opens the Clockwork container (if it is not showing) and returns the row of `name` in one of its views. */
export async function clockworkRow(page, name) {
  const row = page.locator('.part.sidebar .monaco-list-row', { hasText: name }).first();
  await showClockwork(page);
  await row.waitFor({ state: 'visible', timeout: UI });
  return row;
}

export async function showClockwork(page) {
  const triggers = page.locator('.part.sidebar .pane-header', { hasText: 'Triggers' }).first();
  if (await triggers.isVisible()) return;
  await page.locator('.part.activitybar .action-item a[aria-label^="Clockwork"]').first().click();
  await triggers.waitFor({ state: 'visible', timeout: UI });
}

/**
 * Starts recording every notification toast the workbench adds (their text),
 * from now on; `toasts()` reads the record. Counting additions catches a
 * toast even when it is gone again before anyone looks.
 */
export async function recordToasts(page) {
  await page.evaluate(() => {
    window.__toasts = [];
    window.__toastObserver?.disconnect();
    window.__toastObserver = new MutationObserver((mutations) => {
      for (const m of mutations) {
        for (const node of m.addedNodes) {
          if (node.nodeType === 1 && node.classList.contains('notification-toast-container')) {
            window.__toasts.push(node.innerText || node.textContent || '');
          }
        }
      }
    });
    window.__toastObserver.observe(document.body, { childList: true, subtree: true });
  });
}

export function toasts(page) {
  return page.evaluate(() => [...window.__toasts]);
}

/**
 * A small PNG of one part of the window (its top left, at most `maxWidth`
 * by `maxHeight` pixels), into
 * each of `dirs`: the session's media folder, and media/ with
 * CLOCKWORK_UPDATE_MEDIA=1. Notifications and hovers are cleared first.
 */
export async function partShot(page, locator, dirs, name, { maxHeight = 520, maxWidth = Infinity } = {}) {
  if (await page.locator('.notifications-toasts .notification-toast').first().isVisible()) await clearToasts(page);
  await page.keyboard.press('Escape');
  await page.mouse.move(...RESTING);
  const box = await locator.boundingBox();
  if (!box) throw new Error(`nothing to photograph for ${name}`);
  const clip = { x: box.x, y: box.y, width: Math.min(box.width, maxWidth), height: Math.min(box.height, maxHeight) };
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}.png`), clip });
  }
}

/** Drags the sash at the sidebar's right edge `px` to the right, as a user widens it. */
export async function widenSidebar(page, px) {
  const sidebar = page.locator('.part.sidebar');
  const before = await sidebar.boundingBox();
  const x = before.x + before.width;
  const y = before.y + before.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + px, y, { steps: 8 });
  await page.mouse.up();
  const after = await sidebar.boundingBox();
  if (after.width <= before.width) throw new Error(`the sidebar did not widen (${before.width} px)`);
}

/** Closes every notification toast (the command VS Code offers for it). */
export async function clearToasts(page) {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: UI });
}

export function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
