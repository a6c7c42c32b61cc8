/**
 * The model's browser enforces payment itself (real Chromium, coturn, chain; the server's own end notices are
 * withheld from the model's page so only its meter can act): a withheld voucher ends the call within the grace
 * period plus one second, a lower or replayed voucher is refused, vouchers keep arriving over the data channel
 * when signaling drops them, and a tip travels the same channel without ending anything.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet, parseUnits } from 'ethers';
import { connectChannels } from '../../contracts/client.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { startCallRig, type CallRig } from '../helpers/call-rig.ts';
import { agentPage, until, type AgentPage } from './call-pages.ts';

const PRICE = parseUnits('1', 18);
const MINUTE_MS = 4_000;
const GRACE_MS = 1_500;

interface Ctx { rig: CallRig; browser: Browser; model: AgentPage; client: AgentPage; modelKey: string; modelWallet: string; channelId: string }
const pay = suite<Ctx>('private call services: the model\'s browser enforces payment');

pay.before(async (ctx) => {
  ctx.rig = await startCallRig({ minuteMs: MINUTE_MS, voucherGraceMs: GRACE_MS });
  ctx.browser = await launchChromium();
  const [m, c] = ctx.rig.chain.demoAccounts;
  ctx.modelWallet = m!.address;
  ctx.model = await agentPage(ctx.browser, ctx.rig, { role: 'model', privateKey: m!.privateKey, db: 'model', lying: true });
  ctx.client = await agentPage(ctx.browser, ctx.rig, { role: 'client', privateKey: c!.privateKey, db: 'client' });
  ctx.modelKey = await ctx.model.page.evaluate((p) => agent.start({ pricePerMinute: p, minMinutes: 1 }), PRICE.toString());
  await ctx.client.page.evaluate(() => agent.start());
  const payer = connectChannels(new Wallet(c!.privateKey, ctx.rig.chain.provider), ctx.rig.chain.addresses);
  await payer.openWithPermit(m!.address, parseUnits('50', 18));
  ctx.channelId = (await payer.getChannel(c!.address, m!.address)).channelId;
});

pay.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.rig?.close();
});

/** Connects a call; the model's page does not hear the server's end notices (and optionally its voucher relay). */
async function connect(ctx: Ctx, o: { dropServerVouchers?: boolean } = {}): Promise<void> {
  await ctx.model.page.evaluate((drop) => {
    agent.lying!.pushRewrite = ((e: string, p: unknown) => {
      if (e === 'private:ended') return { sessionId: 'withheld-by-test' };
      if (drop && e === 'private:voucher') return { ...(p as object), sessionId: 'withheld-by-test' };
      return p;
    }) as never;
  }, o.dropServerVouchers ?? false);
  await ctx.client.page.evaluate(() => { agent.signer = agent.honestSigner; });
  await ctx.client.page.evaluate((o) => agent.request(o), { modelKey: ctx.modelKey, modelWallet: ctx.modelWallet, pricePerMinute: PRICE.toString(), minMinutes: 1 });
  await ctx.model.page.evaluate(() => agent.waitRequest());
  await ctx.model.page.evaluate(() => agent.accept());
  await until(ctx.model.page, () => agent.log.states.includes('connected') && agent.log.vouchers.length >= 1, 30_000, 'connected and minute 1 paid');
}

async function hangUp(ctx: Ctx): Promise<void> {
  for (const side of [ctx.client, ctx.model]) await side.page.evaluate(() => agent.call?.close());
  await ctx.model.page.waitForTimeout(300);
}

pay('a withheld voucher ends the call within the grace period plus one second', async (ctx) => {
  await connect(ctx);
  // The client's wallet stops signing after minute 1.
  await ctx.client.page.evaluate(() => { agent.signer = () => new Promise(() => undefined); });
  const ended = await until(ctx.model.page, () => agent.log.ended, 3 * MINUTE_MS, 'the model ends the call');
  const m = (await ctx.model.page.evaluate(() => {
    const t = agent.call!.metering!;
    return { startedAt: t.startedAt, minuteMs: t.minuteMs, graceMs: t.graceMs, vouchers: agent.log.vouchers.length };
  }));
  assert.equal([ended.code, ended.cause, ended.by], ['CALL_VOUCHER_LATE', 'PAYMENT_VOUCHER_LATE', 'me']);
  const paidUntil = m.startedAt + m.vouchers * m.minuteMs;
  const late = ended.at - paidUntil;
  assert.ok(late >= m.graceMs, `ended ${late} ms after the unpaid minute began, before the ${m.graceMs} ms grace`);
  assert.ok(late <= m.graceMs + 1_000, `ended ${late} ms after the unpaid minute began (grace ${m.graceMs} ms + 1 s)`);
  const clientEnd = await until(ctx.client.page, () => agent.log.ended, 5_000, 'the client hears it');
  assert.is(clientEnd.code, 'CALL_VOUCHER_LATE');
  await hangUp(ctx);
});

