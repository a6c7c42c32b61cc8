/**
 * The verifier's HTTP API holds against a caller who is not the verifier: every route needs the verifier's
 * signed header, decisions only move forward in time, the queue is paged and capped.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity, type Identity } from '../../crypto/identity.ts';
import { sealDocument, signAttestation, type AgeAttestation } from '../../crypto/age.ts';
import { toBase64url } from '../../crypto/encoding.ts';
import { verifierAuthorization } from '../../crypto/verifier-auth.ts';
import { PENDING_PAGE_MAX } from '../../signaling/age.ts';
import { AGE_DOCUMENT_PATH } from '../../signaling/protocol.ts';
import { call, login, ok, startServer, type Running, type User } from './helpers.ts';

const t = suite('verifier API');
let run: Running;
let verifier: Identity;
let second: Identity;

t.before(async () => {
  verifier = await createIdentity();
  second = await createIdentity();
  run = await startServer({
    env: { VERIFIER_PUBLIC_KEYS: `${verifier.publicKey},${second.publicKey}`, AGE_VERIFICATION: 'required' },
    tuning: { maxPendingAgeDocuments: PENDING_PAGE_MAX + 5 },
  });
});
t.after(async () => { await run.server.close(); });

async function post(attestation: AgeAttestation, signer: Identity | null = verifier): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signer) headers.authorization = await verifierAuthorization(signer, 'POST', '/verifier/attestations');
  const res = await fetch(`${run.url}/verifier/attestations`, { method: 'POST', headers, body: JSON.stringify({ attestation }) });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

async function submit(model: User, by = verifier): Promise<void> {
  const sealed = toBase64url(await sealDocument(by.publicKey, new Uint8Array(64).fill(3), model.identity));
  await ok(model.socket, 'age:submit', { sealedDocument: sealed, verifierKey: by.publicKey });
}

t('POST /verifier/attestations needs the signature of the verifier that signed the attestation', async () => {
  const model = await login(run.url, 'model');
  const approval = await signAttestation(verifier, { modelKey: model.key, adult: true });
  const unsigned = await post(approval, null);
  assert.is(unsigned.status, 401);
  assert.is((unsigned.body.error as { code: string }).code, 'UNAUTHENTICATED');
  const stranger = await post(approval, await createIdentity());
  assert.is(stranger.status, 401, 'a header by an unconfigured key');
  const other = await post(approval, second);
  assert.is(other.status, 403, 'a header by another configured verifier');
  assert.is((await ok(model.socket, 'age:status', {})).status, 'none');
  assert.is((await post(approval)).status, 200);
  assert.is((await ok(model.socket, 'age:status', {})).status, 'verified');
  model.socket.close();
});

t('a rolled-back older approval cannot replace a later rejection', async () => {
  const model = await login(run.url, 'model');
  const now = Math.floor(Date.now() / 1000);
  const oldApproval = await signAttestation(verifier, { modelKey: model.key, adult: true, now: now - 600 });
  const rejection = await signAttestation(verifier, { modelKey: model.key, adult: false, now: now - 60 });
  assert.is((await post(oldApproval)).status, 200);
  assert.is((await post(rejection)).status, 200);
  const replayed = await post(oldApproval);
  assert.is(replayed.status, 409);
  assert.is((replayed.body.error as { code: string }).code, 'CONFLICT');
  const same = await post(await signAttestation(second, { modelKey: model.key, adult: true, now: now - 60 }), second);
  assert.is(same.status, 409, 'not even one issued in the same second');
  assert.is((await ok(model.socket, 'age:status', {})).status, 'rejected');
  const refused = await call(model.socket, 'show:open', {});
  assert.is(refused.ok ? null : refused.error.code, 'AGE_VERIFICATION_REQUIRED');
  // A later decision still moves it forward.
  assert.is((await post(await signAttestation(verifier, { modelKey: model.key, adult: true, now }))).status, 200);
  assert.is((await ok(model.socket, 'age:status', {})).status, 'verified');
  model.socket.close();
});

t('GET /verifier/pending is paged; the queue is capped in total, one document per identity', async () => {
  const models: User[] = [];
  for (let i = 0; i < PENDING_PAGE_MAX + 5; i++) models.push(await login(run.url, 'model'));
  for (const m of models.slice(0, 3)) await submit(m, second);
  for (const m of models.slice(3)) await submit(m);
  // Full: a new identity is refused, one already queued may replace its own document.
  const late = await login(run.url, 'model');
  const sealed = toBase64url(await sealDocument(verifier.publicKey, new Uint8Array(64), late.identity));
  const full = await call(late.socket, 'age:submit', { sealedDocument: sealed, verifierKey: verifier.publicKey });
  assert.is(full.ok ? null : full.error.code, 'RATE_LIMITED');
  const upload = await fetch(`${run.url}${AGE_DOCUMENT_PATH}?verifierKey=${verifier.publicKey}`, {
    method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${late.token}` },
    body: await sealDocument(verifier.publicKey, new Uint8Array(64), late.identity) as unknown as BodyInit,
  });
  assert.is(upload.status, 429, 'the HTTP upload counts against the same total');
  assert.is(((await upload.json()) as { error: { code: string } }).error.code, 'RATE_LIMITED');
  await submit(models[10]!);

  const page = async (after?: string) => {
    const res = await fetch(`${run.url}/verifier/pending${after ? `?after=${after}` : ''}`, {
      headers: { authorization: await verifierAuthorization(verifier, 'GET', '/verifier/pending') },
    });
    assert.is(res.status, 200);
    return await res.json() as { documents: { modelKey: string }[]; next: string | null };
  };
  const first = await page();
  assert.is(first.documents.length, PENDING_PAGE_MAX);
  assert.type(first.next, 'string');
  const rest = await page(first.next!);
  assert.is(rest.next, null);
  const seen = [...first.documents, ...rest.documents].map((d) => d.modelKey);
  assert.is(new Set(seen).size, seen.length, 'no document twice');
  assert.equal(seen.sort(), models.slice(3).map((m) => m.key).sort(), 'every document of this verifier, none of the other');
  for (const m of [...models, late]) m.socket.close();
});

t.run();
