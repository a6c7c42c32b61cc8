/**
 * An injected EIP-1193 wallet (`window.ethereum`) in real Chromium: the page offers it next to the in-browser
 * wallet, the person switches to it, binds it to the identity and opens a deposit with permit in one transaction
 * signed by that wallet; the choice is remembered on the next visit.
 *
 * The injected wallet is a test wallet: `window.ethereum.request` is answered by an ethers Wallet in this process
 * (through a Playwright binding) that signs and forwards to the platform's chain, as a browser extension does.
 */
import { Wallet, getBytes, parseUnits, type TypedDataField } from 'ethers';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectChannels } from '../../contracts/client.ts';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { login, type User } from '../signaling/helpers.ts';
import { bind } from '../signaling/private-setup.ts';

interface Ctx { platform: Platform; browser: Browser; page: Page; model: User; modelWallet: Wallet; injected: Wallet; methods: string[] }
const injected = suite<Ctx>('injected EIP-1193 wallet');

/** What a browser extension does with each request: sign with its key, or pass reads to its node. */
async function answer(ctx: Ctx, method: string, params: unknown[]): Promise<unknown> {
  ctx.methods.push(method);
  const w = ctx.injected;
  switch (method) {
    case 'eth_chainId': return '0x' + ctx.platform.chain.chainId.toString(16);
    case 'eth_accounts':
    case 'eth_requestAccounts': return [w.address];
    case 'personal_sign': return w.signMessage(getBytes(params[0] as string));
    case 'eth_signTypedData_v4': {
      const { domain, types, message } = JSON.parse(params[1] as string) as { domain: object; types: Record<string, TypedDataField[]>; message: Record<string, unknown> };
      const { EIP712Domain: _, ...rest } = types;
      return w.signTypedData(domain, rest, message);
    }
    case 'eth_sendTransaction': {
      const tx = params[0] as { to: string; data?: string; value?: string; gas?: string };
      const sent = await w.sendTransaction({ to: tx.to, data: tx.data ?? '0x', value: tx.value ?? 0n, ...(tx.gas ? { gasLimit: tx.gas } : {}) });
      return sent.hash;
    }
    default: return (ctx.platform.chain.provider as unknown as { send(m: string, p: unknown[]): Promise<unknown> }).send(method, params);
  }
}

injected.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.methods = [];
  ctx.injected = new Wallet(ctx.platform.devChain!.demoAccounts[2]!.privateKey, ctx.platform.chain.provider);
  await ctx.browser.context.exposeBinding('__ethereum', (_source, method: string, params: unknown[]) => answer(ctx, method, params ?? []));
  // A string, not a function: tsx would wrap the function's inner functions in a helper the page does not have.
  await ctx.browser.context.addInitScript(`window.ethereum = {
    request: ({ method, params }) => window.__ethereum(method, params || []),
    on() {}, removeListener() {},
  };`);
  ctx.page = await ctx.browser.context.newPage();
  ctx.model = await login(ctx.platform.url, 'model');
  ctx.modelWallet = new Wallet(ctx.platform.devChain!.demoAccounts[0]!.privateKey);
  await bind(ctx.model, ctx.modelWallet);
});

injected.after(async (ctx) => {
  ctx.model?.socket.close();
  await ctx.browser?.close();
  await ctx.platform?.close();
});

injected('the in-browser wallet comes first; the injected one is offered and taken', async ({ page, platform, model, injected: w }) => {
  await page.goto(`${platform.url}/#/wallet/${model.key}`);
  await page.locator('#address').waitFor({ timeout: 20_000 });
  assert.is.not((await page.locator('#address').textContent())!.trim(), w.address, 'embedded by default');
  await page.locator('#use-injected').click();
  await page.locator('#address').filter({ hasText: w.address }).waitFor({ timeout: 20_000 });
  assert.is((await page.locator('#live-balance').textContent())!.trim(), '100,000');
});

injected('binding and a permit deposit are signed by the injected wallet, in one transaction', async ({ page, platform, injected: w, modelWallet, methods }) => {
  await page.locator('#bind').click();
  await page.locator('#bound').filter({ hasText: 'Linked to your identity' }).waitFor({ timeout: 20_000 });
  assert.ok(methods.includes('personal_sign'), 'the wallet signed the binding');
  const nonce = await platform.chain.provider.getTransactionCount(w.address);
  await page.locator('#amount').fill('10');
  await page.locator('#deposit-button').click();
  await page.locator('#deposit').filter({ hasText: '10 LIVE' }).waitFor({ timeout: 30_000 });
  assert.ok(methods.includes('eth_signTypedData_v4'), 'the permit was signed by the wallet');
  assert.is(methods.filter((m) => m === 'eth_sendTransaction').length, 1, 'one transaction asked of the wallet');
  assert.is(await platform.chain.provider.getTransactionCount(w.address), nonce + 1);
  const channel = await connectChannels(platform.chain.provider, platform.chain.addresses).getChannel(w.address, modelWallet.address);
  assert.is(channel.deposit, parseUnits('10', 18));
});

injected('the choice is remembered on the next visit', async ({ page, platform, injected: w }) => {
  await page.goto(`${platform.url}/#/`);
  await page.goto(`${platform.url}/#/wallet`);
  await page.reload();
  await page.locator('#address').filter({ hasText: w.address }).waitFor({ timeout: 20_000 });
  assert.ok(await page.locator('#use-embedded').isVisible(), 'the in-browser wallet stays one click away');
});

injected.run();
