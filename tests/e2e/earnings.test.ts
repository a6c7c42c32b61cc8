/**
 * The model's earnings page against the real platform (its coturn, the embedded chain, a shortened minute):
 * a paid private call of K minutes with a tip in it; `#/earnings` shows the call (client, K minutes, the tip)
 * and the unsettled amount to the wei; one click settles; the row turns settled with the transaction hash of
 * the chain's ChannelSettled log, the fee is the contract's, the day's total is right. No console error.
 */
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet, parseUnits } from 'ethers';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { connectChannels, type LiveChannelsClient } from '../../contracts/client.ts';
import type { DevChain } from '../../contracts/devchain.ts';
import { dayOf, feeOf } from '../../client/services/earnings.ts';
import { formatAmount } from '../../client/format.ts';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { call, client as socketTo, connected, login, ok } from '../signaling/helpers.ts';

const PRICE = parseUnits('1.5', 18);
const TIP = parseUnits('0.25', 18);
const PUBLIC_TIP = parseUnits('0.75', 18);
/** Long enough that the end click lands well before the next minute's voucher (signed half a minute ahead). */
const MINUTE_MS = 5_000;

interface Ctx {
  platform: Platform; url: string; chain: DevChain; reader: LiveChannelsClient; browser: Browser; model: Page; client: Page;
  errors: string[]; modelKey: string; startedAt: number; clientWallet: string; clientName: string; spent: bigint; channelId: string;
}
const earnings = suite<Ctx>('the model\'s earnings page');

function amount(text: string | null): bigint {
  return parseUnits(text!.trim().replace(/,/g, ''), 18);
}

async function page(ctx: Ctx): Promise<Page> {
  const p = await ctx.browser.context.newPage();
  // The browser's own favicon request (the app has no icon; no code of ours asks for it) is not an app error.
  p.on('console', (m) => { if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) ctx.errors.push(`${m.text()} ${m.location().url}`); });
  p.on('pageerror', (e) => ctx.errors.push(String(e.stack)));
  return p;
}

earnings.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform({ PRIVATE_MINUTE_MS: String(MINUTE_MS), PRIVATE_VOUCHER_GRACE_SECONDS: '2' });
  assert.ok(ctx.platform.turn, 'the platform started coturn');
  ctx.url = ctx.platform.url;
  ctx.chain = ctx.platform.devChain!;
  ctx.reader = connectChannels(ctx.chain.provider, ctx.chain.addresses);
  ctx.browser = await launchChromium();
  ctx.errors = [];
  ctx.model = await page(ctx);
  ctx.client = await page(ctx);
});

earnings.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

earnings('a paid private call of K minutes with a tip', async (ctx) => {
  const { model, client } = ctx;
  ctx.startedAt = Date.now();
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
  const modelKey = (dir.ok ? dir.models.find((m) => m.pricePerMinute === PRICE.toString()) : undefined)?.key;
  assert.ok(modelKey, 'the model is in the directory');
  ctx.modelKey = modelKey!;

  await client.goto(`${ctx.url}/#/wallet/${modelKey}`);
  await client.locator('#address').waitFor({ timeout: 20_000 });
  ctx.clientWallet = (await client.locator('#address').textContent())!.trim().toLowerCase();
  await client.locator('#faucet').click();
  await client.locator('#notice').filter({ hasText: 'Test funds received.' }).waitFor({ timeout: 20_000 });
  await client.locator('#bind').click();
  await client.locator('#bound').filter({ hasText: 'Linked to your identity' }).waitFor({ timeout: 20_000 });
  await client.locator('#amount').fill('12');
  await client.locator('#deposit-button').click();
  await client.locator('#notice').filter({ hasText: 'Deposit confirmed' }).waitFor({ timeout: 20_000 });

  await client.goto(`${ctx.url}/#/watch/${modelKey}`);
  await client.locator('#private-request:not([disabled])').waitFor({ timeout: 20_000 });
  await client.locator('#private-request').click();
  await model.locator('#prompt-accept').waitFor({ timeout: 20_000 });
  await model.locator('#prompt-accept').click();
  for (const p of [model, client]) await p.locator('#call-state').filter({ hasText: 'Private with' }).waitFor({ timeout: 20_000 });
  ctx.clientName = (await model.locator('#call-state').textContent())!.trim().replace(/^Private with /, '');
  await client.locator('#call-tip-input').fill('0.25');
  await client.locator('#call-tip').click();
  // Minute 2 is on screen: two minutes are prepaid.
  await client.locator('#call-minute').filter({ hasText: /^[2-9]$/ }).waitFor({ timeout: 4 * MINUTE_MS });
  await client.locator('#call-end').click();
  await client.locator('#call-ended').filter({ hasText: 'You ended the call.' }).waitFor({ timeout: 5_000 });
  await model.locator('#call-ended').waitFor({ timeout: 5_000 });
  ctx.spent = amount(await client.locator('#call-spent').textContent());
  assert.ok(ctx.spent >= 2n * PRICE + TIP && (ctx.spent - TIP) % PRICE === 0n, `spent ${ctx.spent}: K whole minutes and the tip`);
  await model.locator('#call-dismiss').click();
  await model.locator('#earnings-unsettled').filter({ hasText: /^[1-9]/ }).waitFor({ timeout: 10_000 });
});

