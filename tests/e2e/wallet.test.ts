/**
 * The client's wallet in real Chromium against the real platform and its embedded chain: a fresh browser gets a
 * wallet, takes test funds, binds it to its identity, opens a deposit with an online model in one transaction,
 * tops it up, asks to close, waits out the challenge period (the test moves the chain's clock), withdraws, and
 * has its LIVE back. The directory, meanwhile, loads neither ethers nor libsodium.
 */
import { mkdirSync } from 'node:fs';
import { Wallet, parseEther, parseUnits } from 'ethers';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectChannels } from '../../contracts/client.ts';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { login, type User } from '../signaling/helpers.ts';
import { bind } from '../signaling/private-setup.ts';

const SHOTS = '/tmp/shots';
const LIVE = (n: number) => parseUnits(String(n), 18);
/** ethers and libsodium each leave a string in their chunk that nothing else has. */
const ETHERS_MARK = 'ethers-io/ethers.js';
const SODIUM_MARK = 'crypto_sign_detached';

interface Ctx { platform: Platform; browser: Browser; page: Page; model: User; modelWallet: Wallet; address: string; errors: string[] }
const wallet = suite<Ctx>('wallet in the browser');

wallet.before(async (ctx) => {
  mkdirSync(SHOTS, { recursive: true });
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.page = await ctx.browser.context.newPage();
  ctx.errors = [];
  ctx.page.on('console', (m) => { if (m.type() === 'error') ctx.errors.push(m.text()); });
  ctx.page.on('pageerror', (e) => ctx.errors.push(String(e)));
  // The model: online over signaling, with a demo wallet bound to its identity.
  ctx.model = await login(ctx.platform.url, 'model');
  ctx.modelWallet = new Wallet(ctx.platform.devChain!.demoAccounts[0]!.privateKey);
  await bind(ctx.model, ctx.modelWallet);
});

wallet.after(async (ctx) => {
  ctx.model?.socket.close();
  await ctx.browser?.close();
  await ctx.platform?.close();
});

/** Every script a page load fetched, with its body. */
async function scriptsOf(page: Page, url: string, ready: () => Promise<unknown>): Promise<Map<string, string>> {
  const scripts = new Map<string, string>();
  const pending: Promise<void>[] = [];
  const onResponse = (res: import('playwright-core').Response) => {
    if (res.request().resourceType() === 'script') pending.push(res.text().then((t) => { scripts.set(res.url(), t); }));
  };
  page.on('response', onResponse);
  await page.goto(url);
  await ready();
  await page.waitForLoadState('networkidle');
  page.off('response', onResponse);
  await Promise.all(pending);
  return scripts;
}

const anyHas = (scripts: Map<string, string>, mark: string) => [...scripts.values()].some((s) => s.includes(mark));

wallet('the directory loads neither ethers nor libsodium; the wallet page loads ethers', async ({ platform, browser }) => {
  const page = await browser.context.newPage();
  const directory = await scriptsOf(page, `${platform.url}/#/`, () => page.getByRole('heading', { name: 'Live now' }).waitFor());
  assert.ok(directory.size > 0, 'scripts were loaded');
  assert.not.ok(anyHas(directory, ETHERS_MARK), 'no ethers on the directory');
  assert.not.ok(anyHas(directory, SODIUM_MARK), 'no libsodium on the directory');
  const bytes = [...directory.values()].reduce((n, s) => n + s.length, 0);
  console.log(`  directory JavaScript: ${directory.size} files, ${(bytes / 1024).toFixed(1)} KiB`);
  // An unknown route shows the directory.
  await page.goto(`${platform.url}/#/no-such-page`);
  await page.getByRole('heading', { name: 'Live now' }).waitFor({ timeout: 10_000 });
  await page.close();
  // The same check would pass vacuously if the markers were wrong: the wallet page must show both.
  const other = await browser.context.newPage();
  const walletPage = await scriptsOf(other, `${platform.url}/#/wallet`, () => other.locator('#address').waitFor({ timeout: 20_000 }));
  assert.ok(anyHas(walletPage, ETHERS_MARK), 'ethers on the wallet page');
  assert.ok(anyHas(walletPage, SODIUM_MARK), 'libsodium on the wallet page (the identity)');
  await other.close();
});

