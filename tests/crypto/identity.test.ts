import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import sodium from 'libsodium-wrappers-sumo';
import { createIdentity, exportIdentity, identityFromSecretKey, importIdentity, pseudonymOf } from '../../crypto/identity.ts';
import { fromBase64url, toBase64url } from '../../crypto/encoding.ts';
import { ADJECTIVES, NOUNS } from '../../crypto/words.ts';
import { flipBit, rejectsWith } from './helpers.ts';

// Cheapest Argon2id that libsodium allows, so the suite stays fast; the
// default (INTERACTIVE) cost is exercised once below.
const FAST = { opsLimit: 1, memLimit: 8192 };
const PASS = 'correct horse battery staple';
/** Pseudonym of the all-zero key: pins the derivation (a change would rename every user). */
const PINNED_ZERO_KEY_PSEUDONYM = 'funky-tide-3287';

const create = suite('createIdentity');

create('makes a 43-character base64url Ed25519 key that signs and verifies', async () => {
  const id = await createIdentity();
  assert.is(id.publicKey.length, 43);
  assert.match(id.publicKey, /^[A-Za-z0-9_-]{43}$/);
  assert.is(id.secretKey.length, 64);
  await sodium.ready;
  const sig = sodium.crypto_sign_detached(new Uint8Array([1, 2, 3]), id.secretKey);
  assert.ok(sodium.crypto_sign_verify_detached(sig, new Uint8Array([1, 2, 3]), fromBase64url(id.publicKey)));
  assert.is(id.pseudonym, await pseudonymOf(id.publicKey));
});

create('two identities differ', async () => {
  const [a, b] = await Promise.all([createIdentity(), createIdentity()]);
  assert.is.not(a.publicKey, b.publicKey);
});

create('identityFromSecretKey round-trips and rejects mismatched or short keys', async () => {
  const id = await createIdentity();
  const again = await identityFromSecretKey(id.secretKey);
  assert.is(again.publicKey, id.publicKey);
  const other = await createIdentity();
  const franken = new Uint8Array(64);
  franken.set(id.secretKey.subarray(0, 32));
  franken.set(other.secretKey.subarray(32), 32);
  await rejectsWith('CRYPTO_BAD_KEY', () => identityFromSecretKey(franken));
  await rejectsWith('CRYPTO_BAD_KEY', () => identityFromSecretKey(new Uint8Array(32)));
  await rejectsWith('CRYPTO_BAD_KEY', () => identityFromSecretKey('x' as unknown as Uint8Array));
});

const pseudo = suite('pseudonymOf');

pseudo('word lists have 256 distinct lowercase words each', () => {
  for (const list of [ADJECTIVES, NOUNS]) {
    assert.is(list.length, 256);
    assert.is(new Set(list).size, 256);
    for (const w of list) assert.match(w, /^[a-z]{2,12}$/);
  }
});

pseudo('is deterministic, adjective-noun-NNNN, and pinned for a known key', async () => {
  const zero = toBase64url(new Uint8Array(32));
  const p = await pseudonymOf(zero);
  assert.is(p, await pseudonymOf(zero));
  const m = /^([a-z]+)-([a-z]+)-(\d{4})$/.exec(p);
  assert.ok(m, p);
  assert.ok(ADJECTIVES.includes(m![1]!));
  assert.ok(NOUNS.includes(m![2]!));
  // Pinned: a change of the derivation would rename every user.
  assert.is(p, PINNED_ZERO_KEY_PSEUDONYM);
});

pseudo('spreads: 300 random keys give (almost) 300 pseudonyms', async () => {
  const names = new Set<string>();
  for (let i = 0; i < 300; i++) names.add(await pseudonymOf(toBase64url(sodium.randombytes_buf(32))));
  assert.ok(names.size >= 299, `${names.size}`);
});

pseudo('rejects malformed keys with CRYPTO_BAD_ENCODING', async () => {
  for (const bad of ['', 'abc', 'A'.repeat(44), `${'A'.repeat(42)}+`, 7 as unknown as string]) {
    await rejectsWith('CRYPTO_BAD_ENCODING', () => pseudonymOf(bad));
  }
});