pay('a lower voucher is refused: the call ends with VOUCHER_INVALID', async (ctx) => {
  await connect(ctx);
  const sessionId = await ctx.model.page.evaluate(() => agent.call!.sessionId!);
  const baseline = await ctx.model.page.evaluate(() => agent.call!.lastVoucher!.cumulativeAmount.toString());
  const lower = await ctx.client.page.evaluate(({ channelId, amount }) => agent.signed(channelId, amount), { channelId: ctx.channelId, amount: (BigInt(baseline) - 1n).toString() });
  await ctx.model.page.evaluate(({ sessionId, voucher }) => agent.lying!.inject('private:voucher', { sessionId, voucher, paidMinutes: 9, paidUntil: Date.now() + 60_000 }), { sessionId, voucher: lower });
  const ended = await until(ctx.model.page, () => agent.log.ended, 5_000, 'refused');
  assert.equal([ended.code, ended.cause, ended.by], ['VOUCHER_INVALID', 'PAYMENT_VOUCHER_NOT_NEWER', 'me']);
  await hangUp(ctx);
});

pay('a replayed voucher (from an earlier call on the channel) is refused; a repeat of this call\'s own is ignored', async (ctx) => {
  const earlier = await ctx.model.page.evaluate(() => agent.kept());
  await connect(ctx);
  const sessionId = await ctx.model.page.evaluate(() => agent.call!.sessionId!);
  const current = await ctx.model.page.evaluate(() => {
    const v = agent.call!.lastVoucher!;
    return { channelId: v.channelId, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature };
  });
  await ctx.model.page.evaluate(({ sessionId, voucher }) => agent.lying!.inject('private:voucher', { sessionId, voucher, paidMinutes: 1, paidUntil: 0 }), { sessionId, voucher: current });
  await ctx.model.page.waitForTimeout(200);
  assert.is(await ctx.model.page.evaluate(() => agent.log.ended), null, 'the same voucher by the second path is not a replay');
  const replay = earlier.find((e) => e.channelId === ctx.channelId)!;
  const signature = await ctx.model.page.evaluate(async (id) => (await agent.vault.get(id))!.signature, ctx.channelId);
  assert.ok(BigInt(replay.cumulativeAmount) < BigInt(current.cumulativeAmount));
  // The vault now holds this call's voucher; build the earlier one again from the client's wallet (same bytes: deterministic signatures).
  const old = await ctx.client.page.evaluate(({ channelId, amount }) => agent.signed(channelId, amount), { channelId: ctx.channelId, amount: replay.cumulativeAmount });
  assert.is.not(old.signature, signature);
  await ctx.model.page.evaluate(({ sessionId, voucher }) => agent.lying!.inject('private:voucher', { sessionId, voucher, paidMinutes: 1, paidUntil: 0 }), { sessionId, voucher: old });
  const ended = await until(ctx.model.page, () => agent.log.ended, 5_000, 'refused');
  assert.equal([ended.code, ended.cause], ['VOUCHER_INVALID', 'PAYMENT_VOUCHER_NOT_NEWER']);
  await hangUp(ctx);
});

pay('when signaling drops the vouchers, they still arrive over the data channel and the call goes on', async (ctx) => {
  await connect(ctx, { dropServerVouchers: true });
  await until(ctx.model.page, () => agent.log.vouchers.length >= 3, 4 * MINUTE_MS, 'three minutes paid');
  const log = await ctx.model.page.evaluate(() => agent.log);
  assert.is(log.ended, null);
  assert.ok(log.vouchers.every((v) => v.via === 'peer'), JSON.stringify(log.vouchers));
  await hangUp(ctx);
});

pay('a tip in the call: one voucher increment declared as a tip, counted by both sides, minutes unchanged', async (ctx) => {
  await connect(ctx);
  const tip = parseUnits('0.25', 18);
  await ctx.client.page.evaluate((t) => agent.call!.tip(BigInt(t)), tip.toString());
  const tipped = await until(ctx.model.page, () => agent.log.vouchers.find((v) => v.tip !== null), 5_000, 'the tip arrives');
  assert.is(tipped.tip, tip.toString());
  await until(ctx.model.page, () => agent.log.vouchers.filter((v) => v.tip === null).length >= 2, 3 * MINUTE_MS, 'the next minute paid after the tip');
  const [model, client] = await Promise.all([ctx.model.page.evaluate(() => agent.log), ctx.client.page.evaluate(() => agent.log)]);
  assert.is(model.ended, null);
  const minutes = model.vouchers.filter((v) => v.tip === null);
  assert.is(BigInt(minutes.at(-1)!.cumulativeAmount) - BigInt(minutes.at(-2)!.cumulativeAmount), PRICE + tip, 'the minute after the tip carries it');
  assert.is(model.tick!.paidMinutes, client.tick!.paidMinutes);
  await hangUp(ctx);
});

pay.run();
