/**
 * What signaling lets through between the two peers of a private call: a modified client's host, srflx, prflx,
 * mDNS and unparsable candidates (trickled or inside the SDP) never reach the peer; relay ones do; a direct call
 * exists only when both opted in; an offer or answer whose SDP fingerprint is not the signed one is refused; and
 * an ICE restart (a second offer/answer pair) is relayed in an active session.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { call, next, none, ok } from './helpers.ts';
import { fakeFingerprint, privateWorld, sdp, signedFingerprint, startSession, type PrivateWorld } from './private-setup.ts';

const HOST = 'candidate:1467250027 1 udp 2122260223 192.168.1.20 56143 typ host generation 0 ufrag abcd';
const MDNS = 'candidate:3829131138 1 udp 2122262783 4f1e2a3b-6c7d-4e5f-8a9b-0c1d2e3f4a5b.local 54400 typ host generation 0';
const SRFLX = 'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 192.168.1.20 rport 56143 generation 0';
const PRFLX = 'candidate:3134152938 1 udp 1853824767 198.51.100.4 61002 typ prflx raddr 0.0.0.0 rport 0 generation 0';
const RELAY = 'candidate:3359526556 1 udp 41885439 127.0.0.1 50321 typ relay raddr 203.0.113.7 rport 46154 generation 0';
const LEAKS = ['192.168.1.20', '203.0.113.7', '198.51.100.4', '.local'];

/** These suites are about signaling, not money: a grace period long enough that no session ends for want of a voucher. */
const SLOW_PAY = { voucherGraceMs: 30_000 };

let w: PrivateWorld;

const relayOnly = suite('private calls: no address leaves the relay');
relayOnly.before(async () => { w = await privateWorld({ tuning: SLOW_PAY }); });
relayOnly.after(async () => { await w?.close(); });

