/**
 * The identity under a passphrase, in real Chromium: once locked, IndexedDB holds only the sealed blob (no
 * secret byte in the clear); a new visit reads the directory without asking, asks for the passphrase when an
 * identity is needed, refuses a wrong one with the words of messages.ts, and opens the same key with the right
 * one; removing the passphrase stores the key in the clear again. No console error on any page.
 */
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MESSAGES } from '../../client/messages.ts';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { outcome, shownIdentities, storedSecretKind, storedSeeds, watchedPage, type ShownIdentity } from './account-pages.ts';

const PASSPHRASE = 'a long walk on the beach';

interface Ctx { platform: Platform; browser: Browser; errors: string[]; page: Page; before: ShownIdentity[]; seeds: string[] }
const lock = suite<Ctx>('identity under a passphrase');

lock.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.errors = [];
  ctx.page = await watchedPage(ctx.browser.context, ctx.errors);
});

lock.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

/** The whole IndexedDB of the identity store as text, to look for secret bytes in it. */
function identityDump(page: Page): Promise<string> {
  return page.evaluate(`(async () => {
    const wait = (r) => new Promise((ok, ko) => { r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
    const db = await wait(indexedDB.open('livecam-identity'));
    const store = db.transaction('identities').objectStore('identities');
    const values = await wait(store.getAll());
    db.close();
    return JSON.stringify(values, (k, v) => v instanceof Uint8Array ? btoa(String.fromCharCode(...v)) : v);
  })()`);
}

lock('locking seals the stored key: no secret byte stays in the clear', async (ctx) => {
  const { page, platform } = ctx;
  await page.goto(`${platform.url}/#/account`);
  await page.getByRole('button', { name: 'Make my identity now' }).click();
  ctx.before = await shownIdentities(page, 1);
  ctx.seeds = await storedSeeds(page);
  assert.is(ctx.seeds.length, 1);
  assert.is(await storedSecretKind(page, 'client'), 'bytes');

  await page.locator('#lock-passphrase').fill('short');
  await page.locator('#lock-repeat').fill('short');
  await page.getByRole('button', { name: 'Protect with this passphrase' }).click();
  assert.is(await outcome(page), `alert: ${MESSAGES.PASSPHRASE_TOO_SHORT}`);
  assert.is(await storedSecretKind(page, 'client'), 'bytes', 'a refused passphrase changes nothing');

  await page.locator('#lock-passphrase').fill(PASSPHRASE);
  await page.locator('#lock-repeat').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Protect with this passphrase' }).click();
  assert.ok((await outcome(page)).startsWith('notice: Your keys are now stored under this passphrase'));
  assert.is(await storedSecretKind(page, 'client'), 'sealed');
  const dump = await identityDump(page);
  // The seed in standard base64, as the dump writes bytes.
  const seed = ctx.seeds[0]!.split('-').join('+').split('_').join('/');
  assert.not.ok(dump.includes(seed.slice(0, 40)), 'the seed is not stored');
  assert.not.ok(dump.includes(PASSPHRASE), 'nor the passphrase');
});

lock('a new visit reads the directory without asking, and asks when an identity is needed', async (ctx) => {
  const { page, platform } = ctx;
  await page.goto(`${platform.url}/#/`);
  await page.reload();
  await page.getByRole('heading', { name: 'Live now' }).waitFor({ timeout: 20_000 });
  assert.is(await page.locator('identity-unlock').count(), 0, 'browsing needs no passphrase');

  await page.locator('live-app nav').getByRole('link', { name: 'Account' }).click();
  await page.getByRole('heading', { name: 'Unlock your identity' }).waitFor({ timeout: 20_000 });
  await page.getByLabel('Passphrase', { exact: true }).fill('not my passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.locator('identity-unlock [role=alert]').getByText(MESSAGES.WRONG_PASSPHRASE).waitFor({ timeout: 30_000 });

  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  assert.equal(await shownIdentities(page, 1), ctx.before, 'the same key opens');
  assert.is(await page.locator('identity-unlock').count(), 0, 'the form goes once unlocked');
});

lock('an identity made while locked is sealed too; removing the passphrase stores the keys in the clear', async (ctx) => {
  const { page, platform } = ctx;
  // The studio makes the model's identity in this unlocked tab.
  await page.goto(`${platform.url}/#/studio`);
  await page.locator('live-studio').getByText(/-\d{4}/).first().waitFor({ timeout: 20_000 });
  const deadline = Date.now() + 10_000;
  while (await storedSecretKind(page, 'model') === 'none' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.is(await storedSecretKind(page, 'model'), 'sealed');

  await page.goto(`${platform.url}/#/account`);
  const both = await shownIdentities(page, 2);
  assert.equal(both[0], ctx.before[0]);
  await page.getByRole('button', { name: 'Remove the passphrase' }).click();
  assert.ok((await outcome(page)).startsWith('notice: The passphrase is removed'));
  for (const role of ['client', 'model']) assert.is(await storedSecretKind(page, role), 'bytes', role);
  assert.is((await storedSeeds(page))[0], ctx.seeds[0]);
  await page.reload();
  assert.equal(await shownIdentities(page, 2), both, 'no passphrase asked after a reload');
  assert.is(await page.locator('identity-unlock').count(), 0);
});

lock('no console error on any page', ({ errors }) => {
  assert.equal(errors, []);
});

lock.run();
