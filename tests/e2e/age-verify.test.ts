/**
 * A model's age verification in the browser, against the real platform with AGE_VERIFICATION=required: going
 * live is refused and the studio points to `#/verify`; a link naming a verifier the server does not accept is
 * refused; the page names the server's verifier by fingerprint and seals only once the model confirmed it; the
 * document (too big for a socket frame: the upload route) reaches the server sealed (its bytes and its
 * marker are not in what the server stores, and the verifier's key opens it to the exact bytes); the verifier's
 * own tool approves; the page turns verified by itself and the model goes live. No console error.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openDocument } from '../../crypto/age.ts';
import { fromBase64url } from '../../crypto/encoding.ts';
import { identityFromSecretKey } from '../../crypto/identity.ts';
import { keyVisual } from '../../client/services/key-visual.ts';
import type { Platform } from '../../signaling/platform.ts';
import { main as verifierCli } from '../../signaling/verifier-cli/main.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';

const MARK = 'PASSPORT-ZX441903-BORN-1991';
/** A "scan" of ~120 kB: more than a socket frame holds, so the page uses the upload route. */
const DOCUMENT = Buffer.concat([Buffer.from(`\x89PNG\r\n${MARK}\n`), Buffer.alloc(120_000, 7), Buffer.from(MARK)]);

interface Ctx { dir: string; keyFile: string; verifierKey: string; platform: Platform; browser: Browser; page: Page; errors: string[]; modelKey: string }
const age = suite<Ctx>('age verification from the model\'s browser');

async function cli(ctx: Ctx, ...args: string[]): Promise<string[]> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await verifierCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd: ctx.dir });
  assert.is(code, 0, err.join('\n'));
  return out;
}

age.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'age-verify-'));
  ctx.keyFile = join(ctx.dir, 'verifier.key');
  ctx.verifierKey = (await cli(ctx, 'keygen', '--out', ctx.keyFile))[0]!.trim();
  await buildClient();
  ctx.platform = await startTestPlatform({ VERIFIER_PUBLIC_KEYS: ctx.verifierKey, AGE_VERIFICATION: 'required' });
  ctx.browser = await launchChromium();
  ctx.page = await ctx.browser.context.newPage();
  ctx.errors = [];
  // The browser's own favicon request (the app has no icon; not a request of the page's code) is not an error of ours.
  ctx.page.on('console', (m) => { if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) ctx.errors.push(`${m.text()} ${m.location().url}`); });
  ctx.page.on('pageerror', (e) => ctx.errors.push(String(e)));
});

age.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
  if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
});

age('going live is refused for age; the studio links to the verification page', async ({ page, platform }) => {
  await page.goto(`${platform.url}/#/studio`);
  await page.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 20_000 });
  await page.locator('#golive').click();
  await page.locator('#status').filter({ hasText: 'verify your age' }).waitFor({ timeout: 20_000 });
  await page.locator('#to-verify').click();
  await page.locator('#age-status[data-status="none"]').waitFor({ timeout: 20_000 });
});

age('a verifier link the server does not accept is refused before anything is sent', async ({ page, platform, verifierKey }) => {
  const stranger = verifierKey.startsWith('A') ? 'B' + verifierKey.slice(1) : 'A' + verifierKey.slice(1);
  await page.goto(`${platform.url}/#/verify/${stranger}`);
  await page.locator('#age-error').filter({ hasText: 'does not accept documents for the verifier in your link' }).waitFor({ timeout: 20_000 });
  assert.is(await page.locator('#age-file').count(), 0, 'no form to send with');
});

age('the server\'s verifier is shown by fingerprint; the document is sealed in the browser and stored sealed', async (ctx) => {
  const { page, platform, verifierKey } = ctx;
  await page.goto(`${platform.url}/#/verify`);
  await page.locator('#verifier-fingerprint').waitFor({ timeout: 20_000 });
  assert.is((await page.locator('#verifier-fingerprint').textContent())!.trim(), keyVisual(verifierKey).fingerprint);
  assert.is((await page.locator('#verifier-key').textContent())!.trim(), verifierKey);
  await page.locator('#age-file').setInputFiles({ name: 'passport.png', mimeType: 'image/png', buffer: DOCUMENT });
  assert.ok(await page.locator('#age-submit').isDisabled(), 'a key that is only the server\'s word needs the fingerprint check');
  await page.locator('#verifier-checked').check();
  await page.locator('#age-submit:not([disabled])').click();
  await page.locator('#age-status[data-status="pending"]').waitFor({ timeout: 30_000 });
  await page.locator('#age-expires').waitFor();

  const [modelKey] = await platform.signaling.store.pendingAgeModels();
  assert.ok(modelKey, 'one document waits for the verifier');
  ctx.modelKey = modelKey!;
  const stored = await platform.signaling.store.pendingAgeDocument(modelKey!);
  const sealed = Buffer.from(fromBase64url(JSON.parse(stored!).sealedDocument as string));
  assert.ok(sealed.length > DOCUMENT.length, 'the whole document went');
  assert.is(sealed.indexOf(MARK), -1, 'the marker is not in what the server keeps');
  assert.is(sealed.indexOf(DOCUMENT.subarray(0, 64)), -1, 'nor the document\'s first bytes');
  assert.is(sealed.indexOf(Buffer.alloc(64, 7)), -1, 'nor its body');
  const verifier = await identityFromSecretKey(readKey(ctx.keyFile));
  const opened = await openDocument(verifier, new Uint8Array(sealed));
  assert.is(opened.modelKey, modelKey);
  assert.is(opened.mimeType, 'image/png');
  assert.ok(Buffer.from(opened.document).equals(DOCUMENT), 'the verifier opens the exact bytes');
});

age('the verifier approves with its tool; the page turns verified by itself and the model goes live', async (ctx) => {
  const { page, platform } = ctx;
  await cli(ctx, 'review', '--server', platform.url, '--key', ctx.keyFile, '--model', ctx.modelKey, '--adult', 'yes');
  await page.locator('#age-status[data-status="verified"]').waitFor({ timeout: 20_000 });
  assert.is(await platform.signaling.store.pendingAgeDocument(ctx.modelKey), null, 'the sealed document is gone');
  await page.locator('#to-studio').click();
  await page.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 20_000 });
  await page.locator('#golive').click();
  await page.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 30_000 });
  await page.locator('#end').click();
});

age('a later visit seals to the pinned verifier without asking again', async ({ page, platform }) => {
  await page.goto(`${platform.url}/#/verify`);
  await page.locator('#verifier-source').filter({ hasText: 'You sealed to this key before' }).waitFor({ timeout: 20_000 });
});

age('no console error on the way', ({ errors }) => {
  assert.equal(errors, []);
});

/** The verifier's secret key from the file its keygen wrote (unencrypted). */
function readKey(file: string): Uint8Array {
  return fromBase64url((JSON.parse(readFileSync(file, 'utf8')) as { secretKey: string }).secretKey, 64, 'secretKey');
}

age.run();
