import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import sodium from 'libsodium-wrappers-sumo';
import { createIdentity } from '../../crypto/identity.ts';
import { openDocument, sealDocument, signAttestation, verifyAttestation } from '../../crypto/age.ts';
import { fromBase64url, toBase64url } from '../../crypto/encoding.ts';
import { flipBit, rejectsWith } from './helpers.ts';

const T0 = 1_800_000_000;
const DOC = new TextEncoder().encode('%PDF-1.7 passport scan of a real person, born 1990');

const doc = suite('sealDocument / openDocument');

doc('the verifier opens what the model sealed; the blob does not contain the document', async () => {
  const [verifier, model] = await Promise.all([createIdentity(), createIdentity()]);
  const blob = await sealDocument(verifier.publicKey, DOC, model, { mimeType: 'application/pdf', now: T0 });
  assert.not.ok(Buffer.from(blob).includes(Buffer.from('passport')));
  const opened = await openDocument(verifier, blob);
  assert.equal(opened, { modelKey: model.publicKey, mimeType: 'application/pdf', submittedAt: T0, document: opened.document });
  assert.equal(opened.document, DOC);
  const again = await openDocument(verifier, toBase64url(blob));
  assert.equal(again.document, DOC);
});

doc('another verifier (or the model itself) cannot open it', async () => {
  const [verifier, other, model] = await Promise.all([createIdentity(), createIdentity(), createIdentity()]);
  const blob = await sealDocument(verifier.publicKey, DOC, model);
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openDocument(other, blob));
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openDocument(model, blob));
});

doc('tampered or truncated blobs are refused with typed errors', async () => {
  const [verifier, model] = await Promise.all([createIdentity(), createIdentity()]);
  const blob = await sealDocument(verifier.publicKey, DOC, model);
  for (const i of [0, 31, 32, 60, blob.length - 1]) {
    await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openDocument(verifier, flipBit(blob, i)));
  }
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openDocument(verifier, blob.subarray(0, blob.length - 1)));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => openDocument(verifier, blob.subarray(0, 40)));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => openDocument(verifier, 'not base64!'));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => openDocument(verifier, 12 as unknown as string));
});

doc('a blob re-sealed by someone else with a forged header is refused', async () => {
  await sodium.ready;
  const [verifier, verifier2, model, mallory] = await Promise.all([createIdentity(), createIdentity(), createIdentity(), createIdentity()]);
  const curve = (id: { publicKey: string }) => sodium.crypto_sign_ed25519_pk_to_curve25519(fromBase64url(id.publicKey));
  const openRaw = (id: typeof verifier, blob: Uint8Array) =>
    sodium.crypto_box_seal_open(blob, curve(id), sodium.crypto_sign_ed25519_sk_to_curve25519(id.secretKey));
  const split = (inner: Uint8Array) => {
    const n = new DataView(inner.buffer, inner.byteOffset).getUint32(0);
    return { header: JSON.parse(new TextDecoder().decode(inner.subarray(4, 4 + n))), body: inner.subarray(4 + n) };
  };
  const seal = (to: typeof verifier, header: unknown, body: Uint8Array) => {
    const h = new TextEncoder().encode(JSON.stringify(header));
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, h.length);
    return sodium.crypto_box_seal(new Uint8Array([...len, ...h, ...body]), curve(to));
  };
  // Mallory signs a submission of her own, then tries to pass it off as the model's, or swap the document.
  const { header } = split(openRaw(verifier, await sealDocument(verifier.publicKey, DOC, mallory)));
  assert.is(header.modelKey, mallory.publicKey);
  assert.is((await openDocument(verifier, seal(verifier, header, DOC))).modelKey, mallory.publicKey);
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => openDocument(verifier, seal(verifier, { ...header, modelKey: model.publicKey }, DOC)));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => openDocument(verifier, seal(verifier, header, new TextEncoder().encode('other doc'))));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => openDocument(verifier, seal(verifier, { ...header, verifierKey: verifier2.publicKey }, DOC)));
  // A genuine submission for verifier 2, re-sealed to verifier 1, is recognised as meant for someone else.
  const forOther = split(openRaw(verifier2, await sealDocument(verifier2.publicKey, DOC, model)));
  await rejectsWith('CRYPTO_STATEMENT_MISMATCH', () => openDocument(verifier, seal(verifier, forOther.header, forOther.body)));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => openDocument(verifier, seal(verifier, [], DOC)));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => openDocument(verifier, seal(verifier, { ...header, mimeType: 7 }, DOC)));
  const bogusLen = sodium.crypto_box_seal(new Uint8Array([0, 0, 255, 255, 1, 2, 3]), curve(verifier));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => openDocument(verifier, bogusLen));
  const notJson = sodium.crypto_box_seal(new Uint8Array([0, 0, 0, 2, 123, 123, 1]), curve(verifier));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => openDocument(verifier, notJson));
});

