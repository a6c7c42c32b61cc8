/**
 * The verifier request header (crypto/verifier-auth.ts): round trip, every
 * refusal, and the wire format pinned against an independent Ed25519
 * implementation (node:crypto) so the move out of signaling changed nothing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createPublicKey, verify } from 'node:crypto';
import { createIdentity } from '../../crypto/identity.ts';
import { isCryptoError } from '../../crypto/crypto-error.ts';
import {
  checkVerifierAuthorization, checkVerifierAuthorizationSync, parseVerifierAuthorization, verifierAuthorization,
  VERIFIER_REQUEST_CONTEXT, VERIFIER_REQUEST_SKEW,
} from '../../crypto/verifier-auth.ts';
import * as signaling from '../../signaling/verifier-auth.ts';

const t = suite('verifier request header');
const NOW = 1_800_000_000;
const PATH = '/verifier/pending';

t('format and context are unchanged: node:crypto verifies the signature over the documented message', async () => {
  const v = await createIdentity();
  const header = await verifierAuthorization(v, 'GET', PATH, NOW);
  assert.is(VERIFIER_REQUEST_CONTEXT, 'livecam/verifier-request/v1');
  const m = /^LiveCam-Verifier ([A-Za-z0-9_-]{43})\.(\d+)\.([A-Za-z0-9_-]{86})$/.exec(header);
  assert.ok(m, header);
  assert.is(m![1], v.publicKey);
  assert.is(m![2], String(NOW));
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: v.publicKey }, format: 'jwk' });
  const msg = Buffer.from(`livecam/verifier-request/v1\u0000GET ${PATH} ${NOW}`, 'utf8');
  assert.ok(verify(null, msg, key, Buffer.from(m![3]!, 'base64url')));
  assert.is(signaling.VERIFIER_REQUEST_CONTEXT, VERIFIER_REQUEST_CONTEXT);
  assert.is(signaling.verifierAuthorization, verifierAuthorization);
});

t('accepts a valid header for exactly its method, path, key and time window', async () => {
  const v = await createIdentity();
  const other = await createIdentity();
  const header = await verifierAuthorization(v, 'GET', PATH, NOW);
  const trusted = [other.publicKey, v.publicKey];
  assert.is(await checkVerifierAuthorization(header, 'GET', PATH, trusted, NOW), v.publicKey);
  assert.is(checkVerifierAuthorizationSync(header, 'GET', PATH, trusted, NOW + VERIFIER_REQUEST_SKEW), v.publicKey);
  assert.is(signaling.checkVerifierAuthorization(header, 'GET', PATH, trusted, NOW - VERIFIER_REQUEST_SKEW), v.publicKey);
  assert.is(await checkVerifierAuthorization(header, 'POST', PATH, trusted, NOW), null, 'other method');
  assert.is(await checkVerifierAuthorization(header, 'GET', '/verifier/other', trusted, NOW), null, 'other path');
  assert.is(await checkVerifierAuthorization(header, 'GET', PATH, [other.publicKey], NOW), null, 'untrusted key');
  assert.is(await checkVerifierAuthorization(header, 'GET', PATH, trusted, NOW + VERIFIER_REQUEST_SKEW + 1), null, 'too old');
  assert.is(await checkVerifierAuthorization(header, 'GET', PATH, trusted, NOW - VERIFIER_REQUEST_SKEW - 1), null, 'from the future');
  assert.is(await checkVerifierAuthorization(header, 'GET', PATH, trusted, Number.NaN), null, 'no clock');
});

t('refuses forged, re-timed, swapped and malformed headers', async () => {
  const v = await createIdentity();
  const mallory = await createIdentity();
  const trusted = [v.publicKey];
  const header = await verifierAuthorization(v, 'GET', PATH, NOW);
  const [, sig] = header.split(`.${NOW}.`);
  const retimed = header.replace(`.${NOW}.`, `.${NOW + 1}.`);
  assert.is(await checkVerifierAuthorization(retimed, 'GET', PATH, trusted, NOW), null, 'the timestamp is signed');
  const swapped = `LiveCam-Verifier ${v.publicKey}.${NOW}.${(await verifierAuthorization(mallory, 'GET', PATH, NOW)).split('.').pop()}`;
  assert.is(await checkVerifierAuthorization(swapped, 'GET', PATH, trusted, NOW), null, 'another key\'s signature');
  const flipped = sig!.slice(0, 10) + (sig![10] === 'A' ? 'B' : 'A') + sig!.slice(11);
  assert.is(await checkVerifierAuthorization(`LiveCam-Verifier ${v.publicKey}.${NOW}.${flipped}`, 'GET', PATH, trusted, NOW), null);
  // The last base64url character of a 64-byte value carries 4 unused bits: a non-canonical spelling is refused.
  const last = sig!.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const noncanonical = sig!.slice(0, -1) + alphabet[alphabet.indexOf(last) | 1];
  if (noncanonical !== sig) assert.is(parseVerifierAuthorization(`LiveCam-Verifier ${v.publicKey}.${NOW}.${noncanonical}`), null);
  for (const bad of [undefined, null, '', 'Bearer x', header.toLowerCase(), ` ${header}`, `${header} `, header.replace('.', ':'),
    `LiveCam-Verifier ${v.publicKey}.1234567890123.${sig}`, `LiveCam-Verifier ${v.publicKey}.-5.${sig}`]) {
    assert.is(await checkVerifierAuthorization(bad, 'GET', PATH, trusted, NOW), null, String(bad));
  }
  assert.equal(parseVerifierAuthorization(header)?.verifierKey, v.publicKey);
});

t('signing validates its inputs', async () => {
  const v = await createIdentity();
  for (const [method, path, now] of [['get', PATH, NOW], ['GET', 'verifier/pending', NOW], ['GET', '/a b', NOW], ['GET', '/a?b=1', NOW],
    ['GET', PATH, -1], ['GET', PATH, 1.5], ['GET', PATH, 1e13]] as const) {
    try {
      await verifierAuthorization(v, method, path, now);
      assert.unreachable(`${method} ${path} ${now}`);
    } catch (err) {
      assert.ok(isCryptoError(err) && err.code === 'CRYPTO_BAD_INPUT', String(err));
    }
  }
});

t.run();
