/**
 * Every kind of signed statement has its own context: a signature made for
 * one kind never verifies as another, even when the attacker chooses fields
 * so that the JSON parts coincide.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import sodium from 'libsodium-wrappers-sumo';
import { createIdentity } from '../../crypto/identity.ts';
import { CONTEXTS, signStatement, statementBytes, verifyStatement, type StatementKind } from '../../crypto/statement.ts';
import { createChallenge, signChallenge } from '../../crypto/login.ts';
import { verifyFingerprint } from '../../crypto/fingerprint.ts';
import { verifyAttestation } from '../../crypto/age.ts';
import { fromBase64url } from '../../crypto/encoding.ts';
import { rejectsWith } from './helpers.ts';

const ds = suite('domain separation');
const kinds = Object.keys(CONTEXTS) as StatementKind[];

ds('contexts are distinct, NUL-free and none is a prefix of another', () => {
  const values = Object.values(CONTEXTS);
  assert.is(new Set(values).size, values.length);
  for (const a of values) {
    assert.not.ok(a.includes('\u0000'));
    for (const b of values) if (a !== b) assert.not.ok(b.startsWith(a), `${a} prefixes ${b}`);
  }
});

ds('the same fields signed under one kind never verify under any other', async () => {
  const id = await createIdentity();
  const fields = { a: 'x', b: 1 };
  for (const k of kinds) {
    const sig = await signStatement(k, fields, id.secretKey);
    await verifyStatement(k, fields, sig, id.publicKey);
    for (const other of kinds) {
      if (other !== k) await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyStatement(other, fields, sig, id.publicKey));
    }
  }
});

ds('a login signature replayed as a fingerprint or an attestation fails', async () => {
  const [id, peer] = await Promise.all([createIdentity(), createIdentity()]);
  const challenge = await createChallenge({ audience: 'https://cam.example' });
  const { signature } = await signChallenge(id, challenge);
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyFingerprint({
    v: 1, sessionId: challenge.nonce, fingerprint: `sha-256 ${Array(32).fill('AB').join(':')}`, ownKey: id.publicKey, peerKey: peer.publicKey, signature,
  }));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyAttestation({
    v: 1, modelKey: peer.publicKey, adult: true, issuedAt: challenge.issuedAt, verifierKey: id.publicKey, signature,
  }, [id.publicKey], challenge.issuedAt));
});

ds('signed bytes start with the context and a NUL; raw Ed25519 over the JSON alone does not verify', async () => {
  await sodium.ready;
  const id = await createIdentity();
  const bytes = statementBytes('login', { x: 1 });
  assert.equal(bytes.subarray(0, CONTEXTS.login.length), new TextEncoder().encode(CONTEXTS.login));
  assert.is(bytes[CONTEXTS.login.length], 0);
  const raw = sodium.crypto_sign_detached(new TextEncoder().encode(JSON.stringify({ x: 1 })), id.secretKey);
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyStatement('login', { x: 1 }, Buffer.from(raw).toString('base64url'), id.publicKey));
  assert.ok(fromBase64url(Buffer.from(raw).toString('base64url')).length === 64);
});

ds('signing with a malformed key is CRYPTO_BAD_KEY; verifying under a small-order key fails cleanly', async () => {
  await rejectsWith('CRYPTO_BAD_KEY', () => signStatement('login', {}, new Uint8Array(32)));
  const id = await createIdentity();
  const sig = await signStatement('login', {}, id.secretKey);
  const smallOrder = Buffer.from(new Uint8Array(32).fill(0).map((_, i) => (i === 0 ? 1 : 0))).toString('base64url');
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyStatement('login', {}, sig, smallOrder));
});

ds.run();
