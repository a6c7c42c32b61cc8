/**
 * The private-call services in real Chromium, through real coturn, on the real dev chain: a client and a model
 * connect relay-only, video and audio flow both ways, the fingerprints are proven, chat goes over the data
 * channel and never through signaling, each minute is prepaid by voucher, and the model settles exactly what
 * was paid; the client closes and gets the rest back.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUnits } from 'ethers';
import { Wallet } from 'ethers';
import { connectChannels } from '../../contracts/client.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { startCallRig, type CallRig } from '../helpers/call-rig.ts';
import { agentPage, until, type AgentPage } from './call-pages.ts';

const PRICE = parseUnits('1.5', 18);
const DEPOSIT = parseUnits('20', 18);
const MINUTE_MS = 4_000;

interface Ctx { rig: CallRig; browser: Browser; model: AgentPage; client: AgentPage; modelKey: string; clientKey: string }
const journey = suite<Ctx>('private call services: the whole journey');

journey.before(async (ctx) => {
  ctx.rig = await startCallRig({ minuteMs: MINUTE_MS, voucherGraceMs: 2_000 });
  ctx.browser = await launchChromium();
  const [m, c] = ctx.rig.chain.demoAccounts;
  ctx.model = await agentPage(ctx.browser, ctx.rig, { role: 'model', privateKey: m!.privateKey, db: 'model' });
  ctx.client = await agentPage(ctx.browser, ctx.rig, { role: 'client', privateKey: c!.privateKey, db: 'client' });
  ctx.modelKey = await ctx.model.page.evaluate((p) => agent.start({ pricePerMinute: p, minMinutes: 2 }), PRICE.toString());
  ctx.clientKey = await ctx.client.page.evaluate(() => agent.start());
  await connectChannels(new Wallet(c!.privateKey, ctx.rig.chain.provider), ctx.rig.chain.addresses).openWithPermit(m!.address, DEPOSIT);
});

journey.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.rig?.close();
});

journey('the client requests, the model accepts, both connect relay-only with proven fingerprints', async (ctx) => {
  const modelWallet = ctx.rig.chain.demoAccounts[0]!.address;
  await ctx.client.page.evaluate((o) => agent.request(o), { modelKey: ctx.modelKey, modelWallet, pricePerMinute: PRICE.toString(), minMinutes: 2 });
  const request = await ctx.model.page.evaluate(() => agent.waitRequest());
  assert.is(request.client.key, ctx.clientKey);
  assert.is(request.pricePerMinute, PRICE.toString());
  await ctx.model.page.evaluate(() => agent.accept());
  for (const side of [ctx.model, ctx.client]) {
    await until(side.page, () => agent.log.states.includes('connected'), 15_000, 'connected');
    const verified = await side.page.evaluate(() => agent.log.verified);
    assert.match(String(verified), /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'the live certificate matched the signed fingerprint');
  }
});

journey('video and audio flow both ways, and every selected candidate pair is relay on both sides', async (ctx) => {
  for (const side of [ctx.model, ctx.client]) {
    const media = await until(side.page, async () => {
      const m = await agent.media();
      return m.framesDecoded > 0 && m.audioPackets > 0 ? m : null;
    }, 15_000, 'frames').catch(async (err) => {
      console.error(await side.page.evaluate(async () => JSON.stringify({ media: await agent.media(), log: agent.log })));
      throw err;
    });
    assert.ok(media.framesDecoded > 0, `frames decoded ${media.framesDecoded}`);
    assert.ok(media.pairs.length > 0, 'a selected pair');
    for (const [local, remote] of media.pairs) assert.equal([local, remote], ['relay', 'relay']);
    assert.is(await side.page.evaluate(() => agent.call!.droppedCandidates), 0, 'the honest peer sent only relay candidates');
  }
});

journey('both see the same safety code, made from both full keys', async (ctx) => {
  const a = await ctx.model.page.evaluate((k) => agent.safetyCode(k), ctx.clientKey);
  const b = await ctx.client.page.evaluate((k) => agent.safetyCode(k), ctx.modelKey);
  assert.is(a, b);
  assert.match(a, /^\d{5} \d{5} \d{5} \d{5}$/);
});

journey('chat goes over the data channel both ways and never appears in signaling traffic', async (ctx) => {
  const fromClient = `hello from the client ${Math.random().toString(36).slice(2)}`;
  const fromModel = `hi back from the model ${Math.random().toString(36).slice(2)}`;
  await ctx.client.page.evaluate((t) => agent.call!.sendChat(t), fromClient);
  await until(ctx.model.page, () => agent.log.chat.length > 0, 5_000, 'chat at the model');
  await ctx.model.page.evaluate((t) => agent.call!.sendChat(t), fromModel);
  await until(ctx.client.page, () => agent.log.chat.some((c) => c.from === 'peer'), 5_000, 'chat at the client');
  assert.equal(await ctx.model.page.evaluate(() => agent.log.chat), [{ from: 'peer', text: fromClient }, { from: 'me', text: fromModel }]);
  const frames = [...ctx.client.frames, ...ctx.model.frames];
  assert.ok(frames.some((f) => f.includes('private:voucher')), 'the socket frames were captured');
  for (const text of [fromClient, fromModel]) assert.not.ok(frames.some((f) => f.includes(text)), 'a chat line went through signaling');
});

journey('after K minutes the model holds a voucher for exactly K x price, kept in its vault', async (ctx) => {
  const K = 2;
  await until(ctx.model.page, () => agent.log.vouchers.length >= 2, 3 * MINUTE_MS, 'two vouchers');
  await ctx.client.page.evaluate(() => agent.call!.end());
  await until(ctx.model.page, () => agent.log.ended !== null, 5_000, 'the model sees the end');
  const log = await ctx.model.page.evaluate(() => agent.log);
  assert.is(log.ended!.code, 'CALL_ENDED_BY_PEER');
  assert.equal(log.vouchers.map((v) => v.cumulativeAmount), [PRICE, PRICE * 2n].map(String));
  assert.is(await ctx.model.page.evaluate(() => agent.call!.lastVoucher!.cumulativeAmount.toString()), (PRICE * BigInt(K)).toString());
  const kept = await until(ctx.model.page, async (want) => {
    const k = await agent.kept();
    return k.length === 1 && k[0]!.cumulativeAmount === want ? k : null;
  }, 5_000, 'the vault keeps the latest', (PRICE * BigInt(K)).toString());
  assert.is(kept[0]!.cumulativeAmount, (PRICE * BigInt(K)).toString());
  assert.is((await ctx.client.page.evaluate(() => agent.log.tick))!.spent, (PRICE * BigInt(K)).toString());
});

journey('the model settles from its vault: both balances match to the wei, fee included', async (ctx) => {
  const chain = ctx.rig.chain;
  const reader = connectChannels(chain.provider, chain.addresses);
  const modelWallet = chain.demoAccounts[0]!.address;
  const [modelBefore, feeBefore] = await Promise.all([reader.balanceOf(modelWallet), reader.balanceOf(chain.feeRecipient)]);
  const report = await ctx.model.page.evaluate(() => agent.settle());
  assert.equal(report.dropped, []);
  assert.equal(report.settled, [(PRICE * 2n).toString()]);
  const [modelAfter, feeAfter] = await Promise.all([reader.balanceOf(modelWallet), reader.balanceOf(chain.feeRecipient)]);
  const fee = (PRICE * 2n * BigInt(chain.platformFeeBps)) / 10_000n;
  assert.is(feeAfter - feeBefore, fee);
  // The model pays its own gas in ETH, not LIVE: its LIVE rises by exactly the payout.
  assert.is(modelAfter - modelBefore, PRICE * 2n - fee);
  const again = await ctx.model.page.evaluate(() => agent.settle());
  assert.is(again.hash, null, 'nothing left to settle');
});

journey('the client requests close and gets the rest back after the challenge period', async (ctx) => {
  const chain = ctx.rig.chain;
  const clientSigner = new Wallet(chain.demoAccounts[1]!.privateKey, chain.provider);
  const payer = connectChannels(clientSigner, chain.addresses);
  const modelWallet = chain.demoAccounts[0]!.address;
  const before = await payer.balanceOf(clientSigner.address);
  await payer.requestClose(modelWallet);
  await chain.increaseTime(chain.challengePeriodSeconds + 1);
  await payer.withdraw(modelWallet);
  assert.is(await payer.balanceOf(clientSigner.address) - before, DEPOSIT - PRICE * 2n);
});

journey.run();
