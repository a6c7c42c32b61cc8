/**
 * A lying signaling server against the private-call services (real Chromium, coturn, chain): a swapped DTLS
 * fingerprint makes the side that receives it hang up with the verification error, another key for the model is
 * refused by the client's pinned key, and non-relay candidates the server passes on never reach the connection.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet, parseUnits } from 'ethers';
import { connectChannels } from '../../contracts/client.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { startCallRig, type CallRig } from '../helpers/call-rig.ts';
import { agentPage, until, type AgentPage } from './call-pages.ts';

const PRICE = parseUnits('1', 18);

interface Ctx { rig: CallRig; browser: Browser; model: AgentPage; client: AgentPage; modelKey: string; modelWallet: string }
const lies = suite<Ctx>('private call services: a lying signaling server');

lies.before(async (ctx) => {
  ctx.rig = await startCallRig({ minuteMs: 20_000, voucherGraceMs: 5_000 });
  ctx.browser = await launchChromium();
  const [m, c] = ctx.rig.chain.demoAccounts;
  ctx.modelWallet = m!.address;
  ctx.model = await agentPage(ctx.browser, ctx.rig, { role: 'model', privateKey: m!.privateKey, db: 'model', lying: true });
  ctx.client = await agentPage(ctx.browser, ctx.rig, { role: 'client', privateKey: c!.privateKey, db: 'client', lying: true });
  ctx.modelKey = await ctx.model.page.evaluate((p) => agent.start({ pricePerMinute: p, minMinutes: 1 }), PRICE.toString());
  await ctx.client.page.evaluate(() => agent.start());
  await connectChannels(new Wallet(c!.privateKey, ctx.rig.chain.provider), ctx.rig.chain.addresses).openWithPermit(m!.address, parseUnits('50', 18));
});

lies.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.rig?.close();
});

/** One request and accept; the lying rewrites are set in the pages before. */
async function callOnce(ctx: Ctx): Promise<void> {
  await ctx.client.page.evaluate((o) => agent.request(o), { modelKey: ctx.modelKey, modelWallet: ctx.modelWallet, pricePerMinute: PRICE.toString(), minMinutes: 1 });
  await ctx.model.page.evaluate(() => agent.waitRequest());
  await ctx.model.page.evaluate(() => agent.accept());
}

async function reset(ctx: Ctx): Promise<void> {
  for (const side of [ctx.model, ctx.client]) {
    await side.page.evaluate(() => {
      agent.call?.close();
      agent.lying!.pushRewrite = (_e, p) => p;
      agent.lying!.replyRewrite = (_e, r) => r;
    });
  }
  await ctx.model.page.waitForTimeout(300); // the server hears both ends before the next request
}

lies('a fingerprint swapped in the offer: the model hangs up with the verification error', async (ctx) => {
  await ctx.model.page.evaluate(() => {
    agent.lying!.pushRewrite = ((e: string, p: { description?: { sdp: string } }) => {
      if (e === 'private:signal' && p.description) return { ...p, description: { ...p.description, sdp: Rig.swapFingerprint(p.description.sdp) } };
      return p;
    }) as never;
  });
  await callOnce(ctx);
  const ended = await until(ctx.model.page, () => agent.log.ended, 10_000, 'the model hangs up');
  assert.equal([ended.code, ended.by], ['FINGERPRINT_MISMATCH', 'me']);
  assert.is(await ctx.model.page.evaluate(() => agent.log.states.includes('connected')), false, 'never connected');
  const clientEnd = await until(ctx.client.page, () => agent.log.ended, 10_000, 'the client is told');
  assert.is(clientEnd.by, 'peer');
  assert.is(await ctx.client.page.evaluate(() => agent.log.states.includes('connected')), false, 'never connected');
  await reset(ctx);
});

lies('a fingerprint swapped in the answer: the client hangs up with the verification error', async (ctx) => {
  await ctx.client.page.evaluate(() => {
    agent.lying!.pushRewrite = ((e: string, p: { description?: { sdp: string } }) => {
      if (e === 'private:signal' && p.description) return { ...p, description: { ...p.description, sdp: Rig.swapFingerprint(p.description.sdp) } };
      return p;
    }) as never;
  });
  await callOnce(ctx);
  const ended = await until(ctx.client.page, () => agent.log.ended, 10_000, 'the client hangs up');
  assert.equal([ended.code, ended.by], ['FINGERPRINT_MISMATCH', 'me']);
  assert.is(await ctx.client.page.evaluate(() => agent.log.states.includes('connected')), false, 'never connected');
  const modelEnd = await until(ctx.model.page, () => agent.log.ended, 10_000, 'the model is told');
  assert.is(modelEnd.by, 'peer');
  await reset(ctx);
});

