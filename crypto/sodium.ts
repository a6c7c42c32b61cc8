/**
 * The one place that loads libsodium (sumo build: it has crypto_pwhash /
 * Argon2id). Works in the browser (bundled by vite) and in Node.
 */
import sodium from 'libsodium-wrappers-sumo';

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