const exp = suite('exportIdentity / importIdentity');

exp('round-trips with the default (interactive) Argon2id cost', async () => {
  const id = await createIdentity();
  const blob = await exportIdentity(id, PASS);
  const o = JSON.parse(blob);
  assert.is(o.kdf, 'argon2id13');
  assert.ok(o.mem >= 64 * 1024 * 1024);
  assert.not.ok(blob.includes(toBase64url(id.secretKey.subarray(0, 32))), 'seed must not appear');
  const back = await importIdentity(blob, PASS);
  assert.is(back.publicKey, id.publicKey);
  assert.equal(back.secretKey, id.secretKey);
});

exp('normalizes the passphrase (NFKC), so composed and decomposed forms match', async () => {
  const id = await createIdentity();
  const blob = await exportIdentity(id, 'caf\u00e9 au lait', FAST);
  const back = await importIdentity(blob, 'cafe\u0301 au lait');
  assert.is(back.publicKey, id.publicKey);
});

exp('wrong passphrase is CRYPTO_BAD_PASSPHRASE', async () => {
  const id = await createIdentity();
  const blob = await exportIdentity(id, PASS, FAST);
  await rejectsWith('CRYPTO_BAD_PASSPHRASE', () => importIdentity(blob, `${PASS}!`));
});

exp('tampered box, salt, nonce or cost is refused with a typed error', async () => {
  const id = await createIdentity();
  const blob = JSON.parse(await exportIdentity(id, PASS, FAST));
  for (const field of ['box', 'salt', 'nonce']) {
    for (const index of [0, 7, -1]) {
      const bad = { ...blob, [field]: toBase64url(flipBit(fromBase64url(blob[field]), index)) };
      await rejectsWith('CRYPTO_BAD_PASSPHRASE', () => importIdentity(JSON.stringify(bad), PASS));
    }
  }
  await rejectsWith('CRYPTO_BAD_PASSPHRASE', () => importIdentity(JSON.stringify({ ...blob, ops: 2 }), PASS));
  await rejectsWith('CRYPTO_BAD_INPUT', () => importIdentity(JSON.stringify({ ...blob, mem: 2 ** 40 }), PASS));
  await rejectsWith('CRYPTO_BAD_INPUT', () => importIdentity(JSON.stringify({ ...blob, ops: 0 }), PASS));
});

exp('a swapped public key field is detected', async () => {
  const id = await createIdentity();
  const other = await createIdentity();
  const blob = JSON.parse(await exportIdentity(id, PASS, FAST));
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => importIdentity(JSON.stringify({ ...blob, publicKey: other.publicKey }), PASS));
});

exp('truncated, non-base64 and non-JSON input is CRYPTO_BAD_ENCODING', async () => {
  const id = await createIdentity();
  const text = await exportIdentity(id, PASS, FAST);
  const blob = JSON.parse(text);
  await rejectsWith('CRYPTO_BAD_ENCODING', () => importIdentity(text.slice(0, text.length - 5), PASS));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => importIdentity(JSON.stringify({ ...blob, box: blob.box.slice(0, -4) }), PASS));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => importIdentity(JSON.stringify({ ...blob, salt: '!!!!' }), PASS));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => importIdentity(JSON.stringify({ ...blob, v: 2 }), PASS));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => importIdentity('[]', PASS));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => importIdentity(42 as unknown as string, PASS));
});

exp('short passphrases and malformed identities are refused', async () => {
  const id = await createIdentity();
  await rejectsWith('CRYPTO_BAD_INPUT', () => exportIdentity(id, 'short', FAST));
  await rejectsWith('CRYPTO_BAD_KEY', () => exportIdentity({ ...id, secretKey: new Uint8Array(10) }, PASS, FAST));
  const other = await createIdentity();
  await rejectsWith('CRYPTO_BAD_KEY', () => exportIdentity({ ...id, publicKey: other.publicKey }, PASS, FAST));
});

create.run();
pseudo.run();
exp.run();
