/**
 * The relay's inputs, without media: the `origin` claim of WHEP tokens and
 * the `relay` token kind (sfu/tokens.ts), the relay offer an edge accepts
 * from an origin, and the control datagrams of the wire format.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRelayOffer } from '../../sfu/relay/RelaySource.ts';
import { controlDatagram, readControl, RelayControl } from '../../sfu/relay/wire.ts';
import { isValidOrigin, mintSfuToken, verifySfuToken } from '../../sfu/tokens.ts';

const secret = new Uint8Array(32).fill(3);
const code = (fn: () => unknown): string | undefined => {
  try { fn(); return undefined; } catch (e) { return (e as { code?: string }).code; }
};

const tokens = suite('origin claim and relay tokens');

tokens('a whep token carries a valid origin through verification', () => {
  const t = mintSfuToken(secret, { kind: 'whep', showId: 's1', sub: 'v', ttlSeconds: 60, origin: 'https://sfu-1.example:8443/sfu' });
  assert.is(verifySfuToken(secret, t, 'whep', 's1').origin, 'https://sfu-1.example:8443/sfu');
  const plain = mintSfuToken(secret, { kind: 'whep', showId: 's1', sub: 'v', ttlSeconds: 60 });
  assert.is(verifySfuToken(secret, plain, 'whep', 's1').origin, undefined);
});

tokens('bad origins are refused with SFU_BAD_ORIGIN when minting', () => {
  for (const origin of ['', 'ftp://h/', 'file:///etc/passwd', 'http://u:p@h/', 'http://h/?x=1', 'http://h/#f', `http://h/${'a'.repeat(260)}`, 'not a url']) {
    assert.not.ok(isValidOrigin(origin), origin);
    assert.is(code(() => mintSfuToken(secret, { kind: 'whep', showId: 's1', sub: 'v', ttlSeconds: 60, origin })), 'SFU_BAD_ORIGIN', origin);
  }
  // Only viewers are sent to an edge.
  assert.is(code(() => mintSfuToken(secret, { kind: 'whip', showId: 's1', sub: 'm', ttlSeconds: 60, origin: 'http://h' })), 'SFU_BAD_ORIGIN');
});

tokens('a relay token opens only relays, and a whep token no relay', () => {
  const relay = mintSfuToken(secret, { kind: 'relay', showId: 's1', sub: 'edge', ttlSeconds: 60 });
  assert.is(verifySfuToken(secret, relay, 'relay', 's1').kind, 'relay');
  assert.is(code(() => verifySfuToken(secret, relay, 'whep', 's1')), 'SFU_UNAUTHORIZED');
  const whep = mintSfuToken(secret, { kind: 'whep', showId: 's1', sub: 'v', ttlSeconds: 60 });
  assert.is(code(() => verifySfuToken(secret, whep, 'relay', 's1')), 'SFU_UNAUTHORIZED');
  assert.is(code(() => verifySfuToken(secret, relay, 'relay', 's2')), 'SFU_UNAUTHORIZED');
});

const offers = suite('relay offers and control datagrams');

offers('an edge takes only a well-formed offer from its origin', () => {
  const good = { port: 40000, sessionId: 'ab'.repeat(16), video: { mimeType: 'video/VP8' } };
  assert.equal(checkRelayOffer(good), good);
  for (const bad of [null, 'x', { ...good, port: 0 }, { ...good, port: 70000 }, { ...good, sessionId: 'zz' }, { ...good, video: { mimeType: 'text/html' } },
    { ...good, video: { mimeType: 'video/VP8', parameters: 'x'.repeat(600) } }, { port: 1, sessionId: good.sessionId }]) {
    assert.is(code(() => checkRelayOffer(bad)), 'SFU_UNAVAILABLE', JSON.stringify(bad));
  }
});

offers('control datagrams are read only with their session id', () => {
  const session = randomBytes(16);
  const d = controlDatagram(RelayControl.Keyframe, session, [2]);
  assert.is(readControl(d, session), RelayControl.Keyframe);
  assert.is(d[17], 2);
  assert.is(readControl(d, randomBytes(16)), undefined, 'another session');
  assert.is(readControl(d.subarray(0, 10), session), undefined, 'truncated');
  const rtp = Buffer.from(d); rtp[0] = 0x80;
  assert.is(readControl(rtp, session), undefined, 'RTP is never control');
  const unknown = Buffer.from(d); unknown[0] = 9;
  assert.is(readControl(unknown, session), undefined, 'unknown type');
});

tokens.run();
offers.run();