relayOnly('trickled host, mDNS, srflx, prflx and garbage candidates never reach the peer; relay ones do', async () => {
  const { sessionId, terms, clientTerms } = await startSession(w);
  assert.equal([terms.direct, clientTerms.direct], [false, false]);
  for (const [sender, receiver] of [[w.client, w.model], [w.model, w.client]] as const) {
    const seen: string[] = [];
    const listener = (e: { candidate?: { candidate: string } }) => { if (e.candidate) seen.push(e.candidate.candidate); };
    receiver.socket.on('private:signal', listener);
    for (const candidate of [HOST, MDNS, SRFLX, PRFLX, 'garbage', 'candidate:1 1 udp 1 relay.example 9 typ relay', 'candidate:1 1 udp 1 10.0.0.1 9 typ relay x']) {
      const r = await ok(sender.socket, 'private:signal', { sessionId, candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
      assert.is(r.relayed, false, candidate);
    }
    const relayed = next(receiver.socket, 'private:signal', (e) => !!e.candidate);
    const r = await ok(sender.socket, 'private:signal', { sessionId, candidate: { candidate: RELAY, sdpMid: '0', sdpMLineIndex: 0 } });
    assert.is(r.relayed, true);
    const got = (await relayed).candidate!;
    assert.equal(got, { candidate: RELAY.replace('raddr 203.0.113.7 rport 46154', 'raddr 0.0.0.0 rport 0'), sdpMid: '0', sdpMLineIndex: 0 });
    receiver.socket.off('private:signal', listener);
    assert.equal(seen, [got.candidate], 'only the relay candidate arrived');
  }
  await ok(w.client.socket, 'private:end', { sessionId });
});

relayOnly('SDP a=candidate lines that are not relay are stripped from offers and answers', async () => {
  const { sessionId } = await startSession(w);
  const clientFp = fakeFingerprint(7);
  const offer = next(w.model.socket, 'private:signal', (e) => !!e.description);
  await ok(w.client.socket, 'private:signal', {
    sessionId, fingerprint: await signedFingerprint(sessionId, w.client, w.model, clientFp),
    description: { type: 'offer', sdp: sdp(clientFp, [HOST, SRFLX, RELAY, MDNS, PRFLX, 'candidate:garbage']) },
  });
  const o = (await offer).description!.sdp;
  for (const leak of LEAKS) assert.not.match(o, leak);
  assert.equal(o.split('\r\n').filter((l) => l.startsWith('a=candidate:')), [`a=${RELAY.replace('raddr 203.0.113.7 rport 46154', 'raddr 0.0.0.0 rport 0')}`]);
  assert.match(o, `a=fingerprint:${clientFp}`);
  const modelFp = fakeFingerprint(11);
  const answer = next(w.client.socket, 'private:signal', (e) => !!e.description);
  await ok(w.model.socket, 'private:signal', {
    sessionId, fingerprint: await signedFingerprint(sessionId, w.model, w.client, modelFp),
    description: { type: 'answer', sdp: sdp(modelFp, [HOST, SRFLX], '\n') },
  });
  const a = (await answer).description!.sdp;
  for (const leak of LEAKS) assert.not.match(a, leak);
  assert.is(a, sdp(modelFp, [], '\n'));
  await ok(w.client.socket, 'private:end', { sessionId });
});

relayOnly('a direct call needs both opt-ins; then every candidate passes as sent', async () => {
  for (const [direct, expected] of [[{ client: true }, false], [{ model: true }, false], [{ client: false, model: true }, false], [{ client: true, model: true }, true]] as const) {
    const { sessionId, terms, clientTerms } = await startSession(w, direct);
    assert.equal([terms.direct, clientTerms.direct], [expected, expected], JSON.stringify(direct));
    const host = await call(w.client.socket, 'private:signal', { sessionId, candidate: { candidate: HOST } });
    assert.equal(host, { ok: true, relayed: expected }, JSON.stringify(direct));
    if (expected) {
      const toModel = next(w.model.socket, 'private:signal', (e) => e.candidate?.candidate === MDNS);
      await ok(w.client.socket, 'private:signal', { sessionId, candidate: { candidate: MDNS } });
      assert.is((await toModel).candidate!.candidate, MDNS);
      const toClient = next(w.client.socket, 'private:signal', (e) => !!e.candidate);
      await ok(w.model.socket, 'private:signal', { sessionId, candidate: { candidate: SRFLX } });
      assert.is((await toClient).candidate!.candidate, SRFLX, 'as sent, related address included');
      const garbage = await ok(w.client.socket, 'private:signal', { sessionId, candidate: { candidate: 'garbage' } });
      assert.is(garbage.relayed, false, 'unparsable is dropped even in a direct call');
    }
    await ok(w.client.socket, 'private:end', { sessionId });
  }
});

const fingerprints = suite('private calls: the signed fingerprint is the SDP fingerprint');
fingerprints.before(async () => { w = await privateWorld({ tuning: SLOW_PAY }); });
fingerprints.after(async () => { await w?.close(); });

fingerprints('an SDP whose a=fingerprint is not the signed one, or has none, is refused and not relayed', async () => {
  const { sessionId } = await startSession(w);
  const fp = fakeFingerprint(7);
  const statement = await signedFingerprint(sessionId, w.client, w.model, fp);
  const quiet = none(w.model.socket, 'private:signal', 1_000);
  const other = await call(w.client.socket, 'private:signal', { sessionId, fingerprint: statement, description: { type: 'offer', sdp: sdp(fakeFingerprint(9)) } });
  assert.is(other.ok ? null : other.error.code, 'BAD_REQUEST');
  assert.match(other.ok ? '' : other.error.message, 'description');
  const twoCerts = sdp(fp).replace('a=setup:actpass', `a=setup:actpass\r\na=fingerprint:${fakeFingerprint(9)}`);
  const mixed = await call(w.client.socket, 'private:signal', { sessionId, fingerprint: statement, description: { type: 'offer', sdp: twoCerts } });
  assert.is(mixed.ok ? null : mixed.error.code, 'BAD_REQUEST', 'every a=fingerprint must be the signed one');
  const missing = await call(w.client.socket, 'private:signal', { sessionId, fingerprint: statement, description: { type: 'offer', sdp: 'v=0\r\n' } });
  assert.is(missing.ok ? null : missing.error.code, 'BAD_REQUEST');
  const malformed = await call(w.client.socket, 'private:signal', { sessionId, fingerprint: statement, description: { type: 'offer', sdp: 'v=0\r\na=fingerprint:sha-256 zz\r\n' } });
  assert.is(malformed.ok ? null : malformed.error.code, 'BAD_REQUEST');
  const bare = await call(w.client.socket, 'private:signal', { sessionId, description: { type: 'offer', sdp: sdp(fp) } });
  assert.is(bare.ok ? null : bare.error.code, 'BAD_REQUEST', 'the protocol refuses a description without its statement');
  const forged = await call(w.client.socket, 'private:signal', { sessionId, fingerprint: { fingerprint: fp, signature: 'A'.repeat(86) }, description: { type: 'offer', sdp: sdp(fp) } });
  assert.is(forged.ok ? null : forged.error.code, 'BAD_REQUEST');
  assert.match(forged.ok ? '' : forged.error.message, 'fingerprint');
  assert.ok(await quiet, 'nothing refused reached the model');
  // Case and the session-level position do not matter: the same certificate is the same fingerprint.
  const sessionLevel = `v=0\r\na=fingerprint:${fp.toLowerCase()}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n`;
  const good = next(w.model.socket, 'private:signal', (e) => !!e.description);
  await ok(w.client.socket, 'private:signal', { sessionId, fingerprint: statement, description: { type: 'offer', sdp: sessionLevel } });
  assert.is((await good).description!.sdp, sessionLevel);
  await ok(w.client.socket, 'private:end', { sessionId });
});

fingerprints('an ICE restart: the client offers again and the model answers again in the same session', async () => {
  const { sessionId } = await startSession(w);
  const clientFp = fakeFingerprint(7);
  const modelFp = fakeFingerprint(11);
  const clientStatement = await signedFingerprint(sessionId, w.client, w.model, clientFp);
  const modelStatement = await signedFingerprint(sessionId, w.model, w.client, modelFp);
  for (const round of [1, 2]) {
    const restart = sdp(clientFp, [RELAY]).replace('a=ice-ufrag:abcd', `a=ice-ufrag:r${round}xx`);
    const offer = next(w.model.socket, 'private:signal', (e) => e.description?.type === 'offer');
    await ok(w.client.socket, 'private:signal', { sessionId, fingerprint: clientStatement, description: { type: 'offer', sdp: restart } });
    assert.match((await offer).description!.sdp, `a=ice-ufrag:r${round}xx`, `offer ${round}`);
    const answer = next(w.client.socket, 'private:signal', (e) => e.description?.type === 'answer');
    await ok(w.model.socket, 'private:signal', { sessionId, fingerprint: modelStatement, description: { type: 'answer', sdp: sdp(modelFp) } });
    assert.is((await answer).description!.type, 'answer', `answer ${round}`);
  }
  await ok(w.client.socket, 'private:end', { sessionId });
});

relayOnly.run();
fingerprints.run();
