/**
 * What a person sees of an identity besides its pseudonym: a picture and a fingerprint derived from the whole
 * key. A pseudonym has ~29 bits, so a copycat can grind a key with the same name in hours; the fingerprint has
 * 60 bits (no one grinds that) and the picture (a mirrored 5x5 grid in two colours on hues of its own) makes a
 * different key look different at a glance, before anyone reads a character.
 *
 * BLAKE2b from @noble/hashes, synchronous and small, not libsodium: the directory shows these and must not
 * load libsodium (client/README.md). `pseudonymFor` is crypto/identity.ts `pseudonymOf` computed the same way
 * (tests/client/key-visual.test.ts holds the two equal), so the name shown is derived here too, never the server's.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { CryptoError } from '../../crypto/crypto-error.ts';
import { concatBytes, fromBase64url, utf8 } from '../../crypto/encoding.ts';
import { ADJECTIVES, NOUNS } from '../../crypto/words.ts';

const CONTEXT = utf8('livecam/key-visual/v1');
const PSEUDONYM_CONTEXT = utf8('livecam/pseudonym/v1');
/** Crockford's base32: no I, L, O or U to misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const GRID = 5;

export interface KeyVisual {
  /** GRID rows of GRID cells, mirrored left to right: 0 empty, 1 the first colour, 2 the second. */
  cells: number[][];
  /** The two colours of the cells (CSS hsl()), on hues of the key's own. */
  colours: [string, string];
  /** 60 bits of the key's hash, 12 characters in three groups, e.g. `K7QF 2M9X HC4T`. */
  fingerprint: string;
}

function keyBytes(key: unknown): Uint8Array {
  if (typeof key !== 'string' || key.length !== 43) throw new CryptoError('CRYPTO_BAD_ENCODING', 'identity key: expected 43 base64url characters');
  return fromBase64url(key, 32, 'identity key');
}

/** The picture and fingerprint of a base64url Ed25519 key; throws CRYPTO_BAD_ENCODING on a bad key. */
export function keyVisual(key: string): KeyVisual {
  const h = blake2b(concatBytes(CONTEXT, new Uint8Array([0]), keyBytes(key)), { dkLen: 32 });
  // Bytes 0-7: the fingerprint (60 of their 64 bits, 5 per character).
  let bits = 0n;
  for (let i = 0; i < 8; i++) bits = (bits << 8n) | BigInt(h[i]!);
  let fingerprint = '';
  for (let i = 0; i < 12; i++) fingerprint += ALPHABET[Number((bits >> BigInt(59 - 5 * i - 4)) & 31n)];
  // Bytes 8-10: the hues, apart enough to tell the two colours from each other.
  const hue = ((h[8]! << 8) | h[9]!) % 360;
  const second = (hue + 90 + (h[10]! % 180)) % 360;
  const colours: [string, string] = [`hsl(${hue} 75% 60%)`, `hsl(${second} 70% 45%)`];
  // Bytes 11-25: one cell each of the left half and the middle column, three states; the right half mirrors them.
  const half = Math.ceil(GRID / 2);
  const cells: number[][] = [];
  for (let r = 0; r < GRID; r++) {
    const row: number[] = [];
    for (let c = 0; c < half; c++) row.push(h[11 + r * half + c]! % 3);
    cells.push([...row, ...row.slice(0, GRID - half).reverse()]);
  }
  return { cells, colours, fingerprint: fingerprint.match(/.{4}/g)!.join(' ') };
}

/** The pseudonym of a key (`adjective-noun-NNNN`), as crypto/identity.ts `pseudonymOf` makes it; throws CRYPTO_BAD_ENCODING on a bad key. */
export function pseudonymFor(key: string): string {
  const h = blake2b(concatBytes(PSEUDONYM_CONTEXT, keyBytes(key)), { dkLen: 16 });
  const n = ((h[2]! << 16) | (h[3]! << 8) | h[4]!) % 10000;
  return `${ADJECTIVES[h[0]!]}-${NOUNS[h[1]!]}-${String(n).padStart(4, '0')}`;
}
