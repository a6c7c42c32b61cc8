/**
 * The account page in real Chromium against the real platform: a browser with both identities downloads a
 * passphrase-encrypted backup; a fresh browser refuses it under a wrong passphrase and restores it under the
 * right one (same keys, same safety codes, and it logs in with them); deleting the account removes the server's
 * data of both identities and every local store. No console error on any page.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MESSAGES } from '../../client/messages.ts';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { outcome, shownIdentities, storedRecords, storedSeeds, watchedPage, type ShownIdentity } from './account-pages.ts';

const PASSPHRASE = 'correct horse battery staple';

interface Ctx {
  platform: Platform; first: Browser; second: Browser; errors: string[];
  page: Page; fresh: Page; backupPath: string; before: ShownIdentity[];
}
const account = suite<Ctx>('account page');

account.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  [ctx.first, ctx.second] = [await launchChromium(), await launchChromium()];
  ctx.errors = [];
  ctx.page = await watchedPage(ctx.first.context, ctx.errors);
  ctx.fresh = await watchedPage(ctx.second.context, ctx.errors);
});

account.after(async (ctx) => {
  await ctx.first?.close();
  await ctx.second?.close();
  await ctx.platform?.close();
});

/** Goes to the studio (it logs in as the model) and waits for the server to see that model online. */
async function studioLogin(ctx: Ctx, page: Page): Promise<void> {
  await page.goto(`${ctx.platform.url}/#/studio`);
  await page.waitForFunction(() => !!document.querySelector('live-app')?.shadowRoot?.querySelector('live-studio'));
  await page.locator('live-studio').getByText(/-\d{4}/).first().waitFor({ timeout: 20_000 });
}

account('a browser with both identities downloads its backup file', async (ctx) => {
  const { page, platform } = ctx;
  await page.goto(`${platform.url}/#/`);
  await page.locator('live-app nav').getByRole('link', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Make my identity now' }).click();
  await shownIdentities(page, 1);
  await studioLogin(ctx, page);
  await page.goto(`${platform.url}/#/account`);
  ctx.before = await shownIdentities(page, 2);
  assert.equal(ctx.before.map((i) => i.role), ['client', 'model']);
  for (const id of ctx.before) {
    assert.match(id.key, /^[A-Za-z0-9_-]{43}$/);
    assert.match(id.safety, /^\d{5} \d{5} \d{5} \d{5}$/);
  }
  assert.is.not(ctx.before[0]!.key, ctx.before[1]!.key, 'watching and performing are separate keys');

  // Two different entries are refused before anything is encrypted.
  await page.locator('#backup-passphrase').fill(PASSPHRASE);
  await page.locator('#backup-repeat').fill(`${PASSPHRASE}!`);
  await page.getByRole('button', { name: 'Download backup' }).click();
  assert.is(await outcome(page), `alert: ${MESSAGES.PASSPHRASE_TOO_SHORT}`);

  await page.locator('#backup-repeat').fill(PASSPHRASE);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByRole('button', { name: 'Download backup' }).click()]);
  ctx.backupPath = join(mkdtempSync(join(tmpdir(), 'livecam-backup-')), download.suggestedFilename());
  await download.saveAs(ctx.backupPath);
  const text = readFileSync(ctx.backupPath, 'utf8');
  const file = JSON.parse(text) as { kind: string; identities: Record<string, string> };
  assert.is(file.kind, 'livecam-identity-backup');
  assert.equal(Object.keys(file.identities).sort(), ['client', 'model']);
  // Encrypted: the file names the public keys, never a secret in the clear.
  const secrets = await storedSeeds(page);
  assert.is(secrets.length, 2);
  for (const seed of secrets) assert.not.ok(text.includes(seed), 'no seed in the clear');
  assert.ok((await outcome(page)).startsWith('notice: Backup downloaded'));
});

