/**
 * Resilience of the private-call services (real Chromium, coturn, chain): the relay going away and coming back
 * is healed by an ICE restart the client starts, and signaling going away does not stop the media or the
 * payment, which keeps flowing over the data channel.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet, parseUnits } from 'ethers';
import { connectChannels } from '../../contracts/client.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { startCallRig, type CallRig } from '../helpers/call-rig.ts';
import { agentPage, until, type AgentPage } from './call-pages.ts';

const PRICE = parseUnits('1', 18);
const MINUTE_MS = 6_000;

interface Ctx { rig: CallRig; browser: Browser; model: AgentPage; client: AgentPage }
const heal = suite<Ctx>('private call services: blips heal');

heal.before(async (ctx) => {
  ctx.rig = await startCallRig({ minuteMs: MINUTE_MS, voucherGraceMs: 3_000, peerDisconnectGraceMs: 60_000 });
  ctx.browser = await launchChromium();
  const [m, c] = ctx.rig.chain.demoAccounts;
  ctx.model = await agentPage(ctx.browser, ctx.rig, { role: 'model', privateKey: m!.privateKey, db: 'model' });
  ctx.client = await agentPage(ctx.browser, ctx.rig, { role: 'client', privateKey: c!.privateKey, db: 'client' });
  const modelKey = await ctx.model.page.evaluate((p) => agent.start({ pricePerMinute: p, minMinutes: 1 }), PRICE.toString());
  await ctx.client.page.evaluate(() => agent.start());
  await connectChannels(new Wallet(c!.privateKey, ctx.rig.chain.provider), ctx.rig.chain.addresses).openWithPermit(m!.address, parseUnits('50', 18));
  await ctx.client.page.evaluate((o) => agent.request(o), { modelKey, modelWallet: m!.address, pricePerMinute: PRICE.toString(), minMinutes: 1 });
  await ctx.model.page.evaluate(() => agent.waitRequest());
  await ctx.model.page.evaluate(() => agent.accept());
  for (const side of [ctx.model, ctx.client]) await until(side.page, () => agent.log.states.includes('connected'), 15_000, 'connected');
});

heal.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.rig?.close();
});

const frames = (p: AgentPage) => p.page.evaluate(async () => (await agent.media()).framesDecoded);

heal('the relay goes down and comes back: the client restarts ICE and the media flows again', async (ctx) => {
  await ctx.rig.turnDown();
  await until(ctx.client.page, () => agent.log.states.includes('reconnecting'), 20_000, 'the client notices');
  await ctx.rig.turnUp();
  await until(ctx.client.page, () => agent.log.states.lastIndexOf('connected') > agent.log.states.lastIndexOf('reconnecting'), 30_000, 'healed');
  for (const side of [ctx.client, ctx.model]) {
    // The decoder may wait for a keyframe after the outage, so allow a few seconds rather than one.
    const before = await frames(side);
    await until(side.page, async (n) => (await agent.media()).framesDecoded > n, 10_000, 'frames are decoded again', before);
    const pairs = await side.page.evaluate(async () => (await agent.media()).pairs);
    for (const pair of pairs) assert.equal(pair, ['relay', 'relay']);
  }
  assert.is(await ctx.model.page.evaluate(() => agent.log.ended), null);
});

heal('signaling goes away: media and payment go on peer to peer', async (ctx) => {
  const paid = await ctx.model.page.evaluate(() => agent.log.vouchers.length);
  await ctx.rig.signalingDown();
  const before = await Promise.all([frames(ctx.client), frames(ctx.model)]);
  await until(ctx.model.page, (n) => agent.log.vouchers.length >= n + 1, 2 * MINUTE_MS, 'a minute paid without signaling', paid);
  // The minute may have been paid a moment after `before` was read: give the frames their own deadline.
  for (const [i, side] of [ctx.client, ctx.model].entries()) {
    await until(side.page, async (n) => (await agent.media()).framesDecoded > n, 10_000, 'frames keep coming both ways', before[i]!);
  }
  const after = await Promise.all([frames(ctx.client), frames(ctx.model)]);
  assert.ok(after[0]! > before[0]! && after[1]! > before[1]!, 'frames keep coming both ways');
  const log = await ctx.model.page.evaluate(() => agent.log);
  assert.is(log.ended, null);
  assert.is(log.vouchers.at(-1)!.via, 'peer');
  await ctx.client.page.evaluate(() => agent.call!.sendChat('still here'));
  await until(ctx.model.page, () => agent.log.chat.some((c) => c.text === 'still here'), 5_000, 'chat without signaling');
});

heal.run();
