/**
 * The crypto module in a real browser (headless Chromium, bundled by esbuild
 * for the browser platform, no Node built-ins): what the browser makes, Node
 * verifies and opens, and the other way round; errors keep their codes.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import type { Page } from 'playwright-core';
import {
  createIdentity, issueSessionToken, MemoryChallengeStore, createChallenge, importIdentity, openDocument, openRecord,
  sealRecord, verifyChallengeResponse, verifyFingerprint, verifySessionToken, fromBase64url, toBase64url,
} from '../../crypto/index.ts';

const entry = fileURLToPath(new URL('../../crypto/index.ts', import.meta.url));
const br = suite('crypto in Chromium');
let browser: Browser | undefined;
let page: Page;

br.before(async () => {
  const bundle = await build({
    entryPoints: [entry], bundle: true, write: false, platform: 'browser', format: 'iife', globalName: 'LiveCrypto',
    target: 'es2022', logLevel: 'silent',
  });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto('about:blank');
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
});

br.after(async () => {
  await browser?.close();
});

br('identity, login, pseudonym and passphrase export made in the browser work in Node', async () => {
  const challenge = await createChallenge({ audience: 'https://cam.example' });
  const store = new MemoryChallengeStore();
  store.issue(challenge);
  const out = await page.evaluate(async (challenge) => {
    const C = (globalThis as any).LiveCrypto;
    const id = await C.createIdentity();
    const response = await C.signChallenge(id, challenge, 'https://cam.example');
    const blob = await C.exportIdentity(id, 'browser passphrase', { opsLimit: 1, memLimit: 8192 });
    return { publicKey: id.publicKey, pseudonym: id.pseudonym, response, blob, hasNodeBuffer: typeof (globalThis as any).Buffer };
  }, challenge);
  assert.is(out.hasNodeBuffer, 'undefined', 'a real browser context');
  const login = await verifyChallengeResponse(out.response, { audience: 'https://cam.example', consume: store.consume });
  assert.equal(login, { publicKey: out.publicKey, pseudonym: out.pseudonym });
  assert.is((await importIdentity(out.blob, 'browser passphrase')).publicKey, out.publicKey);
});

br('records, documents and fingerprints cross between browser and Node', async () => {
  const verifier = await createIdentity();
  const dataKey = crypto.getRandomValues(new Uint8Array(32));
  const binding = { userId: 'user-1', kind: 'profile' };
  const nodeSealed = await sealRecord(dataKey, 'from node', binding);
  const peer = await createIdentity();
  const out = await page.evaluate(async ({ verifierKey, key, nodeSealed, binding, peerKey }) => {
    const C = (globalThis as any).LiveCrypto;
    const dataKey = C.fromBase64url(key, 32);
    const model = await C.createIdentity();
    const sealed = await C.sealRecord(dataKey, 'from the browser', binding);
    const opened = new TextDecoder().decode(await C.openRecord(dataKey, nodeSealed, binding));
    const doc = await C.sealDocument(verifierKey, new TextEncoder().encode('ID card'), model, { mimeType: 'image/png' });
    const fp = await C.signFingerprint({ sessionId: 's1', fingerprint: `sha-256 ${Array(32).fill('ab').join(':')}`, ownKey: model.publicKey, peerKey }, model);
    let code = '';
    try { await C.openRecord(dataKey, nodeSealed, { ...binding, kind: 'chat' }); } catch (e) { code = `${(e as any).name}:${(e as any).code}`; }
    let code2 = '';
    try { C.fromBase64url('not base64!'); } catch (e) { code2 = (e as any).code; }
    return { sealed, opened, doc: C.toBase64url(doc), fp, modelKey: model.publicKey, code, code2 };
  }, { verifierKey: verifier.publicKey, key: toBase64url(dataKey), nodeSealed, binding, peerKey: peer.publicKey });
  assert.is(out.opened, 'from node');
  assert.is(new TextDecoder().decode(await openRecord(dataKey, out.sealed, binding)), 'from the browser');
  const doc = await openDocument(verifier, fromBase64url(out.doc));
  assert.is(new TextDecoder().decode(doc.document), 'ID card');
  assert.is(doc.modelKey, out.modelKey);
  await verifyFingerprint(out.fp, { sessionId: 's1', signerKey: out.modelKey, myKey: peer.publicKey });
  assert.is(out.code, 'CryptoError:CRYPTO_DECRYPT_FAILED');
  assert.is(out.code2, 'CRYPTO_BAD_ENCODING');
});

br('a session token issued in Node verifies in the browser (same format everywhere)', async () => {
  const id = await createIdentity();
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const token = await issueSessionToken(secret, id.publicKey, 60);
  const claims = await page.evaluate(async ({ secret, token }) => {
    const C = (globalThis as any).LiveCrypto;
    return C.verifySessionToken(C.fromBase64url(secret), token);
  }, { secret: toBase64url(secret), token });
  assert.equal(claims, await verifySessionToken(secret, token));
});

br.run();
