/**
 * Every route of the web app (client/routes.ts ROUTES) as a URL to open, and a live show to give the watch and
 * deposit routes a real model: what the third-party, accessibility and client-bench checks walk through.
 */
import type { Page } from 'playwright-core';
import { ROUTES } from '../../client/routes.ts';

/** `#/...` URLs of every route, each parameter filled with `modelKey` (a 43-character identity key). */
export function routeUrls(base: string, modelKey: string): string[] {
  return ROUTES.map((r) => `${base}/#${String('path' in r ? r.path : '/').replace(/:\w+(\([^)]*\))?/g, modelKey)}`);
}

/** Goes live from the studio in `page`; resolves with the model's key once the show is on air. */
export async function goLive(page: Page, base: string): Promise<string> {
  await page.goto(`${base}/#/studio`);
  await page.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 20_000 });
  await page.locator('#golive').click();
  await page.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 30_000 });
  const directory = await page.context().newPage();
  await directory.goto(`${base}/#/`);
  const card = directory.locator('li a[data-model]').first();
  await card.waitFor({ timeout: 20_000 });
  const key = (await card.getAttribute('data-model'))!;
  await directory.close();
  return key;
}

/** Waits until the app shell shows a page (not its loading line) and the network is quiet. */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const main = document.querySelector('live-app')?.shadowRoot?.querySelector('main');
    return !!main && main.children.length > 0 && !main.querySelector(':scope > [role=status]');
  }, undefined, { timeout: 20_000 });
  await page.waitForLoadState('networkidle', { timeout: 20_000 }).catch(() => undefined);
}
