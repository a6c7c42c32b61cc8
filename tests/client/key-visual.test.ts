/**
 * The picture and fingerprint of a key (client/services/key-visual.ts): the same key always looks the same, and two
 * keys that share a pseudonym (ground here for real: ~30,000 random keys give a pair) look different.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity, pseudonymOf } from '../../crypto/identity.ts';
import { toBase64url } from '../../crypto/encoding.ts';
import { GRID, keyVisual, pseudonymFor } from '../../client/services/key-visual.ts';

const visual = suite('key visual');

/** Two different keys with one pseudonym: a birthday search over random 32-byte keys. */
async function sharedPseudonym(): Promise<[string, string, string]> {
  const seen = new Map<string, string>();
  for (let i = 0; i < 1_000_000; i++) {
    const key = toBase64url(randomBytes(32));
    const name = await pseudonymOf(key);
    const other = seen.get(name);
    if (other !== undefined && other !== key) return [other, key, name];
    seen.set(name, key);
  }
  throw new Error('no two keys with one pseudonym in a million');
}

visual('the same key gives the same picture and fingerprint; the shape is fixed', async () => {
  const { publicKey } = await createIdentity();
  const a = await keyVisual(publicKey);
  assert.equal(await keyVisual(publicKey), a);
  assert.match(a.fingerprint, /^[0-9A-HJKMNP-TV-Z]{4} [0-9A-HJKMNP-TV-Z]{4} [0-9A-HJKMNP-TV-Z]{4}$/);
  assert.is(a.cells.length, GRID);
  for (const row of a.cells) {
    assert.is(row.length, GRID);
    assert.equal(row, [...row].reverse(), 'mirrored');
    for (const c of row) assert.ok(c === 0 || c === 1 || c === 2);
  }
  assert.is.not(a.colours[0], a.colours[1]);
});

visual('two keys with the same pseudonym look different', async () => {
  const [k1, k2, name] = await sharedPseudonym();
  assert.is(await pseudonymOf(k1), name);
  assert.is(await pseudonymOf(k2), name);
  const [v1, v2] = [await keyVisual(k1), await keyVisual(k2)];
  assert.is.not(v1.fingerprint, v2.fingerprint);
  assert.not.equal({ cells: v1.cells, colours: v1.colours }, { cells: v2.cells, colours: v2.colours }, 'the pictures differ too');
});

visual('many keys: no two fingerprints alike, pictures spread', async () => {
  const keys = Array.from({ length: 300 }, () => toBase64url(randomBytes(32)));
  const vs = await Promise.all(keys.map(keyVisual));
  assert.is(new Set(vs.map((v) => v.fingerprint)).size, keys.length);
  assert.ok(new Set(vs.map((v) => JSON.stringify([v.cells, v.colours]))).size >= keys.length - 1, 'pictures are nearly always distinct');
});

visual('the browser-side pseudonym is crypto/identity.ts pseudonymOf, key for key', async () => {
  for (let i = 0; i < 500; i++) {
    const key = toBase64url(randomBytes(32));
    assert.is(pseudonymFor(key), await pseudonymOf(key), key);
  }
});

visual('a bad key is refused', async () => {
  for (const bad of ['', 'short', 'A'.repeat(44), '!'.repeat(43)]) {
    try {
      keyVisual(bad);
      assert.unreachable(`accepted ${bad}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'CRYPTO_BAD_ENCODING', bad);
    }
  }
});

visual.run();
