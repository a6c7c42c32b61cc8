/**
 * What `age:status` tells the model's page: the status with its end (a pending document's deletion time, a
 * verified status's expiry under AGE_ATTESTATION_MAX_AGE_DAYS), whether verification is required, and the
 * verifier keys the server accepts (the browser's check of them is client/services/age-verification.ts).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity, type Identity } from '../../crypto/identity.ts';
import { sealDocument, signAttestation } from '../../crypto/age.ts';
import { toBase64url } from '../../crypto/encoding.ts';
import { verifierAuthorization } from '../../crypto/verifier-auth.ts';
import { login, ok, startServer, type Running } from './helpers.ts';

const TTL_MS = 3_600_000;
const MAX_AGE_S = 86_400;
const t = suite('age:status');
let run: Running;
let verifier: Identity;
let other: Identity;

t.before(async () => {
  verifier = await createIdentity();
  other = await createIdentity();
  run = await startServer({
    env: { VERIFIER_PUBLIC_KEYS: `${verifier.publicKey},${other.publicKey}`, AGE_VERIFICATION: 'required' },
    tuning: { ageDocumentTtlMs: TTL_MS, attestationMaxAgeSeconds: MAX_AGE_S },
  });
});
t.after(async () => { await run.server.close(); });

t('none, then pending until the document is deleted unread, then verified until it must be renewed', async () => {
  const model = await login(run.url, 'model');
  const none = await ok(model.socket, 'age:status', {});
  assert.equal({ ...none }, { ok: true, status: 'none', required: true, verifierKeys: [verifier.publicKey, other.publicKey] });

  const before = Date.now();
  const sealed = toBase64url(await sealDocument(verifier.publicKey, new Uint8Array(100).fill(9), model.identity));
  await ok(model.socket, 'age:submit', { sealedDocument: sealed, verifierKey: verifier.publicKey });
  const pending = await ok(model.socket, 'age:status', {});
  assert.is(pending.status, 'pending');
  assert.ok(pending.expiresAt! >= Math.floor(before / 1000) * 1000 + TTL_MS && pending.expiresAt! <= Date.now() + TTL_MS, `deleted unread at ${pending.expiresAt}`);

  const approval = await signAttestation(verifier, { modelKey: model.key, adult: true });
  const res = await fetch(`${run.url}/verifier/attestations`, {
    method: 'POST', body: JSON.stringify({ attestation: approval }),
    headers: { 'content-type': 'application/json', authorization: await verifierAuthorization(verifier, 'POST', '/verifier/attestations') },
  });
  assert.is(res.status, 200);
  const verified = await ok(model.socket, 'age:status', {});
  assert.is(verified.status, 'verified');
  assert.is(verified.expiresAt, (approval.issuedAt + MAX_AGE_S) * 1000, 'verify again after the maximum age');
  model.socket.close();
});

t('a rejection has no end to show', async () => {
  const model = await login(run.url, 'model');
  const rejection = await signAttestation(other, { modelKey: model.key, adult: false });
  const res = await fetch(`${run.url}/verifier/attestations`, {
    method: 'POST', body: JSON.stringify({ attestation: rejection }),
    headers: { 'content-type': 'application/json', authorization: await verifierAuthorization(other, 'POST', '/verifier/attestations') },
  });
  assert.is(res.status, 200);
  const status = await ok(model.socket, 'age:status', {});
  assert.is(status.status, 'rejected');
  assert.is(status.expiresAt, undefined);
  model.socket.close();
});

t.run();