wallet('a fresh browser gets a wallet made for it, with nothing in it', async (ctx) => {
  const { page, platform, model } = ctx;
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${platform.url}/#/wallet/${model.key}`);
  const address = page.locator('#address');
  await address.waitFor({ timeout: 20_000 });
  ctx.address = (await address.textContent())!.trim();
  assert.match(ctx.address, /^0x[0-9a-fA-F]{40}$/);
  assert.is((await page.locator('#live-balance').textContent())!.trim(), '0');
  await page.locator('#channel-state').filter({ hasText: 'No deposit yet' }).waitFor();
  await page.screenshot({ path: `${SHOTS}/wallet-empty-1280.png`, fullPage: true });
});

wallet('the wallet key is stored only encrypted, under a key no script can read out', async ({ page }) => {
  const stored = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('livecam-wallet');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const all = await new Promise<{ keys: IDBValidKey[]; values: unknown[] }>((resolve, reject) => {
      const tx = db.transaction('wallet', 'readonly');
      const store = tx.objectStore('wallet');
      const keys = store.getAllKeys();
      const values = store.getAll();
      tx.oncomplete = () => resolve({ keys: keys.result, values: values.result });
      tx.onerror = () => reject(tx.error);
    });
    const aes = all.values[all.keys.indexOf('aes')] as CryptoKey;
    const exported = await crypto.subtle.exportKey('raw', aes).then(() => 'exported', (e: Error) => e.name);
    const sealed = all.values.find((_, i) => String(all.keys[i]).startsWith('key.')) as Record<string, unknown>;
    const text = JSON.stringify(all.values, (_k, v) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? '[bytes]' : v));
    return {
      algorithm: aes.algorithm.name, extractable: aes.extractable, exported,
      fields: Object.keys(sealed).sort(), plainHexKey: /0x[0-9a-f]{64}/i.test(text), localStorage: localStorage.length,
    };
  });
  assert.equal(stored, {
    algorithm: 'AES-GCM', extractable: false, exported: 'InvalidAccessError',
    fields: ['address', 'ciphertext', 'iv', 'v'], plainHexKey: false, localStorage: 0,
  });
});

wallet('without LIVE a deposit is refused in plain words, nothing sent', async ({ page, platform, address }) => {
  await page.locator('#amount').fill('5');
  await page.locator('#deposit-button').click();
  await page.locator('#error').filter({ hasText: 'You do not have enough LIVE' }).waitFor({ timeout: 10_000 });
  assert.is(await platform.chain.provider.getTransactionCount(address), 0);
});

wallet('test funds from the faucet arrive and show', async ({ page, platform, address }) => {
  await page.locator('#faucet').click();
  await page.locator('#notice').filter({ hasText: 'Test funds received.' }).waitFor({ timeout: 20_000 });
  const reader = connectChannels(platform.chain.provider, platform.chain.addresses);
  assert.is(await reader.balanceOf(address), LIVE(1000));
  assert.is(await platform.chain.provider.getBalance(address), parseEther('1'));
  assert.is((await page.locator('#live-balance').textContent())!.trim(), '1,000');
});

wallet('binding the wallet to the identity reaches the server', async ({ page, platform, address }) => {
  await page.locator('#bind').click();
  await page.locator('#bound').filter({ hasText: 'Linked to your identity' }).waitFor({ timeout: 20_000 });
  // The identity's public key is the second half of its Ed25519 secret key, kept in IndexedDB.
  const key = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('livecam-identity');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const secret = await new Promise<Uint8Array>((resolve, reject) => {
      const req = db.transaction('identities', 'readonly').objectStore('identities').get('secret.client');
      req.onsuccess = () => resolve(req.result as Uint8Array);
      req.onerror = () => reject(req.error);
    });
    return btoa(String.fromCharCode(...secret.slice(32))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  });
  const bound = await platform.signaling.store.getWallet(key);
  assert.is(bound, address.toLowerCase(), 'the server keeps the binding for this identity');
});

