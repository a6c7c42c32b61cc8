/**
 * The one place that loads libsodium (sumo build: it has crypto_pwhash /
 * Argon2id). Works in the browser (bundled by vite) and in Node.
 */
import sodium from 'libsodium-wrappers-sumo';
import { CryptoError } from './crypto-error.ts';

export type Sodium = typeof sodium;

let loading: Promise<Sodium> | undefined;
let loaded: Sodium | undefined;

/** Resolve once libsodium's WebAssembly is initialized; cheap after the first call. */
export function ready(): Promise<Sodium> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= sodium.ready.then(() => (loaded = sodium));
  return loading;
}

/** libsodium if `ready()` already resolved, else undefined (for sync fast paths). */
export function readySync(): Sodium | undefined {
  return loaded;
}

/**
 * `n` bytes from the platform CSPRNG (WebCrypto `getRandomValues`: browsers,
 * Node >= 19). Used instead of libsodium's randombytes_buf, whose JS bridge
 * costs ~100 us per call here, against ~4 us.
 */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  const webcrypto = globalThis.crypto;
  if (webcrypto?.getRandomValues) {
    for (let at = 0; at < n; at += 65536) webcrypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
    return out;
  }
  if (!loaded) throw new CryptoError('CRYPTO_INTERNAL', 'no WebCrypto getRandomValues and libsodium is not ready: await ready() first');
  return loaded.randombytes_buf(n);
}
