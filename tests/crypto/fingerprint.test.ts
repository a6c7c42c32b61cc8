import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity } from '../../crypto/identity.ts';
import {
  fingerprintsEqual, normalizeFingerprint, signFingerprint, verifyFingerprint, type SignedFingerprint,
} from '../../crypto/fingerprint.ts';
import { fromBase64url, toBase64url } from '../../crypto/encoding.ts';
import { flipBit, rejectsWith } from './helpers.ts';

const HEX32 = Array.from({ length: 32 }, (_, i) => (i * 7 + 10).toString(16).padStart(2, '0')).join(':');
const FP = `sha-256 ${HEX32.toUpperCase()}`;

const norm = suite('normalizeFingerprint');

norm('canonical form: lowercase algorithm, uppercase hex; SDP prefix accepted', () => {
  assert.is(normalizeFingerprint(`SHA-256 ${HEX32}`), FP);
  assert.is(normalizeFingerprint(`a=fingerprint:sha-256 ${HEX32}`), FP);
  assert.is(normalizeFingerprint(`  sha-256   ${HEX32}  `), FP);
  const fp1 = `sha-1 ${Array(20).fill('ab').join(':')}`;
  assert.is(normalizeFingerprint(fp1), fp1.toUpperCase().replace('SHA-1', 'sha-1'));
  assert.ok(fingerprintsEqual(FP, `sha-256 ${HEX32}`));
  assert.not.ok(fingerprintsEqual(FP, 'garbage'));
});

norm('wrong length, unknown algorithm or junk is CRYPTO_BAD_ENCODING', async () => {
  for (const bad of [
    '', 'sha-256', `md5 ${HEX32}`, `sha-256 ${HEX32}:AA`, `sha-256 ${HEX32.slice(3)}`, `sha-256 ${HEX32.replace(/:/g, '')}`,
    `sha-256 ${HEX32.replace('0a', 'zz')}`, `sha-384 ${HEX32}`, `sha-256 ${HEX32}\nx`, 42, null,
  ]) {
    await rejectsWith('CRYPTO_BAD_ENCODING', () => normalizeFingerprint(bad));
  }
});

const sig = suite('signFingerprint / verifyFingerprint');

async function pair() {
  const [model, client] = await Promise.all([createIdentity(), createIdentity()]);
  const signed = await signFingerprint({ sessionId: 'sess-1', fingerprint: `SHA-256 ${HEX32}`, ownKey: model.publicKey, peerKey: client.publicKey }, model);
  return { model, client, signed };
}

sig('the peer verifies a statement that matches the session, both keys and the live fingerprint', async () => {
  const { model, client, signed } = await pair();
  assert.is(signed.fingerprint, FP);
  const ok = await verifyFingerprint(JSON.parse(JSON.stringify(signed)), {
    sessionId: 'sess-1', signerKey: model.publicKey, myKey: client.publicKey, fingerprint: `sha-256 ${HEX32.toLowerCase()}`,
  });
  assert.is(ok.ownKey, model.publicKey);
});

sig('a mismatching session, key or live fingerprint is CRYPTO_STATEMENT_MISMATCH', async () => {
  const { model, client, signed } = await pair();
  const mallory = await createIdentity();
  await rejectsWith('CRYPTO_STATEMENT_MISMATCH', () => verifyFingerprint(signed, { sessionId: 'sess-2' }));
  await rejectsWith('CRYPTO_STATEMENT_MISMATCH', () => verifyFingerprint(signed, { signerKey: mallory.publicKey }));
  await rejectsWith('CRYPTO_STATEMENT_MISMATCH', () => verifyFingerprint(signed, { myKey: mallory.publicKey }));
  await rejectsWith('CRYPTO_STATEMENT_MISMATCH', () => verifyFingerprint(signed, { fingerprint: `sha-256 ${Array(32).fill('00').join(':')}` }));
  // A man in the middle re-signing with their own key is caught by signerKey.
  const mitm = await signFingerprint({ ...signed, ownKey: mallory.publicKey }, mallory);
  await rejectsWith('CRYPTO_STATEMENT_MISMATCH', () => verifyFingerprint(mitm, { signerKey: model.publicKey, myKey: client.publicKey }));
});

sig('altering any signed field or the signature is CRYPTO_BAD_SIGNATURE', async () => {
  const { client, signed } = await pair();
  const other = await createIdentity();
  const variants: SignedFingerprint[] = [
    { ...signed, sessionId: 'sess-2' },
    { ...signed, fingerprint: `sha-256 ${Array(32).fill('00').join(':')}` },
    { ...signed, peerKey: other.publicKey },
    { ...signed, ownKey: other.publicKey },
    { ...signed, ownKey: client.publicKey, peerKey: signed.ownKey },
    { ...signed, signature: toBase64url(flipBit(fromBase64url(signed.signature), 63)) },
  ];
  for (const v of variants) await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyFingerprint(v));
});

sig('malformed statements are typed errors', async () => {
  const { model, client, signed } = await pair();
  for (const bad of [null, [], { ...signed, v: 2 }, { ...signed, signature: 'x' }, { ...signed, sessionId: '' },
    { ...signed, sessionId: 'a\u0000b' }, { ...signed, fingerprint: 'sha-256 00' }, { ...signed, ownKey: 'short' }]) {
    await rejectsWith('CRYPTO_BAD_ENCODING', () => verifyFingerprint(bad));
  }
  await rejectsWith('CRYPTO_BAD_INPUT', () => signFingerprint({ sessionId: 's', fingerprint: FP, ownKey: client.publicKey, peerKey: model.publicKey }, model));
  await rejectsWith('CRYPTO_BAD_INPUT', () => signFingerprint({ sessionId: 's', fingerprint: FP, ownKey: model.publicKey, peerKey: model.publicKey }, model));
});

norm.run();
sig.run();
