/** Shared assertions of the crypto tests. */
import * as assert from 'uvu/assert';
import { CryptoError, type CryptoErrorCode } from '../../crypto/crypto-error.ts';

/** Assert that `fn` rejects with a CryptoError of `code` (never a raw library error). */
export async function rejectsWith(code: CryptoErrorCode, fn: () => unknown): Promise<CryptoError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) assert.unreachable(`expected ${code}, nothing was thrown`);
  if (!(caught instanceof CryptoError)) {
    assert.unreachable(`expected CryptoError ${code}, got ${String((caught as Error)?.constructor?.name)}: ${String((caught as Error)?.message)}`);
  }
  const err = caught as CryptoError;
  assert.is(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
  return err;
}

/** Flip one bit of a base64url string's decoded bytes at `index` (mod length). */
export function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  const i = ((index % out.length) + out.length) % out.length;
  out[i] = out[i]! ^ 1;
  return out;
}
