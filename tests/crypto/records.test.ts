import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fromBase64url, toBase64url } from '../../crypto/encoding.ts';
import {
  generateDataKey, Keyring, keyIdOf, openRecord, openRecordText, sealRecord, type RecordBinding,
} from '../../crypto/records.ts';
import { flipBit, rejectsWith } from './helpers.ts';

fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED ?? 20261121) });

const B: RecordBinding = { userId: 'user-A', kind: 'profile' };

const rec = suite('sealRecord / openRecord');

rec('round-trips bytes and text of any size, with fresh nonces', async () => {
  const key = await generateDataKey();
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
    assert.equal(await openRecord(key, await sealRecord(key, bytes, B), B), bytes);
  }), { numRuns: 100 });
  const sealed = await sealRecord(key, 'héllo', B);
  assert.match(sealed, /^r1\.[A-Za-z0-9_-]+$/);
  assert.is(await openRecordText(key, sealed, B), 'héllo');
  assert.is.not(await sealRecord(key, 'héllo', B), sealed);
  assert.not.ok(sealed.includes(toBase64url(new TextEncoder().encode('héllo'))));
});

rec('a flipped bit anywhere is CRYPTO_DECRYPT_FAILED', async () => {
  const key = await generateDataKey();
  const sealed = await sealRecord(key, 'display name: Luna', B);
  const body = fromBase64url(sealed.slice(3));
  for (let i = 0; i < body.length; i += 3) {
    await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openRecord(key, `r1.${toBase64url(flipBit(body, i))}`, B));
  }
});

rec('wrong key, other user, other kind or other record id is CRYPTO_DECRYPT_FAILED', async () => {
  const key = await generateDataKey();
  const sealed = await sealRecord(key, 'x', { ...B, recordId: 'm1' });
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openRecord(new Uint8Array(32), sealed, { ...B, recordId: 'm1' }));
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openRecord(key, sealed, { ...B, userId: 'user-B', recordId: 'm1' }));
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openRecord(key, sealed, { ...B, kind: 'chat', recordId: 'm1' }));
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openRecord(key, sealed, { ...B, recordId: 'm2' }));
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openRecord(key, sealed, B));
  await openRecord(key, sealed, { ...B, recordId: 'm1' });
});

rec('truncated, non-base64 or unversioned input is CRYPTO_BAD_ENCODING', async () => {
  const key = await generateDataKey();
  const sealed = await sealRecord(key, 'x', B);
  for (const bad of ['', 'r1.', 'r2.' + sealed.slice(3), sealed.slice(3), 'r1.!!!!', `r1.${sealed.slice(3, 20)}`, `${sealed}AA`, 42]) {
    await rejectsWith('CRYPTO_BAD_ENCODING', () => openRecord(key, bad as string, B));
  }
  // One character less: a bad length or, when it happens to stay canonical, a failed tag; never a raw error.
  const cut = await openRecord(key, sealed.slice(0, -1), B).then(() => 'opened', (e) => (e as { code: string }).code);
  assert.ok(cut === 'CRYPTO_BAD_ENCODING' || cut === 'CRYPTO_DECRYPT_FAILED', cut);
  // Truncated bytes, re-encoded as valid base64url: the tag no longer verifies.
  const long = await sealRecord(key, 'a longer record of forty-odd characters', B);
  const body = fromBase64url(long.slice(3));
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openRecord(key, `r1.${toBase64url(body.subarray(0, body.length - 5))}`, B));
});

rec('validates keys and bindings', async () => {
  const key = await generateDataKey();
  await rejectsWith('CRYPTO_BAD_KEY', () => sealRecord(new Uint8Array(16), 'x', B));
  await rejectsWith('CRYPTO_BAD_KEY', () => openRecord('k' as unknown as Uint8Array, 'r1.AAAA', B));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => sealRecord(key, 'x', { userId: '', kind: 'p' }));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => sealRecord(key, 'x', { userId: 'u', kind: '' }));
  await rejectsWith('CRYPTO_BAD_INPUT', () => sealRecord(key, 'x', null as unknown as RecordBinding));
  await rejectsWith('CRYPTO_BAD_INPUT', () => sealRecord(key, 5 as unknown as string, B));
});

const ring = suite('Keyring');

async function twoKeys() {
  return [await Keyring.generateKey('k1'), await Keyring.generateKey('k2')] as const;
}

