/**
 * The safety code two people in a call compare (read aloud, or side by side): derived from both full identity
 * keys, the same on both screens whatever the order, and different for any other pair of keys. A server that
 * put its own key in the middle would show each person a code made with its key, which does not match the
 * other person's.
 */
import { concatBytes, utf8 } from '../../crypto/encoding.ts';
import { decodePublicKey } from '../../crypto/statement.ts';
import { ready } from '../../crypto/sodium.ts';

const CONTEXT = 'livecam/safety-code/v1';
/** 4 groups of 5 digits: about 66 bits, enough that no one can grind a key to match a given code. */
const GROUPS = 4;

/** The code for two base64url Ed25519 keys, e.g. `04211 93877 10240 55873`. Throws CRYPTO_BAD_ENCODING on a bad key. */
export async function safetyCode(keyA: string, keyB: string): Promise<string> {
  const a = decodePublicKey(keyA, 'first key');
  const b = decodePublicKey(keyB, 'second key');
  const [lo, hi] = compareBytes(a, b) <= 0 ? [a, b] : [b, a];
  const s = await ready();
  const hash = s.crypto_generichash(GROUPS * 5, concatBytes(utf8(CONTEXT), new Uint8Array([0]), lo, hi), null);
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let n = 0;
    // 5 bytes (40 bits) per group, reduced to 5 digits: the bias of the modulo is below 1e-7.
    for (let i = 0; i < 5; i++) n = n * 256 + hash[g * 5 + i]!;
    groups.push(String(n % 100_000).padStart(5, '0'));
  }
  return groups.join(' ');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
