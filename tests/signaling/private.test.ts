/**
 * Private-show handshake against a real dev chain: channel pre-check, request,
 * decline, timeout, accept with TURN credentials, relay of SDP/ICE/signed
 * fingerprints, voucher relay and checks, and every way a session ends.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { Wallet, parseUnits } from 'ethers';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { connectChannels } from '../../contracts/client.ts';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { signFingerprint, verifyFingerprint } from '../../crypto/fingerprint.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { call, login, mediaArrives, next, ok, startRedis, startServer, testConfig, type RedisHandle, type Running, type User } from './helpers.ts';

const LIVE = (n: number) => parseUnits(String(n), 18);
const PRICE = LIVE(2);
/** A short billed minute, so the test sees a paid minute run out (longer than the 3 s test grace: the meter needs grace < minute). */
const MINUTE_MS = 4_000;

function privateFlows(name: string, withRedis: boolean) {
  const t = suite(`private shows (${name})`);
  let chain: DevChain;
  let run: Running;
  let redis: RedisHandle | null = null;
  let model: User;
  let clientUser: User;
  let clientWallet: Wallet;
  let modelWallet: Wallet;
  let channelId: string;
  const config = testConfig();

  async function bind(u: User, w: Wallet): Promise<void> {
    const walletSignature = await w.signMessage(walletBindingMessage(u.key));
    const b = await bindWallet(u.identity, w.address, walletSignature);
    await ok(u.socket, 'wallet:bind', { address: b.address, walletSignature, identitySignature: b.identitySignature });
  }

  t.before(async () => {
    chain = await startDevChain({ port: 0, demoAccounts: 4 });
    if (withRedis) redis = await startRedis();
    run = await startServer({
      config: redis ? { ...config, REDIS_URL: redis.url } : config,
      chain: { provider: chain.provider, addresses: chain.addresses, chainId: chain.chainId, rpcUrl: chain.rpcUrl },
      tuning: { minuteMs: MINUTE_MS },
    });
    clientWallet = new Wallet(chain.demoAccounts[0]!.privateKey, chain.provider);
    modelWallet = new Wallet(chain.demoAccounts[1]!.privateKey, chain.provider);
    model = await login(run.url, 'model');
    clientUser = await login(run.url, 'client');
    await ok(model.socket, 'model:setPrice', { pricePerMinute: PRICE.toString(), minMinutes: 3 });
  });
  t.after(async () => {
    model?.socket.close();
    clientUser?.socket.close();
    await run?.server.close();
    await redis?.stop();
    await chain?.close();
  });

  const request = (extra: Record<string, unknown> = {}) => call(clientUser.socket, 'private:request', {
    model: model.key, pricePerMinute: PRICE.toString(), minMinutes: 3, channelId: channelId ?? '0x' + '11'.repeat(32), ...extra,
  });

  t('a request needs bound wallets and an open channel that covers the minimum', async () => {
    const noWallet = await request();
    assert.is(noWallet.ok ? null : noWallet.error.code, 'CHANNEL_INSUFFICIENT');
    await bind(clientUser, clientWallet);
    await bind(model, modelWallet);
    const noChannel = await request();
    assert.is(noChannel.ok ? null : noChannel.error.code, 'CHANNEL_INSUFFICIENT');
    const payer = connectChannels(clientWallet, chain.addresses);
    await payer.openWithPermit(modelWallet.address, LIVE(5)); // 5 < 3 min x 2 LIVE
    channelId = (await payer.getChannel(clientWallet.address, modelWallet.address)).channelId;
    const small = await request();
    assert.is(small.ok ? null : small.error.code, 'CHANNEL_INSUFFICIENT');
    await payer.topUpWithPermit(modelWallet.address, LIVE(20));
    const wrongPrice = await request({ pricePerMinute: '1' });
    assert.is(wrongPrice.ok ? null : wrongPrice.error.code, 'CONFLICT');
    const tooShort = await request({ minMinutes: 1 });
    assert.is(tooShort.ok ? null : tooShort.error.code, 'BAD_REQUEST');
  });

  t('tips are announced in chat once the voucher checks out, and relayed to the model', async () => {
    const tipperWallet = new Wallet(chain.demoAccounts[3]!.privateKey, chain.provider);
    const tipper = await login(run.url, 'client');
    const { showId } = await ok(model.socket, 'show:open', {});
    await mediaArrives(run, model, showId);
    await ok(tipper.socket, 'show:watch', { model: model.key });
    const noWallet = await call(tipper.socket, 'chat:tip', { showId, voucher: { channelId: '0x' + '22'.repeat(32), cumulativeAmount: '1', signature: '0x' + '11'.repeat(65) } });
    assert.is(noWallet.ok ? null : noWallet.error.code, 'CHANNEL_INSUFFICIENT');
    await bind(tipper, tipperWallet);
    const payer = connectChannels(tipperWallet, chain.addresses);
    await payer.openWithPermit(modelWallet.address, LIVE(3));
    const tipChannel = (await payer.getChannel(tipperWallet.address, modelWallet.address)).channelId;
    const v = await payer.signVoucher(tipChannel, LIVE(1));
    const voucher = { channelId: tipChannel, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature };
    const inChat = next(model.socket, 'chat:message', (m) => m.kind === 'tip');
    const toModel = next(model.socket, 'tip:voucher');
    const r = await ok(tipper.socket, 'chat:tip', { showId, voucher });
    assert.is(r.amount, LIVE(1).toString());
    const m = await inChat;
    assert.equal([m.kind, m.amount, m.from.key], ['tip', LIVE(1).toString(), tipper.key]);
    assert.equal((await toModel).voucher, voucher);
    const replay = await call(tipper.socket, 'chat:tip', { showId, voucher });
    assert.is(replay.ok ? null : replay.error.code, 'VOUCHER_INVALID');
    const v2 = await payer.signVoucher(tipChannel, LIVE(1.5));
    const r2 = await ok(tipper.socket, 'chat:tip', { showId, voucher: { channelId: tipChannel, cumulativeAmount: v2.cumulativeAmount.toString(), signature: v2.signature } });
    assert.is(r2.amount, LIVE(0.5).toString(), 'only the increment is announced');
    const tooMuch = await payer.signVoucher(tipChannel, LIVE(4));
    const over = await call(tipper.socket, 'chat:tip', { showId, voucher: { channelId: tipChannel, cumulativeAmount: tooMuch.cumulativeAmount.toString(), signature: tooMuch.signature } });
    assert.is(over.ok ? null : over.error.code, 'VOUCHER_INVALID');
    await ok(model.socket, 'show:close', {});
    tipper.socket.close();
  });

  t('the model declines; an unanswered request times out', async () => {
    const asked = next(model.socket, 'private:request');
    const r = await request();
    assert.ok(r.ok);
    const seen = await asked;
    assert.is(seen.client.key, clientUser.key);
    assert.is(seen.minMinutes, 3);
    const declined = next(clientUser.socket, 'private:declined');
    await ok(model.socket, 'private:decline', { sessionId: seen.sessionId });
    assert.equal(await declined, { sessionId: seen.sessionId, reason: 'declined' });
    const late = await call(model.socket, 'private:accept', { sessionId: seen.sessionId });
    assert.is(late.ok ? null : late.error.code, 'NOT_FOUND');

    const withdrawnAsk = next(model.socket, 'private:request');
    const w = await ok(clientUser.socket, 'private:request', { model: model.key, pricePerMinute: PRICE.toString(), minMinutes: 3, channelId });
    await withdrawnAsk;
    const twice = await call(clientUser.socket, 'private:request', { model: model.key, pricePerMinute: PRICE.toString(), minMinutes: 3, channelId });
    assert.is(twice.ok ? null : twice.error.code, 'CONFLICT', 'one pending request per client and model');
    const withdrawn = next(model.socket, 'private:ended', (e) => e.sessionId === w.sessionId);
    await ok(clientUser.socket, 'private:end', { sessionId: w.sessionId });
    assert.equal(await withdrawn, { sessionId: w.sessionId, reason: 'ended', by: clientUser.key });

    const timedOut = next(clientUser.socket, 'private:declined', (e) => e.reason === 'timeout');
    const r2 = await ok(clientUser.socket, 'private:request', { model: model.key, pricePerMinute: PRICE.toString(), minMinutes: 3, channelId });
    assert.is((await timedOut).sessionId, r2.sessionId);
  });

  let sessionId = '';
  t('accept: TURN credentials for both, model shown as private, offer/answer/ICE/fingerprints relayed', async () => {
    const asked = next(model.socket, 'private:request');
    const r = await ok(clientUser.socket, 'private:request', { model: model.key, pricePerMinute: PRICE.toString(), minMinutes: 3, channelId });
    sessionId = r.sessionId;
    await asked;
    const accepted = next(clientUser.socket, 'private:accepted');
    const busy = next(clientUser.socket, 'directory:update', (e) => e.key === model.key && e.status === 'private');
    await ok(clientUser.socket, 'directory:subscribe', {});
    const a = await ok(model.socket, 'private:accept', { sessionId });
    const c = await accepted;
    await busy;
    for (const turn of [a.turn, c.turn]) {
      const [expiry, random] = turn.username.split(':');
      assert.ok(Number(expiry) > Date.now() / 1000 + 3000, 'expiry in the future');
      assert.ok(random && random.length >= 16, 'random per-session user part');
      assert.is(turn.credential, createHmac('sha1', 'test-turn-secret-0123456789').update(turn.username).digest('base64'));
      assert.equal(turn.urls, ['turn:127.0.0.1:3478']);
    }
    assert.is.not(a.turn.username, c.turn.username);
    assert.equal([c.startedAt, c.baseline, c.minuteMs, c.graceMs], [a.startedAt, a.baseline, MINUTE_MS, 3_000], 'both sides meter alike');
    assert.is(c.model.key, model.key);
    const again = await call(model.socket, 'private:accept', { sessionId });
    assert.is(again.ok ? null : again.error.code, 'CONFLICT');

    const fingerprint = 'sha-256 ' + Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
    const signed = await signFingerprint({ sessionId, fingerprint, ownKey: clientUser.key, peerKey: model.key }, clientUser.identity);
    const fp = { fingerprint, signature: signed.signature };
    const forged = await call(clientUser.socket, 'private:signal', { sessionId, fingerprint: { fingerprint, signature: 'A'.repeat(86) } });
    assert.is(forged.ok ? null : forged.error.code, 'BAD_REQUEST', 'a badly signed fingerprint is refused');
    const wrongWay = await signFingerprint({ sessionId, fingerprint, ownKey: clientUser.key, peerKey: (await createIdentity()).publicKey }, clientUser.identity);
    const ww = await call(clientUser.socket, 'private:signal', { sessionId, fingerprint: { fingerprint, signature: wrongWay.signature } });
    assert.is(ww.ok ? null : ww.error.code, 'BAD_REQUEST', 'a statement naming another peer is refused');
    const offer = next(model.socket, 'private:signal');
    // The SDP carries the fingerprint it is signed for (the server checks they are the same).
    const offerSdp = `v=0\r\na=fingerprint:${fingerprint}\r\n`;
    await ok(clientUser.socket, 'private:signal', { sessionId, description: { type: 'offer', sdp: offerSdp }, fingerprint: fp });
    const o = await offer;
    assert.equal(o, { sessionId, from: clientUser.key, description: { type: 'offer', sdp: offerSdp }, fingerprint: fp });
    // The model checks it the same way, from what it received.
    const checked = await verifyFingerprint({ v: 1, sessionId, fingerprint: o.fingerprint!.fingerprint, ownKey: o.from, peerKey: model.key, signature: o.fingerprint!.signature }, { sessionId, signerKey: clientUser.key, myKey: model.key, fingerprint });
    assert.is(checked.fingerprint, fingerprint);
    // The answer travels with the model's signed statement too (the protocol refuses a description without one).
    const modelFingerprint = 'sha-256 ' + Array.from({ length: 32 }, (_, i) => (i * 11 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
    const modelSigned = await signFingerprint({ sessionId, fingerprint: modelFingerprint, ownKey: model.key, peerKey: clientUser.key }, model.identity);
    const modelFp = { fingerprint: modelFingerprint, signature: modelSigned.signature };
    const answer = next(clientUser.socket, 'private:signal');
    await ok(model.socket, 'private:signal', { sessionId, description: { type: 'answer', sdp: `v=0\r\na=fingerprint:${modelFingerprint}\r\n` }, fingerprint: modelFp });
    assert.is((await answer).description?.type, 'answer');
    const ice = next(clientUser.socket, 'private:signal', (e) => !!e.candidate);
    await ok(model.socket, 'private:signal', { sessionId, candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ relay', sdpMid: '0', sdpMLineIndex: 0 } });
    assert.is((await ice).candidate?.sdpMid, '0');
    const wrongType = await call(model.socket, 'private:signal', { sessionId, description: { type: 'offer', sdp: `v=0\r\na=fingerprint:${modelFingerprint}\r\n` }, fingerprint: modelFp });
    assert.is(wrongType.ok ? null : wrongType.error.code, 'BAD_REQUEST');
    const outsider = await login(run.url, 'client');
    const nope = await call(outsider.socket, 'private:signal', { sessionId, candidate: { candidate: 'x' } });
    assert.is(nope.ok ? null : nope.error.code, 'NOT_FOUND');
    outsider.socket.close();
  });

  t('vouchers: relayed to the model with the minutes they prepay; replays, forgeries and overdrafts refused', async () => {
    const payer = connectChannels(clientWallet, chain.addresses);
    const v1 = await payer.signVoucher(channelId, PRICE);
    const relayed = next(model.socket, 'private:voucher');
    const r = await ok(clientUser.socket, 'private:voucher', { sessionId, voucher: { channelId, cumulativeAmount: v1.cumulativeAmount.toString(), signature: v1.signature } });
    assert.is(r.paidMinutes, 1);
    const m = await relayed;
    assert.is(m.paidMinutes, 1);
    assert.is(m.voucher.signature, v1.signature);
    const replay = await call(clientUser.socket, 'private:voucher', { sessionId, voucher: { channelId, cumulativeAmount: v1.cumulativeAmount.toString(), signature: v1.signature } });
    assert.is(replay.ok ? null : replay.error.code, 'VOUCHER_INVALID');
    const forger = connectChannels(new Wallet(chain.demoAccounts[2]!.privateKey, chain.provider), chain.addresses);
    const forged = await forger.signVoucher(channelId, PRICE * 2n);
    const f = await call(clientUser.socket, 'private:voucher', { sessionId, voucher: { channelId, cumulativeAmount: forged.cumulativeAmount.toString(), signature: forged.signature } });
    assert.is(f.ok ? null : f.error.code, 'VOUCHER_INVALID');
    const over = await payer.signVoucher(channelId, LIVE(26));
    const o = await call(clientUser.socket, 'private:voucher', { sessionId, voucher: { channelId, cumulativeAmount: over.cumulativeAmount.toString(), signature: over.signature } });
    assert.is(o.ok ? null : o.error.code, 'VOUCHER_INVALID');
    const v3 = await payer.signVoucher(channelId, PRICE * 3n);
    const r3 = await ok(clientUser.socket, 'private:voucher', { sessionId, voucher: { channelId, cumulativeAmount: v3.cumulativeAmount.toString(), signature: v3.signature } });
    assert.is(r3.paidMinutes, 3);
  });

  t('either side ends the session; the model is online again', async () => {
    const ended = next(model.socket, 'private:ended');
    const online = next(clientUser.socket, 'directory:update', (e) => e.key === model.key && e.status === 'online');
    await ok(clientUser.socket, 'private:end', { sessionId });
    const e = await ended;
    assert.is(e.reason, 'ended');
    assert.is(e.by, clientUser.key);
    await online;
    const after = await call(clientUser.socket, 'private:signal', { sessionId, candidate: { candidate: 'x' } });
    assert.is(after.ok ? null : after.error.code, 'NOT_FOUND');
  });

  async function startSession(): Promise<string> {
    const asked = next(model.socket, 'private:request');
    const r = await ok(clientUser.socket, 'private:request', { model: model.key, pricePerMinute: PRICE.toString(), minMinutes: 3, channelId });
    await asked;
    const accepted = next(clientUser.socket, 'private:accepted');
    await ok(model.socket, 'private:accept', { sessionId: r.sessionId });
    await accepted;
    return r.sessionId;
  }

  t('no voucher within the grace period ends the session (voucher_late)', async () => {
    const id = await startSession();
    const e = await next(model.socket, 'private:ended', (x) => x.sessionId === id);
    assert.is(e.reason, 'voucher_late');
  });

  t('when the paid minutes run out, the session ends after the grace period, not before', async () => {
    const id = await startSession();
    const payer = connectChannels(clientWallet, chain.addresses);
    const cur = BigInt(await run.server.store.channelHighWater(channelId));
    const v = await payer.signVoucher(channelId, cur + PRICE);
    const paid = await ok(clientUser.socket, 'private:voucher', { sessionId: id, voucher: { channelId, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature } });
    assert.is(paid.paidMinutes, 1);
    const e = await next(model.socket, 'private:ended', (x) => x.sessionId === id, 20_000);
    assert.is(e.reason, 'voucher_late');
    assert.ok(Date.now() >= paid.paidUntil + 3_000 - 50, 'not before the paid minute plus the grace period');
  });

  t('a peer gone longer than the grace period ends the session; one back in time does not', async () => {
    const id = await startSession();
    const payer = connectChannels(clientWallet, chain.addresses);
    // The client reconnects within the grace period: the session survives.
    clientUser.socket.close();
    const back = await login(run.url, 'client', clientUser.identity);
    clientUser = back;
    const cur = await run.server.store.channelHighWater(channelId);
    const v = await payer.signVoucher(channelId, BigInt(cur) + PRICE * 5n);
    const r = await ok(back.socket, 'private:voucher', { sessionId: id, voucher: { channelId, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature } });
    assert.ok(r.paidMinutes >= 5);
    // Then the model vanishes for good.
    const ended = next(back.socket, 'private:ended', (x) => x.sessionId === id);
    model.socket.close();
    const e = await ended;
    assert.is(e.reason, 'disconnected');
    assert.is(e.by, model.key);
    model = await login(run.url, 'model', model.identity);
  });

  return t;
}

privateFlows('memory', false).run();
privateFlows('redis', true).run();