ring('wraps under the current key, unwraps with any held key, binds the user', async () => {
  const [k1, k2] = await twoKeys();
  const kr = new Keyring([k1]);
  const dk = await generateDataKey();
  const w = await kr.wrap(dk, 'alice');
  assert.match(w, /^k1\.k1\.[A-Za-z0-9_-]{96}$/);
  assert.is(keyIdOf(w), 'k1');
  assert.equal(await kr.unwrap(w, 'alice'), dk);
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => kr.unwrap(w, 'bob'));
  const both = kr.withCurrent(k2);
  assert.equal(both.ids, ['k2', 'k1']);
  assert.equal(await both.unwrap(w, 'alice'), dk);
});

ring('rotation: rewrap moves to the current key; dropping the old key makes old copies unreadable', async () => {
  const [k1, k2] = await twoKeys();
  const old = new Keyring([k1]);
  const dk = await generateDataKey();
  const w1 = await old.wrap(dk, 'alice');
  const both = old.withCurrent(k2);
  assert.ok(both.needsRewrap(w1));
  const w2 = await both.rewrap(w1, 'alice');
  assert.is(keyIdOf(w2), 'k2');
  assert.not.ok(both.needsRewrap(w2));
  assert.is(await both.rewrap(w2, 'alice'), w2);
  const only = both.without('k1');
  assert.equal(await only.unwrap(w2, 'alice'), dk);
  await rejectsWith('CRYPTO_UNKNOWN_KEY_ID', () => only.unwrap(w1, 'alice'));
  assert.equal(both.currentOnly().ids, ['k2']);
  await rejectsWith('CRYPTO_BAD_INPUT', () => both.without('k2'));
});

ring('a relabelled key id or tampered wrapped key is refused', async () => {
  const [k1, k2] = await twoKeys();
  const kr = new Keyring([k1, k2]);
  const w = await kr.wrap(await generateDataKey(), 'alice');
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => kr.unwrap(w.replace('k1.k1.', 'k1.k2.'), 'alice'));
  const body = fromBase64url(w.split('.')[2]);
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => kr.unwrap(`k1.k1.${toBase64url(flipBit(body, 30))}`, 'alice'));
  for (const bad of ['', 'k1.k1', 'k2.k1.' + w.split('.')[2], `k1.k1.${w.split('.')[2]!.slice(0, -4)}`, 'k1.bad id.AAAA', 'k1.k1.!!']) {
    await rejectsWith('CRYPTO_BAD_ENCODING', () => kr.unwrap(bad, 'alice'));
  }
  await rejectsWith('CRYPTO_UNKNOWN_KEY_ID', () => kr.unwrap(w.replace('k1.k1.', 'k1.k9.'), 'alice'));
});

ring('parses and serializes the MASTER_KEYS format (standard or URL-safe base64)', async () => {
  const [k1, k2] = await twoKeys();
  const std = `${k1.id}:${Buffer.from(k1.key).toString('base64')},${k2.id}:${Buffer.from(k2.key).toString('base64url')}`;
  const kr = Keyring.parse(std);
  assert.equal(kr.ids, ['k1', 'k2']);
  const w = await new Keyring([k2]).wrap(new Uint8Array(32).fill(1), 'u');
  assert.equal(await kr.unwrap(w, 'u'), new Uint8Array(32).fill(1));
  assert.equal(Keyring.parse(kr.serialize()).ids, ['k1', 'k2']);
  for (const bad of ['', 'k1', 'k1:AAAA', `k1:${'A'.repeat(43)}:x`, `bad id:${'A'.repeat(43)}`, `k1:${'A'.repeat(43)},k1:${'A'.repeat(43)}`]) {
    let code = '';
    try { Keyring.parse(bad); } catch (e) { code = (e as { code: string }).code; }
    assert.ok(code === 'CRYPTO_BAD_ENCODING' || code === 'CRYPTO_BAD_KEY', `${bad}: ${code}`);
  }
});

ring('constructor validates keys; destroy zeroes them', async () => {
  await rejectsWith('CRYPTO_BAD_KEY', () => new Keyring([]));
  await rejectsWith('CRYPTO_BAD_KEY', () => new Keyring([{ id: 'a', key: new Uint8Array(31) }]));
  await rejectsWith('CRYPTO_BAD_KEY', () => Keyring.generateKey('no spaces'));
  const k = await Keyring.generateKey('a');
  const kr = new Keyring([k]);
  const w = await kr.wrap(await generateDataKey(), 'u');
  await kr.destroy();
  await rejectsWith('CRYPTO_UNKNOWN_KEY_ID', () => kr.unwrap(w, 'u'));
  await rejectsWith('CRYPTO_BAD_KEY', () => kr.wrap(new Uint8Array(3), 'u'));
});

rec.run();
ring.run();
