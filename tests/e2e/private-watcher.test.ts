/**
 * A model's money is safe while they are offline, through the web client: a paid private call of K minutes
 * between two browsers (the platform as `npm start` runs it, its own coturn, the embedded chain, a shortened
 * minute), the model never settles and closes their browser, the client requests close from the wallet page,
 * and the platform's settlement watcher settles the voucher the server kept before `closesAt`: the model's
 * balance rises by exactly K x price minus the fee, to the wei; the client withdraws the rest afterwards.
 */
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUnits } from 'ethers';
import { connectChannels, type LiveChannelsClient } from '../../contracts/client.ts';
import type { DevChain } from '../../contracts/devchain.ts';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { call, client as socketTo, connected } from '../signaling/helpers.ts';

const PRICE = parseUnits('1.5', 18);
const DEPOSIT = parseUnits('12', 18);
/** Long enough that the end click lands well before the next minute's voucher (signed half a minute ahead). */
const MINUTE_MS = 6_000;

interface Ctx {
  platform: Platform; url: string; chain: DevChain; reader: LiveChannelsClient;
  modelBrowser: Browser; clientBrowser: Browser; model: Page; client: Page;
  modelKey: string; clientWallet: string; modelWallet: string; spent: bigint;
}
const offline = suite<Ctx>('private show in the browser: the watcher settles for a model whose browser is closed');

/** Polls `read` until `ok` holds, or fails naming `what` with the last value. */
async function poll<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${String(v)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function amount(text: string | null): bigint {
  return parseUnits(text!.trim().replace(/,/g, ''), 18);
}

offline.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform({ PRIVATE_MINUTE_MS: String(MINUTE_MS), PRIVATE_VOUCHER_GRACE_SECONDS: '2', WATCHER_POLL_SECONDS: '1' });
  assert.ok(ctx.platform.turn, 'the platform started coturn');
  assert.ok(ctx.platform.watcher, 'the settlement watcher is on');
  ctx.url = ctx.platform.url;
  ctx.chain = ctx.platform.devChain!;
  ctx.reader = connectChannels(ctx.chain.provider, ctx.chain.addresses);
  // Two browsers, as two people: the model's can be closed without touching the client's.
  [ctx.modelBrowser, ctx.clientBrowser] = await Promise.all([launchChromium(), launchChromium()]);
  ctx.model = await ctx.modelBrowser.context.newPage();
  ctx.client = await ctx.clientBrowser.context.newPage();
});

offline.after(async (ctx) => {
  await Promise.all([ctx.modelBrowser?.close(), ctx.clientBrowser?.close()]);
  await ctx.platform?.close();
});

offline('a paid call of K minutes; the model keeps the earnings unsettled', async (ctx) => {
  const { model, client } = ctx;
  await model.goto(`${ctx.url}/#/studio`);
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 20_000 });
  await model.locator('#price').fill('1.5');
  await model.locator('#min-minutes').fill('1');
  await model.locator('#set-price').click();
  await model.locator('#private-status').filter({ hasText: '1.5 LIVE per minute' }).waitFor({ timeout: 10_000 });
  const s = socketTo(ctx.url);
  await connected(s);
  const dir = await call(s, 'directory:subscribe', {});
  s.close();
  ctx.modelKey = (dir.ok ? dir.models.find((m) => m.pricePerMinute === PRICE.toString()) : undefined)!.key;
  assert.ok(ctx.modelKey, 'the model is in the directory');

  await client.goto(`${ctx.url}/#/wallet/${ctx.modelKey}`);
  await client.locator('#address').waitFor({ timeout: 20_000 });
  ctx.clientWallet = (await client.locator('#address').textContent())!.trim();
  await client.locator('#faucet').click();
  await client.locator('#notice').filter({ hasText: 'Test funds received.' }).waitFor({ timeout: 20_000 });
  await client.locator('#bind').click();
  await client.locator('#bound').filter({ hasText: 'Linked to your identity' }).waitFor({ timeout: 20_000 });
  await client.locator('#amount').fill('12');
  await client.locator('#deposit-button').click();
  await client.locator('#notice').filter({ hasText: 'Deposit confirmed' }).waitFor({ timeout: 20_000 });

  await client.goto(`${ctx.url}/#/watch/${ctx.modelKey}`);
  await client.locator('#private-request:not([disabled])').waitFor({ timeout: 20_000 });
  await client.locator('#private-request').click();
  await model.locator('#prompt-accept').waitFor({ timeout: 20_000 });
  await model.locator('#prompt-accept').click();
  for (const p of [model, client]) await p.locator('#call-state').filter({ hasText: 'Private with' }).waitFor({ timeout: 20_000 });
  // Minute 2 is on screen: two minutes are prepaid.
  await client.locator('#call-minute').filter({ hasText: /^[2-9]$/ }).waitFor({ timeout: 3 * MINUTE_MS });
  await client.locator('#call-end').click();
  await client.locator('#call-ended').filter({ hasText: 'You ended the call.' }).waitFor({ timeout: 5_000 });
  await model.locator('#call-ended').waitFor({ timeout: 5_000 });
  ctx.spent = amount(await client.locator('#call-spent').textContent());
  assert.ok(ctx.spent >= 2n * PRICE && ctx.spent % PRICE === 0n, `spent ${ctx.spent}: K whole minutes, K >= 2`);
  await model.locator('#call-dismiss').click();
  const unsettled = amount(await model.locator('#earnings-unsettled').filter({ hasText: /^[1-9]/ }).textContent({ timeout: 10_000 }));
  assert.is(unsettled, ctx.spent, 'the model holds what the client spent, unsettled');
});