wallet('opening the deposit takes exactly one transaction from the wallet (permit, no approve)', async ({ page, platform, address, modelWallet }) => {
  const provider = platform.chain.provider;
  const nonceBefore = await provider.getTransactionCount(address);
  const blockBefore = await provider.getBlockNumber();
  await page.locator('#amount').fill('25');
  await page.locator('#deposit-button').click();
  await page.locator('#notice').filter({ hasText: 'Deposit confirmed' }).waitFor({ timeout: 20_000 });
  assert.is(await provider.getTransactionCount(address), nonceBefore + 1, 'one nonce used');
  let fromWallet = 0;
  for (let n = blockBefore + 1; n <= await provider.getBlockNumber(); n++) {
    const block = await provider.getBlock(n, true);
    fromWallet += block!.prefetchedTransactions.filter((tx) => tx.from.toLowerCase() === address.toLowerCase()).length;
  }
  assert.is(fromWallet, 1, 'one transaction mined from the wallet');
  const channel = await connectChannels(provider, platform.chain.addresses).getChannel(address, modelWallet.address);
  assert.is(channel.state, 'open');
  assert.is(channel.deposit, LIVE(25));
  assert.is((await page.locator('#deposit').textContent())!.trim(), '25 LIVE');
  assert.is((await page.locator('#live-balance').textContent())!.trim(), '975');
  await page.screenshot({ path: `${SHOTS}/wallet-open-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/wallet-open-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
});

wallet('a top-up is one transaction too', async ({ page, platform, address, modelWallet }) => {
  const provider = platform.chain.provider;
  const nonceBefore = await provider.getTransactionCount(address);
  await page.locator('#amount').fill('5.5');
  await page.locator('#deposit-button').click();
  await page.locator('#deposit').filter({ hasText: '30.5 LIVE' }).waitFor({ timeout: 20_000 });
  assert.is(await provider.getTransactionCount(address), nonceBefore + 1);
  const channel = await connectChannels(provider, platform.chain.addresses).getChannel(address, modelWallet.address);
  assert.is(channel.deposit, LIVE(30.5));
});

wallet('a bad amount is refused in plain words, nothing sent', async ({ page, platform, address }) => {
  const nonceBefore = await platform.chain.provider.getTransactionCount(address);
  await page.locator('#amount').fill('lots');
  await page.locator('#deposit-button').click();
  await page.locator('#amount-help').filter({ hasText: 'greater than zero' }).waitFor();
  assert.is(await page.locator('#amount').getAttribute('aria-invalid'), 'true');
  assert.is(await platform.chain.provider.getTransactionCount(address), nonceBefore);
});

wallet('close, wait out the challenge period on the chain, withdraw: the LIVE is back', async ({ page, platform, address, model, modelWallet }) => {
  await page.locator('#request-close').click();
  await page.locator('#channel-state').filter({ hasText: 'Closing' }).waitFor({ timeout: 20_000 });
  assert.ok(await page.locator('#withdraw').isDisabled(), 'no withdrawal during the challenge period');
  assert.match((await page.locator('#withdraw-when').textContent())!, /You can withdraw from/);
  await page.screenshot({ path: `${SHOTS}/wallet-closing-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/wallet-closing-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The model goes away (the server no longer answers its wallet): the deposit stays reachable from this browser.
  await platform.signaling.store.clearPresence(model.key);
  await page.goto(`${platform.url}/#/wallet`);
  const listed = page.locator('ul.deposits a');
  await listed.first().waitFor({ timeout: 20_000 });
  assert.is(await listed.count(), 1, 'one deposit listed');
  assert.match((await page.locator('ul.deposits li').first().textContent())!, /30\.5 LIVE \(closing\)/);
  await listed.first().click();
  await page.locator('#channel-state').filter({ hasText: 'Closing' }).waitFor({ timeout: 20_000 });

  await platform.devChain!.increaseTime(platform.devChain!.challengePeriodSeconds + 1);
  // The page follows new blocks by itself.
  await page.locator('#withdraw:not([disabled])').waitFor({ timeout: 20_000 });
  await page.locator('#withdraw').click();
  await page.locator('#notice').filter({ hasText: 'Withdrawn' }).waitFor({ timeout: 20_000 });
  const reader = connectChannels(platform.chain.provider, platform.chain.addresses);
  assert.is(await reader.balanceOf(address), LIVE(1000), 'every LIVE back (nothing was committed)');
  assert.is((await reader.getChannel(address, modelWallet.address)).state, 'closed');
  await page.locator('#live-balance').filter({ hasText: /^\s*1,000\s*$/ }).waitFor({ timeout: 10_000 });
  await page.screenshot({ path: `${SHOTS}/wallet-withdrawn-1280.png`, fullPage: true });
});

wallet('no console error on the way', async ({ errors }) => {
  assert.equal(errors, []);
});

wallet.run();
