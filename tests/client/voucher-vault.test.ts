/**
 * The model's voucher vault in Chromium (IndexedDB) on the real dev chain: keep-if-higher per channel, the
 * server's kept vouchers merged in, unsettled totals read from the chain, and one-click settle where each entry
 * is simulated first, so a bad entry is dropped with its reason and the rest is paid in one transaction.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet, parseUnits } from 'ethers';
import { connectChannels } from '../../contracts/client.ts';
import { voucherToJSON } from '../../contracts/voucher.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { startCallRig, type CallRig } from '../helpers/call-rig.ts';
import { agentPage, type AgentPage } from './call-pages.ts';

const LIVE = (n: string) => parseUnits(n, 18);

interface Ctx { rig: CallRig; browser: Browser; model: AgentPage; clients: Wallet[]; channelIds: string[] }
const vault = suite<Ctx>('voucher vault in the browser');

vault.before(async (ctx) => {
  ctx.rig = await startCallRig();
  ctx.browser = await launchChromium();
  const accounts = ctx.rig.chain.demoAccounts;
  ctx.model = await agentPage(ctx.browser, ctx.rig, { role: 'model', privateKey: accounts[0]!.privateKey, db: 'vault-model' });
  ctx.clients = accounts.slice(1, 4).map((a) => new Wallet(a.privateKey, ctx.rig.chain.provider));
  ctx.channelIds = [];
  for (const w of ctx.clients) {
    const payer = connectChannels(w, ctx.rig.chain.addresses);
    await payer.openWithPermit(accounts[0]!.address, LIVE('10'));
    ctx.channelIds.push((await payer.getChannel(w.address, accounts[0]!.address)).channelId);
  }
});

vault.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.rig?.close();
});

async function keep(ctx: Ctx, i: number, amount: string, synced = false, signer?: Wallet): Promise<boolean> {
  const payer = connectChannels(signer ?? ctx.clients[i]!, ctx.rig.chain.addresses);
  const v = voucherToJSON(await payer.signVoucher(ctx.channelIds[i]!, LIVE(amount)));
  return ctx.model.page.evaluate(async ({ v, sender, synced }) => {
    const voucher = { channelId: v.channelId, cumulativeAmount: BigInt(v.cumulativeAmount), signature: v.signature };
    return agent.vault.keep(voucher, { sender, receiver: agent.wallet.address }, synced);
  }, { v, sender: ctx.clients[i]!.address, synced });
}

vault('keeps only the highest voucher of each channel', async (ctx) => {
  assert.is(await keep(ctx, 0, '2'), true);
  assert.is(await keep(ctx, 0, '1'), false, 'a lower one is not kept');
  assert.is(await keep(ctx, 0, '3'), true);
  assert.is(await keep(ctx, 0, '3', true), false, 'the same amount only marks it synced');
  const kept = await ctx.model.page.evaluate(() => agent.kept());
  assert.equal(kept, [{ channelId: ctx.channelIds[0], cumulativeAmount: LIVE('3').toString(), synced: true }]);
});

vault('merges what the server keeps (another device), keep-if-higher, ignoring malformed entries', async (ctx) => {
  const payer = connectChannels(ctx.clients[1]!, ctx.rig.chain.addresses);
  const v = voucherToJSON(await payer.signVoucher(ctx.channelIds[1]!, LIVE('4')));
  const lowerFor0 = voucherToJSON(await connectChannels(ctx.clients[0]!, ctx.rig.chain.addresses).signVoucher(ctx.channelIds[0]!, LIVE('1')));
  const receiver = ctx.rig.chain.demoAccounts[0]!.address.toLowerCase();
  const raised = await ctx.model.page.evaluate((list) => agent.vault.merge(list), [
    { ...v, sender: ctx.clients[1]!.address.toLowerCase(), receiver, updatedAt: 1 },
    { ...lowerFor0, sender: ctx.clients[0]!.address.toLowerCase(), receiver, updatedAt: 1 },
    { channelId: 'nonsense', cumulativeAmount: '-1', signature: '0x', sender: 'x', receiver, updatedAt: 1 },
  ]);
  assert.is(raised, 1);
  const kept = await ctx.model.page.evaluate(() => agent.kept());
  assert.equal(kept.map((k) => k.cumulativeAmount).sort(), [LIVE('3'), LIVE('4')].map(String).sort());
});

vault('settle: simulated entry by entry, a bad one dropped with its reason, the rest paid in one transaction', async (ctx) => {
  // Channel 2 gets a voucher signed by the wrong wallet: the contract would revert the whole batch on it.
  await keep(ctx, 2, '5', false, ctx.clients[0]);
  const reader = connectChannels(ctx.rig.chain.provider, ctx.rig.chain.addresses);
  const model = ctx.rig.chain.demoAccounts[0]!.address;
  const before = await reader.balanceOf(model);
  const unsettled = await ctx.model.page.evaluate(async () => (await agent.vault.unsettled(agent.chain)).map((u) => u.unsettled.toString()));
  assert.equal(unsettled.sort(), [LIVE('3'), LIVE('4'), LIVE('5')].map(String).sort());
  const report = await ctx.model.page.evaluate(() => agent.settle());
  assert.equal(report.settled.sort(), [LIVE('3'), LIVE('4')].map(String).sort());
  assert.is(report.dropped.length, 1);
  assert.is(report.dropped[0]!.code, 'PAYMENT_VOUCHER_BAD_SIGNATURE', 'the revert reason, decoded');
  const fee = (LIVE('7') * BigInt(ctx.rig.chain.platformFeeBps)) / 10_000n;
  assert.is(await reader.balanceOf(model) - before, LIVE('7') - fee);
  const left = await ctx.model.page.evaluate(async () => (await agent.vault.unsettled(agent.chain)).filter((u) => u.unsettled > 0n).length);
  assert.is(left, 1, 'only the bad entry is still unsettled');
});

vault.run();
