import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { concatBytes, fromBase64url, fromUtf8, isBase64url, parseJson, toBase64url, utf8 } from '../../crypto/encoding.ts';
import { rejectsWith } from './helpers.ts';

fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED ?? 20261121) });

const b64 = suite('base64url');

b64('matches Node base64url for random bytes, both ways', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    const text = toBase64url(bytes);
    assert.is(text, Buffer.from(bytes).toString('base64url'));
    assert.equal(fromBase64url(text), bytes);
  }), { numRuns: 500 });
});

b64('known vectors (RFC 4648 without padding, URL alphabet)', () => {
  assert.is(toBase64url(utf8('')), '');
  assert.is(toBase64url(utf8('f')), 'Zg');
  assert.is(toBase64url(utf8('fo')), 'Zm8');
  assert.is(toBase64url(utf8('foo')), 'Zm9v');
  assert.is(toBase64url(utf8('foob')), 'Zm9vYg');
  assert.is(toBase64url(new Uint8Array([0xfb, 0xff])), '-_8');
});

b64('rejects padding, standard alphabet, whitespace, truncation, non-strings', async () => {
  for (const bad of ['Zg==', 'ab+/', 'ab cd', 'Zm9vY', 'Zm9v\n', 'é', '=', 'Zg=']) {
    await rejectsWith('CRYPTO_BAD_ENCODING', () => fromBase64url(bad));
    assert.not.ok(isBase64url(bad));
  }
  for (const bad of [undefined, null, 42, {}, ['Zg']]) await rejectsWith('CRYPTO_BAD_ENCODING', () => fromBase64url(bad));
});

b64('rejects non-canonical trailing bits, so encodings are unique', async () => {
  assert.equal(fromBase64url('Zg'), utf8('f'));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => fromBase64url('Zh'));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => fromBase64url('Zm9'));
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
    let decoded: Uint8Array | undefined;
    try { decoded = fromBase64url(s); } catch { return; }
    assert.is(toBase64url(decoded), s);
  }), { numRuns: 1000 });
});

b64('enforces an expected length', async () => {
  const key = toBase64url(new Uint8Array(32));
  assert.is(key.length, 43);
  assert.is(fromBase64url(key, 32).length, 32);
  await rejectsWith('CRYPTO_BAD_ENCODING', () => fromBase64url(key.slice(0, 42), 32));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => fromBase64url(`${key}AA`, 32));
});

const text = suite('utf8, json, concat');

text('strict UTF-8 round trip and rejection of invalid sequences', async () => {
  assert.is(fromUtf8(utf8('héllo 🎥')), 'héllo 🎥');
  await rejectsWith('CRYPTO_BAD_ENCODING', () => fromUtf8(new Uint8Array([0xc3, 0x28])));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => fromUtf8(new Uint8Array([0xff])));
});

text('parseJson maps syntax errors to CRYPTO_BAD_ENCODING', async () => {
  assert.equal(parseJson('{"a":1}'), { a: 1 });
  await rejectsWith('CRYPTO_BAD_ENCODING', () => parseJson('{a:1}'));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => parseJson(7));
});

text('concatBytes', () => {
  assert.equal(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])), new Uint8Array([1, 2, 3]));
});

b64.run();
text.run();
