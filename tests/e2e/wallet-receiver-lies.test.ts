/**
 * A lying server cannot point a client's deposit at its own wallet: the wallet page (real Chromium, the real
 * platform and chain) checks the model's signed wallet binding from RECEIVER_PATH against the model's key from
 * the link, and refuses with RECEIVER_UNVERIFIED, in plain words and with no deposit form, when the server (here:
 * its answer rewritten in flight, as a compromised server would send it) serves another address, a binding of
 * its own, a bad signature or no binding. The honest answer passes and the deposit reaches the model's wallet.
 */
import { Wallet, parseUnits } from 'ethers';
import type { Page, Route } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectChannels } from '../../contracts/client.ts';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { MESSAGES } from '../../client/messages.ts';
import { RECEIVER_PATH, type ReceiverBody } from '../../signaling/protocol.ts';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { login, type User } from '../signaling/helpers.ts';
import { bind } from '../signaling/private-setup.ts';

type Binding = NonNullable<ReceiverBody['binding']>;
interface Ctx { platform: Platform; browser: Browser; page: Page; model: User; modelWallet: Wallet; liar: { address: string; binding: Binding } }
const lies = suite<Ctx>('wallet in the browser: a lying server\'s receiver is refused');

lies.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.page = await ctx.browser.context.newPage();
  ctx.model = await login(ctx.platform.url, 'model');
  ctx.modelWallet = new Wallet(ctx.platform.devChain!.demoAccounts[0]!.privateKey);
  await bind(ctx.model, ctx.modelWallet);
  // What the server would serve as its own: a wallet it holds, bound (validly) to an identity it holds.
  const [identity, wallet] = [await createIdentity(), Wallet.createRandom()];
  const liarBinding = await bindWallet(identity, wallet.address, await wallet.signMessage(walletBindingMessage(identity.publicKey)));
  ctx.liar = { address: wallet.address.toLowerCase(), binding: { ...liarBinding, v: 1 } };
});

lies.after(async (ctx) => {
  ctx.model?.socket.close();
  await ctx.browser?.close();
  await ctx.platform?.close();
});

/** Opens the wallet page on the model's link with the receiver answer rewritten by `lie` (none: honest). */
async function open(ctx: Ctx, lie?: (honest: ReceiverBody) => ReceiverBody): Promise<void> {
  await ctx.page.unrouteAll();
  let served = 0;
  if (lie) {
    await ctx.page.route(`**${RECEIVER_PATH}/**`, async (route: Route) => {
      const honest = await (await route.fetch()).json() as ReceiverBody;
      served++;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(lie(honest)) });
    });
  }
  await ctx.page.goto(`${ctx.platform.url}/#/wallet/${ctx.model.key}`);
  await ctx.page.reload(); // a fresh page: nothing of the last case is remembered in memory
  if (lie) {
    await ctx.page.locator('#channel-error').waitFor({ timeout: 20_000 });
    assert.ok(served > 0, 'the lie was served');
  }
}

async function refused(ctx: Ctx, lie: (honest: ReceiverBody) => ReceiverBody): Promise<void> {
  await open(ctx, lie);
  assert.is((await ctx.page.locator('#channel-error').textContent())!.trim(), MESSAGES.RECEIVER_UNVERIFIED);
  assert.is(await ctx.page.locator('channel-panel').count(), 0, 'no deposit form');
}

lies('the server serves its own address next to the model\'s binding', (ctx) =>
  refused(ctx, (h) => ({ ...h, address: ctx.liar.address })));

lies('the server rewrites the binding\'s address (the model\'s signatures no longer verify)', (ctx) =>
  refused(ctx, (h) => ({ address: ctx.liar.address, binding: { ...h.binding!, address: Wallet.createRandom().address } })));

lies('the server serves a valid binding of its own identity and wallet', (ctx) =>
  refused(ctx, () => ({ address: ctx.liar.address, binding: ctx.liar.binding })));

lies('the server flips a byte of the identity\'s signature', (ctx) =>
  refused(ctx, (h) => {
    const sig = h.binding!.identitySignature;
    return { ...h, binding: { ...h.binding!, identitySignature: (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) } };
  }));

lies('the server serves the address without a binding', (ctx) =>
  refused(ctx, (h) => ({ address: h.address })));

lies('the honest answer passes: the deposit goes to the model\'s wallet, none to the server\'s', async (ctx) => {
  await open(ctx);
  const { page } = ctx;
  await page.locator('channel-panel').waitFor({ timeout: 20_000 });
  await page.locator('#faucet').click();
  await page.locator('#notice').filter({ hasText: 'Test funds received.' }).waitFor({ timeout: 20_000 });
  await page.locator('#bind').click();
  await page.locator('#bound').filter({ hasText: 'Linked to your identity' }).waitFor({ timeout: 20_000 });
  const client = (await page.locator('#address').textContent())!.trim();
  await page.locator('#amount').fill('5');
  await page.locator('#deposit-button').click();
  await page.locator('#notice').filter({ hasText: 'Deposit confirmed' }).waitFor({ timeout: 20_000 });
  const reader = connectChannels(ctx.platform.devChain!.provider, ctx.platform.devChain!.addresses);
  assert.is((await reader.getChannel(client, ctx.modelWallet.address)).deposit, parseUnits('5', 18));
  assert.is((await reader.getChannel(client, ctx.liar.address)).state, 'none');
});

lies.run();
