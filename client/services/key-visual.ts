/**
 * What a person sees of an identity besides its pseudonym: a picture and a fingerprint derived from the whole
 * key. A pseudonym has ~29 bits, so a copycat can grind a key with the same name in hours; the fingerprint has
 * 60 bits (no one grinds that) and the picture (a mirrored 5x5 grid in two colours on a hue of its own) makes a
 * different key look different at a glance, before anyone reads a character.
 */
import { concatBytes, utf8 } from '../../crypto/encoding.ts';
import { decodePublicKey } from '../../crypto/statement.ts';
import { ready } from '../../crypto/sodium.ts';

const CONTEXT = 'livecam/key-visual/v1';
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

/** The picture and fingerprint of a base64url Ed25519 key; throws CRYPTO_BAD_ENCODING on a bad key. */
export async function keyVisual(key: string): Promise<KeyVisual> {
  const pk = decodePublicKey(key, 'identity key');
  const s = await ready();
  const h = s.crypto_generichash(32, concatBytes(utf8(CONTEXT), new Uint8Array([0]), pk), null);
  // Bytes 0-7: the fingerprint (60 of their 64 bits).
  let bits = 0n;
  for (let i = 0; i < 8; i++) bits = (bits << 8n) | BigInt(h[i]!);
  let fingerprint = '';
  for (let i = 0; i < 12; i++) fingerprint += ALPHABET[Number((bits >> BigInt(59 - 5 * i - 4)) & 31n)];
  // Bytes 8-9: the hues, apart enough to tell the two colours from each other.
  const hue = ((h[8]! << 8) | h[9]!) % 360;
  const second = (hue + 90 + (h[10]! % 180)) % 360;
  const colours: [string, string] = [`hsl(${hue} 75% 60%)`, `hsl(${second} 70% 45%)`];
  // Bytes 11-: one cell of the left half (and middle column) each, three states.
  const half = Math.ceil(GRID / 2);
  const cells: number[][] = [];
  for (let r = 0; r < GRID; r++) {
    const row: number[] = [];
    for (let c = 0; c < half; c++) row.push(h[11 + r * half + c]! % 3);
    cells.push([...row, ...row.slice(0, GRID - half).reverse()]);
  }
  return { cells, colours, fingerprint: fingerprint.match(/.{4}/g)!.join(' ') };
}