lies('a swapped fingerprint with the statement rewritten to match: the signature fails, the model hangs up', async (ctx) => {
  await ctx.model.page.evaluate(() => {
    agent.lying!.pushRewrite = ((e: string, p: { description?: { sdp: string }; fingerprint?: { fingerprint: string; signature: string } }) => {
      if (e !== 'private:signal' || !p.description) return p;
      const sdp = Rig.swapFingerprint(p.description.sdp);
      const fingerprint = /a=fingerprint:(.+)/.exec(sdp)![1]!.trim();
      return { ...p, description: { ...p.description, sdp }, fingerprint: { fingerprint, signature: p.fingerprint!.signature } };
    }) as never;
  });
  await callOnce(ctx);
  const ended = await until(ctx.model.page, () => agent.log.ended, 10_000, 'the model hangs up');
  assert.equal([ended.code, ended.by], ['FINGERPRINT_MISMATCH', 'me']);
  await reset(ctx);
});

lies('the server hands the client another key for the model: refused by the pinned key, nothing is offered', async (ctx) => {
  const impostor = (await createIdentity()).publicKey;
  await ctx.client.page.evaluate((key) => {
    agent.lying!.pushRewrite = ((e: string, p: { model?: { key: string; pseudonym: string } }) =>
      (e === 'private:accepted' ? { ...p, model: { ...p.model, key } } : p)) as never;
  }, impostor);
  const offers = ctx.client.frames.length;
  await callOnce(ctx);
  const ended = await until(ctx.client.page, () => agent.log.ended, 10_000, 'the client refuses');
  assert.equal([ended.code, ended.by], ['PEER_KEY_MISMATCH', 'me']);
  // The connection is built while the request waits, but it never got an ICE server or a local description.
  const pc = await ctx.client.page.evaluate(() => {
    const c = agent.call!.peerConnection;
    return c && { local: c.localDescription?.type ?? null, signaling: c.signalingState, servers: c.getConfiguration().iceServers?.length ?? 0 };
  });
  assert.equal(pc, { local: null, signaling: 'closed', servers: 0 }, 'no connection was made');
  assert.not.ok(ctx.client.frames.slice(offers).some((f) => f.includes('"offer"')), 'no offer was sent');
  await reset(ctx);
});

lies('host and srflx candidates passed on by the server never reach the connection; the call stays relay-only', async (ctx) => {
  await callOnce(ctx);
  await until(ctx.model.page, () => agent.log.states.includes('connected'), 15_000, 'connected');
  const sessionId = await ctx.model.page.evaluate(() => agent.call!.sessionId!);
  const clientKey = await ctx.client.page.evaluate(() => agent.key);
  await ctx.model.page.evaluate(({ sessionId, from }) => {
    for (const candidate of [
      'candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host generation 0',
      'candidate:2 1 udp 1686052607 203.0.113.7 50001 typ srflx raddr 192.168.1.20 rport 50000 generation 0',
    ]) agent.lying!.inject('private:signal', { sessionId, from, candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
  }, { sessionId, from: clientKey });
  assert.is(await ctx.model.page.evaluate(() => agent.call!.droppedCandidates), 2);
  const pairs = await ctx.model.page.evaluate(async () => {
    const stats = await agent.call!.peerConnection!.getStats();
    const remote: string[] = [];
    stats.forEach((s: { type: string; candidateType?: string }) => { if (s.type === 'remote-candidate') remote.push(s.candidateType ?? ''); });
    return { remote, selected: (await agent.media()).pairs };
  });
  assert.ok(pairs.remote.length > 0 && pairs.remote.every((t) => t === 'relay'), `remote candidates: ${pairs.remote.join(',')}`);
  for (const pair of pairs.selected) assert.equal(pair, ['relay', 'relay']);
  await reset(ctx);
});

lies.run();