account('a fresh browser refuses a wrong passphrase and restores the same keys and safety codes', async (ctx) => {
  const { fresh, platform } = ctx;
  await fresh.goto(`${platform.url}/#/account`);
  await fresh.getByText('This browser has no identity yet').waitFor({ timeout: 20_000 });
  await fresh.locator('#restore-file').setInputFiles(ctx.backupPath);
  await fresh.locator('#restore-passphrase').fill('not the passphrase');
  await fresh.getByRole('button', { name: 'Restore' }).click();
  assert.is(await outcome(fresh), `alert: ${MESSAGES.WRONG_PASSPHRASE}`);
  assert.ok(await fresh.getByText('This browser has no identity yet').isVisible(), 'nothing was restored');

  // Not a backup at all.
  await fresh.locator('#restore-file').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello":1}') });
  await fresh.locator('#restore-passphrase').fill(PASSPHRASE);
  await fresh.getByRole('button', { name: 'Restore' }).click();
  assert.is(await outcome(fresh), `alert: ${MESSAGES.BACKUP_INVALID}`);

  await fresh.locator('#restore-file').setInputFiles(ctx.backupPath);
  await fresh.locator('#restore-passphrase').fill(PASSPHRASE);
  await fresh.getByRole('button', { name: 'Restore' }).click();
  const restored = await outcome(fresh);
  assert.ok(restored.startsWith('notice: Restored'), restored);
  assert.equal(await shownIdentities(fresh, 2), ctx.before);

  // A reload keeps them, and the studio logs in with the restored model key.
  await fresh.reload();
  assert.equal(await shownIdentities(fresh, 2), ctx.before);
  await studioLogin(ctx, fresh);
  const modelKey = ctx.before[1]!.key;
  const deadline = Date.now() + 10_000;
  while (!(await platform.signaling.store.getPresence(modelKey)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(await platform.signaling.store.getPresence(modelKey), 'the restored model key is online');
});

account('deleting the account asks to confirm, then wipes the server\'s data and every local store', async (ctx) => {
  const { page, platform } = ctx;
  const [client, model] = ctx.before.map((i) => i.key) as [string, string];
  // The restored copy would log in again after the deletion closed its socket: only this browser stays.
  await ctx.fresh.close();
  await platform.signaling.records.setProfile(model, { displayName: 'Wendy Wallaby' });
  assert.equal(await platform.signaling.records.getProfile(model), { displayName: 'Wendy Wallaby' });
  await page.goto(`${platform.url}/#/account`);
  await shownIdentities(page, 2);
  const before = await storedRecords(page);
  assert.ok((before['livecam-identity/identities'] ?? 0) >= 2, JSON.stringify(before));

  await page.getByRole('button', { name: 'Delete my account…' }).click();
  const final = page.getByRole('button', { name: 'Delete everything' });
  assert.ok(await final.isDisabled(), 'nothing is deleted before the confirmation is typed');
  await page.locator('#delete-confirm').fill('delete');
  assert.ok(await final.isDisabled(), 'the word must be typed exactly');
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await shownIdentities(page, 2), ctx.before, 'cancel keeps everything');

  await page.getByRole('button', { name: 'Delete my account…' }).click();
  await page.locator('#delete-confirm').fill('DELETE');
  await final.click();
  await page.locator('live-account').getByText('Your account is deleted').waitFor({ timeout: 30_000 });

  assert.equal(await platform.signaling.records.getProfile(model), {}, 'the sealed profile is gone');
  const deadline = Date.now() + 10_000;
  while (await platform.signaling.store.getPresence(model) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const key of [client, model]) assert.is(await platform.signaling.store.getPresence(key), null, 'no presence left');
  const after = await storedRecords(page);
  assert.ok(Object.keys(after).length >= 1, 'the stores were found');
  for (const [store, count] of Object.entries(after)) assert.is(count, 0, `${store} is empty`);

  // A reload: this browser has no identity any more.
  await page.reload();
  await page.getByText('This browser has no identity yet').waitFor({ timeout: 20_000 });
});

account('no console error on any page', ({ errors }) => {
  assert.equal(errors, []);
});

account.run();