earnings('the earnings page shows the call and the unsettled amount to the wei', async (ctx) => {
  const { model } = ctx;
  await model.locator('#to-earnings').click();
  const unsettled = model.locator('#total-unsettled');
  await unsettled.waitFor({ timeout: 30_000 });
  const wei = () => unsettled.getAttribute('data-wei');
  const deadline = Date.now() + 20_000;
  while (await wei() !== ctx.spent.toString() && Date.now() < deadline) await model.waitForTimeout(200);
  assert.is(await wei(), ctx.spent.toString(), 'unsettled: what the client spent');
  assert.is(amount(await unsettled.textContent()), ctx.spent, 'shown with every decimal');
  const row = model.locator('#earnings-items tbody tr[data-state="unsettled"]');
  assert.is(await row.count(), 1, 'one call');
  const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
  assert.ok(cells[1]!.startsWith('Private show') && cells[1]!.includes('0.25'), `the call with its tip: ${cells[1]}`);
  assert.is(cells[2], ctx.clientName, 'the client\'s pseudonym');
  assert.is(Number(cells[3]), Number((ctx.spent - TIP) / PRICE), 'K minutes');
  assert.is(amount(cells[4]!), ctx.spent);
  assert.is(cells[6], '—', 'no transaction yet');
  const fee = feeOf(ctx.spent, ctx.chain.platformFeeBps);
  assert.is(await model.locator('#total-payout').getAttribute('data-wei'), (ctx.spent - fee).toString(), 'what settling pays after the fee');
  assert.is((await model.locator('#fee-percent').textContent())!.trim(), `${ctx.chain.platformFeeBps / 100}%`);
  ctx.channelId = (await row.getAttribute('data-channel'))!;
  assert.is(await model.locator(`#earnings-channels tr[data-channel="${ctx.channelId}"]`).count(), 1, 'the deposit to settle');
});

earnings('one click settles; the row shows the transaction of the chain\'s ChannelSettled log; the day total is right', async (ctx) => {
  const { model, reader, chain } = ctx;
  await model.locator('#settle-all').click();
  await model.locator('#earnings-items tbody tr[data-state="settled"]').waitFor({ timeout: 30_000 });
  const logs = await reader.channels.queryFilter(reader.channels.filters.ChannelSettled!(ctx.channelId));
  assert.is(logs.length, 1, 'one settlement on-chain');
  const log = logs[0] as unknown as { transactionHash: string; args: [string, bigint, bigint, bigint] };
  assert.is(log.args[1], ctx.spent, 'paid on-chain: every minute and the tip');
  const tx = (await model.locator('#earnings-items tbody tr[data-state="settled"] .item-tx').textContent())!.trim();
  assert.is(tx, log.transactionHash, 'the row names the settlement transaction');
  assert.ok((await model.locator('#settle-status').textContent())!.includes(log.transactionHash));
  const chainTx = await chain.provider.getTransaction(tx);
  const modelWallet = (await model.locator('#earnings-wallet').textContent())!.trim().toLowerCase();
  assert.is(chainTx!.from.toLowerCase(), modelWallet, 'sent by the model\'s wallet');
  assert.is(await model.locator('#total-unsettled').getAttribute('data-wei'), '0');
  assert.is(await model.locator('#total-settled').getAttribute('data-wei'), ctx.spent.toString());
  assert.is(amount((await model.locator('#total-settled').textContent())!.split('(')[0]!), ctx.spent);
  assert.ok((await model.locator('#total-settled').textContent())!.includes(`platform fee ${formatAmount(feeOf(ctx.spent, ctx.chain.platformFeeBps), 18)}`), 'the fee the contract took');
  assert.is(await model.locator('#settle-all').isDisabled(), true, 'nothing left to settle');
  const days = model.locator('#earnings-days tbody tr');
  assert.is(await days.count(), 1);
  const day = (await days.getAttribute('data-day'))!;
  assert.ok([dayOf(ctx.startedAt), dayOf(Date.now())].includes(day), `today: ${day}`);
  assert.is(await days.getAttribute('data-earned'), ctx.spent.toString(), 'the day\'s total');
});