doc('validates the verifier key, document and mime type', async () => {
  const model = await createIdentity();
  const verifier = await createIdentity();
  await rejectsWith('CRYPTO_BAD_ENCODING', () => sealDocument('short', DOC, model));
  // All-zero is not a usable curve point for the X25519 conversion.
  await rejectsWith('CRYPTO_BAD_KEY', () => sealDocument(toBase64url(new Uint8Array(32)), DOC, model));
  await rejectsWith('CRYPTO_BAD_INPUT', () => sealDocument(verifier.publicKey, new Uint8Array(0), model));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => sealDocument(verifier.publicKey, DOC, model, { mimeType: 'no slash' }));
  await rejectsWith('CRYPTO_BAD_KEY', () => sealDocument(verifier.publicKey, DOC, { ...model, secretKey: new Uint8Array(5) }));
});

const att = suite('attestations');

att('a trusted verifier\'s attestation verifies and gates on adult', async () => {
  const [verifier, model] = await Promise.all([createIdentity(), createIdentity()]);
  const a = await signAttestation(verifier, { modelKey: model.publicKey, adult: true, now: T0 });
  assert.equal(Object.keys(a).sort(), ['adult', 'issuedAt', 'modelKey', 'signature', 'v', 'verifierKey']);
  const ok = await verifyAttestation(JSON.parse(JSON.stringify(a)), [verifier.publicKey], T0 + 10, { modelKey: model.publicKey });
  assert.is(ok.modelKey, model.publicKey);
  const no = await signAttestation(verifier, { modelKey: model.publicKey, adult: false, now: T0 });
  await rejectsWith('CRYPTO_NOT_ADULT', () => verifyAttestation(no, [verifier.publicKey], T0));
  assert.is((await verifyAttestation(no, [verifier.publicKey], T0, { requireAdult: false })).adult, false);
});

att('untrusted verifier, other model, forged fields, future or stale attestations are refused', async () => {
  const [verifier, model, other, rogue] = await Promise.all([createIdentity(), createIdentity(), createIdentity(), createIdentity()]);
  const a = await signAttestation(verifier, { modelKey: model.publicKey, adult: true, now: T0 });
  const trusted = [verifier.publicKey];
  await rejectsWith('CRYPTO_UNTRUSTED_VERIFIER', () => verifyAttestation(a, [rogue.publicKey], T0));
  await rejectsWith('CRYPTO_UNTRUSTED_VERIFIER', () => verifyAttestation(a, [], T0));
  const self = await signAttestation(rogue, { modelKey: model.publicKey, adult: true, now: T0 });
  await rejectsWith('CRYPTO_UNTRUSTED_VERIFIER', () => verifyAttestation(self, trusted, T0));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyAttestation({ ...self, verifierKey: verifier.publicKey }, trusted, T0));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyAttestation({ ...a, modelKey: other.publicKey }, trusted, T0));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyAttestation({ ...a, issuedAt: T0 + 1 }, trusted, T0 + 5));
  const no = await signAttestation(verifier, { modelKey: model.publicKey, adult: false, now: T0 });
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyAttestation({ ...no, adult: true }, trusted, T0));
  await rejectsWith('CRYPTO_STATEMENT_MISMATCH', () => verifyAttestation(a, trusted, T0, { modelKey: other.publicKey }));
  await rejectsWith('CRYPTO_ATTESTATION_EXPIRED', () => verifyAttestation(a, trusted, T0 - 3600));
  await rejectsWith('CRYPTO_ATTESTATION_EXPIRED', () => verifyAttestation(a, trusted, T0 + 400 * 86400, { maxAgeSeconds: 365 * 86400 }));
  const sig = toBase64url(flipBit(fromBase64url(a.signature), 1));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyAttestation({ ...a, signature: sig }, trusted, T0));
});

att('malformed attestations are CRYPTO_BAD_ENCODING', async () => {
  const [verifier, model] = await Promise.all([createIdentity(), createIdentity()]);
  const a = await signAttestation(verifier, { modelKey: model.publicKey, adult: true, now: T0 });
  const trusted = [verifier.publicKey];
  for (const bad of [null, 'x', { ...a, v: 2 }, { ...a, adult: 'yes' }, { ...a, issuedAt: '1' }, { ...a, modelKey: 'abc' },
    { ...a, signature: a.signature.slice(0, 50) }, { ...a, signature: undefined }]) {
    await rejectsWith('CRYPTO_BAD_ENCODING', () => verifyAttestation(bad, trusted, T0));
  }
  await rejectsWith('CRYPTO_BAD_ENCODING', () => signAttestation(verifier, { modelKey: 'x', adult: true }));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => signAttestation(verifier, { modelKey: model.publicKey, adult: 1 as unknown as boolean }));
});

doc.run();
att.run();
