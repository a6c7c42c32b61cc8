import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity } from '../../crypto/identity.ts';
import {
  createChallenge, deriveSecret, issueSessionToken, MemoryChallengeStore, signChallenge, verifyChallengeResponse,
  verifySessionToken, type ChallengeResponse,
} from '../../crypto/login.ts';
import { fromBase64url, toBase64url } from '../../crypto/encoding.ts';
import { flipBit, rejectsWith } from './helpers.ts';

const AUD = 'https://cam.example';
const T0 = 1_800_000_000;

async function loginSetup(ttlSeconds = 120) {
  const id = await createIdentity();
  const store = new MemoryChallengeStore();
  const challenge = await createChallenge({ audience: AUD, ttlSeconds, now: T0 });
  store.issue(challenge, T0);
  const response = await signChallenge(id, challenge, AUD);
  const verify = (r: unknown, now = T0 + 1) =>
    verifyChallengeResponse(r, { audience: AUD, consume: (n) => store.consume(n, 0, now), now });
  return { id, store, challenge, response, verify };
}

const ch = suite('login challenges');

ch('a signed challenge logs in once and yields the key and pseudonym', async () => {
  const { id, response, verify, store } = await loginSetup();
  assert.is(response.challenge.nonce.length, 43);
  assert.equal(await verify(response), { publicKey: id.publicKey, pseudonym: id.pseudonym });
  assert.is(store.size, 0);
});

ch('a replayed response is CRYPTO_CHALLENGE_REPLAYED', async () => {
  const { response, verify } = await loginSetup();
  await verify(response);
  await rejectsWith('CRYPTO_CHALLENGE_REPLAYED', () => verify(response));
});

ch('a challenge the server never issued is refused even with a valid signature', async () => {
  const { id, verify } = await loginSetup();
  const selfMade = await createChallenge({ audience: AUD, now: T0 });
  await rejectsWith('CRYPTO_CHALLENGE_REPLAYED', () => signChallenge(id, selfMade).then(verify));
});

ch('an expired challenge is CRYPTO_CHALLENGE_EXPIRED (and one from the future too)', async () => {
  const { response, verify } = await loginSetup(60);
  await rejectsWith('CRYPTO_CHALLENGE_EXPIRED', () => verify(response, T0 + 60));
  await rejectsWith('CRYPTO_CHALLENGE_EXPIRED', () => verify(response, T0 - 3600));
});

ch('another audience is refused by the browser and by the server', async () => {
  const { id, challenge, response } = await loginSetup();
  await rejectsWith('CRYPTO_CHALLENGE_AUDIENCE', () => signChallenge(id, challenge, 'https://evil.example'));
  await rejectsWith('CRYPTO_CHALLENGE_AUDIENCE', () =>
    verifyChallengeResponse(response, { audience: 'https://other.example', consume: () => true, now: T0 + 1 }));
});

ch('tampering with any field, the key or the signature is CRYPTO_BAD_SIGNATURE', async () => {
  const { response, verify } = await loginSetup();
  const other = await createIdentity();
  const variants: ChallengeResponse[] = [
    { ...response, publicKey: other.publicKey },
    { ...response, challenge: { ...response.challenge, expiresAt: response.challenge.expiresAt + 1 } },
    { ...response, challenge: { ...response.challenge, issuedAt: response.challenge.issuedAt - 1 } },
    { ...response, signature: toBase64url(flipBit(fromBase64url(response.signature), 5)) },
  ];
  for (const v of variants) await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verify(v));
  // The nonce is not burnt by a bad signature: the real response still works.
  await verify(response);
});

ch('a changed nonce is not consumable; nonce is only burnt after the signature checks', async () => {
  const { response, verify } = await loginSetup();
  const nonce = toBase64url(flipBit(fromBase64url(response.challenge.nonce), 0));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verify({ ...response, challenge: { ...response.challenge, nonce } }));
});

ch('malformed responses are CRYPTO_BAD_ENCODING, never a raw exception', async () => {
  const { response, verify } = await loginSetup();
  const c = response.challenge;
  const bad: unknown[] = [
    null, 'x', [], {},
    { ...response, signature: response.signature.slice(0, 40) },
    { ...response, signature: '!'.repeat(86) },
    { ...response, publicKey: 'abc' },
    { ...response, publicKey: 42 },
    { ...response, challenge: { ...c, v: 2 } },
    { ...response, challenge: { ...c, nonce: 'short' } },
    { ...response, challenge: { ...c, issuedAt: -1 } },
    { ...response, challenge: { ...c, expiresAt: c.issuedAt + 100_000 } },
    { ...response, challenge: { ...c, audience: '' } },
    { ...response, challenge: { ...c, audience: 'a\nb' } },
    { ...response, challenge: null },
  ];
  for (const b of bad) await rejectsWith('CRYPTO_BAD_ENCODING', () => verify(b));
});

ch('a failing consume callback is CRYPTO_INTERNAL; a truthy non-true result is refused', async () => {
  const { response } = await loginSetup();
  await rejectsWith('CRYPTO_INTERNAL', () => verifyChallengeResponse(response, {
    audience: AUD, now: T0 + 1, consume: () => { throw new Error('redis down'); },
  }));
  await rejectsWith('CRYPTO_CHALLENGE_REPLAYED', () => verifyChallengeResponse(response, {
    audience: AUD, now: T0 + 1, consume: () => 1 as unknown as boolean,
  }));
});