earnings('a public show\'s tip is checked and kept by the studio, and listed as an unsettled tip', async (ctx) => {
  const { model, chain } = ctx;
  const modelWallet = (await model.locator('#earnings-wallet').textContent())!.trim();
  // The client's page leaves the model's page: it would start playing the model's new show.
  await ctx.client.goto(`${ctx.url}/#/`);
  await model.goto(`${ctx.url}/#/studio`);
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 20_000 });
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 30_000 });
  const modelKey = ctx.modelKey;
  const tipper = await login(ctx.url, 'client');
  const tipperWallet = new Wallet(chain.demoAccounts[1]!.privateKey, chain.provider);
  const signature = await tipperWallet.signMessage(walletBindingMessage(tipper.key));
  const binding = await bindWallet(tipper.identity, tipperWallet.address, signature);
  await ok(tipper.socket, 'wallet:bind', { address: binding.address, walletSignature: signature, identitySignature: binding.identitySignature });
  const { showId } = await ok(tipper.socket, 'show:watch', { model: modelKey });
  const payer = connectChannels(tipperWallet, chain.addresses);
  await payer.openWithPermit(modelWallet, parseUnits('3', 18));
  const tipChannel = (await payer.getChannel(tipperWallet.address, modelWallet)).channelId;
  const v = await payer.signVoucher(tipChannel, PUBLIC_TIP);
  await ok(tipper.socket, 'chat:tip', { showId, voucher: { channelId: tipChannel, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature } });
  await model.locator('#earnings-unsettled').filter({ hasText: formatAmount(PUBLIC_TIP) }).waitFor({ timeout: 20_000 });
  tipper.socket.close();
  await model.locator('#end').click();

  await model.locator('#to-earnings').click();
  const row = model.locator(`#earnings-items tbody tr[data-channel="${tipChannel.toLowerCase()}"]`);
  await row.waitFor({ timeout: 30_000 });
  assert.is(await row.getAttribute('data-state'), 'unsettled');
  assert.is(await row.getAttribute('data-amount'), PUBLIC_TIP.toString());
  const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
  assert.equal([cells[1], cells[2]], ['Tip', tipper.pseudonym]);
  assert.is(await model.locator('#total-unsettled').getAttribute('data-wei'), PUBLIC_TIP.toString());
  assert.is(await model.locator('#total-earned').getAttribute('data-wei'), (ctx.spent + PUBLIC_TIP).toString());
  const today = model.locator(`#earnings-days tbody tr[data-day="${dayOf(Date.now())}"]`);
  assert.is(await today.getAttribute('data-earned'), (ctx.spent + PUBLIC_TIP).toString(), 'the day: the call and the tip');

  // One deposit settled alone, from its own button.
  await model.locator(`button.settle-channel[data-channel="${tipChannel.toLowerCase()}"]`).click();
  await model.locator(`#earnings-items tbody tr[data-channel="${tipChannel.toLowerCase()}"][data-state="settled"]`).waitFor({ timeout: 30_000 });
  const [log] = await ctx.reader.channels.queryFilter(ctx.reader.channels.filters.ChannelSettled!(tipChannel));
  assert.is((log as unknown as { args: [string, bigint] }).args[1], PUBLIC_TIP);
  assert.is((await row.locator('.item-tx').textContent())!.trim(), log!.transactionHash);
  assert.is(await model.locator('#total-settled').getAttribute('data-wei'), (ctx.spent + PUBLIC_TIP).toString());
});

earnings('no console error on the way', ({ errors }) => {
  assert.equal(errors, []);
});

earnings.run();
