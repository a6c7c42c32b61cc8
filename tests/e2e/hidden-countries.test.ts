/**
 * Hiding from a country in the browser, behind a "reverse proxy" (the platform trusts `x-forwarded-for` from
 * 127.0.0.1; each page sends one naming an address the shipped data puts in a country). The model chooses a
 * country in the studio, where the page says plainly that a VPN defeats it; the choice survives a reload; a
 * viewer from that country finds nobody live and, following a link, is told in plain words; a viewer from
 * elsewhere sees the show.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import { isPublicAddress } from '../../signaling/geoip.ts';
import { MESSAGES } from '../../client/messages.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';

const DATA = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-country/package.json'));
/** A public IPv4 address of `country` by the shipped data (the middle of its first range). */
function addressIn(country: string): string {
  for (const line of readFileSync(join(DATA, 'dbip-country-ipv4-num.csv'), 'utf8').split('\n')) {
    const [start, end, cc] = line.split(',');
    if (cc !== country || !start || !end) continue;
    const mid = Math.floor((Number(start) + Number(end)) / 2);
    const text = [mid >>> 24, (mid >>> 16) & 255, (mid >>> 8) & 255, mid & 255].join('.');
    if (isPublicAddress(text)) return text;
  }
  throw new Error(`no ${country} range`);
}

interface Ctx { platform: Platform; browser: Browser; model: Page; hidden: Page; other: Page }
const t = suite<Ctx>('hidden countries in the browser');

t.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform({ TRUSTED_PROXY_HEADER: 'x-forwarded-for', TRUSTED_PROXIES: '127.0.0.1' });
  ctx.browser = await launchChromium();
  ctx.model = await ctx.browser.context.newPage();
  ctx.hidden = await ctx.browser.context.newPage();
  await ctx.hidden.setExtraHTTPHeaders({ 'x-forwarded-for': addressIn('DE') });
  ctx.other = await ctx.browser.context.newPage();
  await ctx.other.setExtraHTTPHeaders({ 'x-forwarded-for': addressIn('FR') });
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

t('the model hides from a country in the studio, warned that a VPN defeats it, and goes live', async ({ platform, model }) => {
  await model.goto(`${platform.url}/#/studio`);
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 15_000 });
  await model.locator('hidden-countries').getByText('VPN').waitFor({ timeout: 10_000 });
  await model.locator('#hidden-add').selectOption('DE');
  await model.locator('#hidden-status').filter({ hasText: 'Saved' }).waitFor({ timeout: 10_000 });
  await model.reload();
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 15_000 });
  await model.locator('#hidden-list').filter({ hasText: 'Germany' }).waitFor({ timeout: 10_000 });
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 20_000 });
});

t('a viewer from elsewhere sees the show; one from the hidden country does not, and is told why at its link', async ({ platform, hidden, other }) => {
  await other.goto(`${platform.url}/#/`);
  const card = other.locator('li a[data-model]');
  await card.first().waitFor({ timeout: 15_000 });
  const key = (await card.first().getAttribute('data-model'))!;
  await hidden.goto(`${platform.url}/#/`);
  await hidden.getByText('Nobody is live right now').waitFor({ timeout: 15_000 });
  assert.is(await hidden.locator('li a[data-model]').count(), 0, 'the model is not listed');
  await hidden.goto(`${platform.url}/#/watch/${key}`);
  await hidden.locator('live-viewer #status').filter({ hasText: MESSAGES.REGION_BLOCKED }).waitFor({ timeout: 15_000 });
});

t.run();