offline('the model closes the browser; the client requests close; the watcher settles before closesAt, to the wei', async (ctx) => {
  const { chain, reader } = ctx;
  const [opened] = await reader.channels.queryFilter(reader.channels.filters.ChannelOpened!(null, ctx.clientWallet));
  ctx.modelWallet = (opened as unknown as { args: [string, string, string] }).args[2];
  await ctx.modelBrowser.close();
  const channel = await reader.getChannel(ctx.clientWallet, ctx.modelWallet);
  assert.is(channel.paid, 0n, 'nothing settled while the model was online');
  const [modelBefore, feeBefore] = await Promise.all([reader.balanceOf(ctx.modelWallet), reader.balanceOf(chain.feeRecipient)]);

  await ctx.client.goto(`${ctx.url}/#/wallet/${ctx.modelKey}`);
  await ctx.client.locator('#request-close').click();
  await ctx.client.locator('#channel-state').filter({ hasText: 'Closing' }).waitFor({ timeout: 20_000 });
  const closing = await reader.getChannel(ctx.clientWallet, ctx.modelWallet);
  assert.is(closing.state, 'closing');

  const paid = await poll(async () => (await reader.getChannel(ctx.clientWallet, ctx.modelWallet)).paid, (p) => p > 0n, 20_000, 'the watcher to settle');
  assert.is(paid, ctx.spent, 'every paid minute settled');
  const [settled] = await reader.channels.queryFilter(reader.channels.filters.ChannelSettled!(channel.channelId));
  const block = await chain.provider.getBlock(settled!.blockNumber);
  assert.ok(BigInt(block!.timestamp) < closing.closesAt, `settled at ${block!.timestamp}, before closesAt ${closing.closesAt}`);
  const tx = await chain.provider.getTransaction(settled!.transactionHash);
  assert.is(tx!.from.toLowerCase(), ctx.platform.watcher!.submitter.toLowerCase(), 'submitted by the platform\'s watcher');

  const fee = (ctx.spent * BigInt(chain.platformFeeBps)) / 10_000n;
  assert.is(await reader.balanceOf(ctx.modelWallet) - modelBefore, ctx.spent - fee, 'the model got K x price minus the fee');
  assert.is(await reader.balanceOf(chain.feeRecipient) - feeBefore, fee, 'the fee recipient got the fee');
});

offline('after the challenge period the client withdraws exactly the rest', async (ctx) => {
  const { chain, reader, client } = ctx;
  const before = await reader.balanceOf(ctx.clientWallet);
  await chain.increaseTime(chain.challengePeriodSeconds + 1);
  await client.reload();
  await client.locator('#withdraw:not([disabled])').waitFor({ timeout: 20_000 });
  await client.locator('#withdraw').click();
  await client.locator('#notice').filter({ hasText: 'Withdrawn' }).waitFor({ timeout: 20_000 });
  assert.is(await reader.balanceOf(ctx.clientWallet) - before, DEPOSIT - ctx.spent);
});

offline.run();
