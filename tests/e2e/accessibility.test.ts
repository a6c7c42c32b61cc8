/**
 * axe-core 4.14 on every route of client/routes.ts in real Chromium against the real platform: logged out
 * (a fresh browser), then logged in with a live show (the studio on air, the watch page playing, the account
 * page with both identities), and the passphrase form of a locked identity. No serious or critical violation,
 * and no console error on any page.
 */
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import { axeViolations, blocking, type AxeViolation } from '../helpers/axe.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { goLive, routeUrls, settled } from '../helpers/every-route.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';

interface Ctx { platform: Platform; browser: Browser; errors: string[]; found: Map<string, AxeViolation[]>; modelKey: string }
const a11y = suite<Ctx>('accessibility');

a11y.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.errors = [];
  ctx.found = new Map();
  ctx.browser.context.on('page', (page) => {
    page.on('console', (m) => { if (m.type() === 'error') ctx.errors.push(`${page.url()}: ${m.text()}`); });
    page.on('pageerror', (e) => ctx.errors.push(`${page.url()}: ${String(e)}`));
  });
});

a11y.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

async function check(ctx: Ctx, page: Page, label: string): Promise<void> {
  const bad = blocking(await axeViolations(page));
  if (bad.length) ctx.found.set(label, bad);
}

const describe = (found: Map<string, AxeViolation[]>) =>
  [...found].map(([label, vs]) => `${label}:\n${vs.map((v) => `  ${v.impact} ${v.id} (${v.help}) at ${v.targets.slice(0, 3).join(' ')}`).join('\n')}`).join('\n');

/** Opens every route (a new document each, so nothing of the last page is left) and checks it. */
async function everyRoute(ctx: Ctx, label: string): Promise<void> {
  for (const url of routeUrls(ctx.platform.url, ctx.modelKey)) {
    const page = await ctx.browser.context.newPage();
    await page.goto(url);
    await settled(page);
    if (url.includes('/watch/')) await page.locator('live-viewer video').first().waitFor({ timeout: 20_000 });
    await check(ctx, page, `${label} ${url.replace(ctx.platform.url, '').replace(ctx.modelKey, '<key>')}`);
    await page.close();
  }
}

a11y('every page of a visitor without an identity, the studio on air', async (ctx) => {
  ctx.found = new Map();
  // The studio logs in the model's identity only: the client's pages still see a visitor without one.
  const studio = await ctx.browser.context.newPage();
  ctx.modelKey = await goLive(studio, ctx.platform.url);
  await check(ctx, studio, 'studio on air');
  await everyRoute(ctx, 'visitor');
  await studio.close();
  assert.equal(describe(ctx.found), '');
});

a11y('every page once both identities exist and have logged in', async (ctx) => {
  ctx.found = new Map();
  const page = await ctx.browser.context.newPage();
  await page.goto(`${ctx.platform.url}/#/account`);
  // The wallet page of the first pass may have made the client's identity already.
  const made = page.locator('live-account #identities li[data-role=client]');
  const make = page.getByRole('button', { name: 'Make my identity now' });
  await made.or(make).first().waitFor({ timeout: 20_000 });
  if (await make.isVisible()) await make.click();
  await made.waitFor({ timeout: 20_000 });
  await page.close();
  await everyRoute(ctx, 'logged in');
  assert.equal(describe(ctx.found), '');
});

a11y('the account page\'s confirmation and the unlock form', async (ctx) => {
  ctx.found = new Map();
  const page = await ctx.browser.context.newPage();
  await page.goto(`${ctx.platform.url}/#/account`);
  await page.locator('live-account #identities li').first().waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Delete my account…' }).click();
  await check(ctx, page, 'account deletion step');
  await page.getByRole('button', { name: 'Cancel' }).click();
  const passphrase = 'twelve chars!';
  await page.locator('#lock-passphrase').fill(passphrase);
  await page.locator('#lock-repeat').fill(passphrase);
  await page.getByRole('button', { name: 'Protect with this passphrase' }).click();
  await page.getByRole('button', { name: 'Remove the passphrase' }).waitFor({ timeout: 20_000 });
  await page.reload();
  await page.getByRole('heading', { name: 'Unlock your identity' }).waitFor({ timeout: 20_000 });
  await check(ctx, page, 'unlock form');
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('button', { name: 'Remove the passphrase' }).click();
  await page.locator('live-account .notice').filter({ hasText: 'removed' }).waitFor({ timeout: 20_000 });
  await page.close();
  assert.equal(describe(ctx.found), '');
});

a11y('no console error on any page', ({ errors }) => {
  assert.equal(errors, []);
});

a11y.run();
