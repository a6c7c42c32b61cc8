/**
 * Console errors of the pages a browser test opens, so that each test can end by asserting there were none.
 * One line is left out: Chromium asks for /favicon.ico by itself and logs the 404 when the page names no
 * icon (client/index.html names none yet); it is the browser's request, not the app's.
 */
import type { Page } from 'playwright-core';

export function collectConsoleErrors(page: Page, into: string[] = []): string[] {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url;
    if (url.endsWith('/favicon.ico')) return;
    into.push(`${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => into.push(String(e)));
  return into;
}