ch('createChallenge validates its options; the store expires and bounds nonces', async () => {
  await rejectsWith('CRYPTO_BAD_INPUT', () => createChallenge({ audience: AUD, ttlSeconds: 0 }));
  await rejectsWith('CRYPTO_BAD_INPUT', () => createChallenge({ audience: AUD, ttlSeconds: 3600 }));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => createChallenge({ audience: '' }));
  const a = await createChallenge({ audience: AUD, now: T0 });
  const b = await createChallenge({ audience: AUD, now: T0 });
  assert.is.not(a.nonce, b.nonce);
  const store = new MemoryChallengeStore(1);
  store.issue(a, T0);
  assert.throws(() => store.issue(b, T0), (e: Error) => (e as { code?: string }).code === 'CRYPTO_BAD_INPUT');
  store.sweep(a.expiresAt);
  assert.is(store.size, 0);
  store.issue(b, T0);
  assert.not.ok(store.consume(b.nonce, 0, b.expiresAt), 'expired nonce is not accepted');
});

const tok = suite('session tokens');
const SECRET = new Uint8Array(32).map((_, i) => i);

tok('issue then verify gives the key, a session id and times', async () => {
  const id = await createIdentity();
  const t = await issueSessionToken(SECRET, id.publicKey, 900, T0);
  const claims = await verifySessionToken(SECRET, t, T0 + 10);
  assert.is(claims.publicKey, id.publicKey);
  assert.is(claims.issuedAt, T0);
  assert.is(claims.expiresAt, T0 + 900);
  assert.is(fromBase64url(claims.sessionId).length, 16);
  const t2 = await issueSessionToken(SECRET, id.publicKey, 900, T0);
  assert.is.not(t2, t, 'each token has its own session id');
});

tok('expiry is CRYPTO_TOKEN_EXPIRED', async () => {
  const id = await createIdentity();
  const t = await issueSessionToken(SECRET, id.publicKey, 60, T0);
  await verifySessionToken(SECRET, t, T0 + 59);
  await rejectsWith('CRYPTO_TOKEN_EXPIRED', () => verifySessionToken(SECRET, t, T0 + 60));
});

tok('another secret, any flipped bit, truncation or garbage is CRYPTO_TOKEN_INVALID', async () => {
  const id = await createIdentity();
  const t = await issueSessionToken(SECRET, id.publicKey, 60, T0);
  await rejectsWith('CRYPTO_TOKEN_INVALID', () => verifySessionToken(new Uint8Array(32).fill(9), t, T0));
  const [body, tag] = t.split('.') as [string, string];
  for (const i of [0, 1, 20, 40, 48, 60, 64]) {
    const forged = `${toBase64url(flipBit(fromBase64url(body), i))}.${tag}`;
    await rejectsWith('CRYPTO_TOKEN_INVALID', () => verifySessionToken(SECRET, forged, T0));
  }
  const forgedTag = `${body}.${toBase64url(flipBit(fromBase64url(tag), 3))}`;
  await rejectsWith('CRYPTO_TOKEN_INVALID', () => verifySessionToken(SECRET, forgedTag, T0));
  for (const bad of ['', t.slice(0, -1), `${t}A`, t.replace('.', '+'), `${body}!${tag}`, '.'.repeat(t.length), 5, null]) {
    await rejectsWith('CRYPTO_TOKEN_INVALID', () => verifySessionToken(SECRET, bad, T0));
  }
});

tok('validates secret, key and ttl', async () => {
  const id = await createIdentity();
  await rejectsWith('CRYPTO_BAD_KEY', () => issueSessionToken(new Uint8Array(16), id.publicKey, 60));
  await rejectsWith('CRYPTO_BAD_KEY', () => verifySessionToken(new Uint8Array(16), 'x'));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => issueSessionToken(SECRET, 'nope', 60));
  await rejectsWith('CRYPTO_BAD_INPUT', () => issueSessionToken(SECRET, id.publicKey, 0));
  await rejectsWith('CRYPTO_BAD_INPUT', () => issueSessionToken(SECRET, id.publicKey, 7 * 86400));
  await rejectsWith('CRYPTO_BAD_INPUT', () => issueSessionToken(SECRET, id.publicKey, 1.5));
  // Long secrets (e.g. 96 random bytes from the environment) are accepted.
  const long = new Uint8Array(96).fill(3);
  await verifySessionToken(long, await issueSessionToken(long, id.publicKey, 60, T0), T0);
});

tok('deriveSecret gives independent per-purpose secrets', async () => {
  const id = await createIdentity();
  const a = await deriveSecret(SECRET, 'session');
  const b = await deriveSecret(SECRET, 'whip');
  assert.is(a.length, 32);
  assert.not.equal(a, b);
  assert.equal(a, await deriveSecret(SECRET, 'session'));
  const t = await issueSessionToken(a, id.publicKey, 60, T0);
  await rejectsWith('CRYPTO_TOKEN_INVALID', () => verifySessionToken(b, t, T0));
});

ch.run();
tok.run();
