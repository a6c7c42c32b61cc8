/**
 * Per-user vault over a key-value store: seals and opens a user's records
 * under the user's data key, creates that key on first use, and destroys it
 * on deletion (crypto-shredding).
 *
 * What deletion guarantees, precisely:
 * - `forget(userId)` deletes the wrapped data key from the live store; the
 *   caller deletes the records too. Live copies are gone at once.
 * - A copy of the store taken earlier (Redis snapshot, replica, backup) still
 *   holds the wrapped data key, which any master key it was wrapped under can
 *   open. So the deletion reaches old copies when those master keys are gone:
 *   `shredBackups(newKey)` (or the three steps it runs: new current key,
 *   `rewrapAll`, drop the old keys) rewraps every surviving user under a fresh
 *   master key and returns a keyring without the old ones. Run it after
 *   deletions (at once, or batched e.g. daily: the delay is the window in
 *   which an old backup could still be read), then persist the new keyring
 *   (MASTER_KEYS) and erase every copy of the old master keys.
 *
 * Unwrapped data keys are never cached: another node's `forget` takes effect
 * on the next operation everywhere.
 */
import { CryptoError } from './crypto-error.ts';
import { fromUtf8, utf8 } from './encoding.ts';
import {
  generateDataKey, Keyring, keyIdOf, openRecord, sealRecord, type MasterKey, type RecordBinding,
} from './records.ts';
import { ready } from './sodium.ts';
import { asString } from './statement.ts';

/**
 * Where wrapped data keys live (one string per user). Implementations must be
 * atomic per call; a Redis one is SET NX / a compare-and-set script / DEL / SCAN.
 */
export interface DataKeyStore {
  /** The wrapped data key of `userId`, or null. */
  get(userId: string): Promise<string | null>;
  /** Store `wrapped` only if the user has no key yet; true when stored. */
  create(userId: string, wrapped: string): Promise<boolean>;
  /** Replace the key only if it still equals `expected` (rotation); true when replaced. */
  replace(userId: string, expected: string, wrapped: string): Promise<boolean>;
  /** Destroy the user's wrapped key (no error if absent). */
  delete(userId: string): Promise<void>;
  /** Every user id that has a key (for rotation; may be approximate under concurrent writes). */
  userIds(): AsyncIterable<string>;
}

/** `DataKeyStore` in process memory (one node, tests). */
export class MemoryDataKeyStore implements DataKeyStore {
  readonly #keys = new Map<string, string>();
  async get(userId: string): Promise<string | null> { return this.#keys.get(userId) ?? null; }
  async create(userId: string, wrapped: string): Promise<boolean> {
    if (this.#keys.has(userId)) return false;
    this.#keys.set(userId, wrapped);
    return true;
  }
  async replace(userId: string, expected: string, wrapped: string): Promise<boolean> {
    if (this.#keys.get(userId) !== expected) return false;
    this.#keys.set(userId, wrapped);
    return true;
  }
  async delete(userId: string): Promise<void> { this.#keys.delete(userId); }
  async *userIds(): AsyncIterable<string> { yield* [...this.#keys.keys()]; }
  /** Number of users with a key. */
  get size(): number { return this.#keys.size; }
}

/** Result of `rewrapAll`. */
export interface RewrapReport {
  /** Keys moved to the current master key. */
  rewrapped: number;
  /** Keys already under the current master key. */
  current: number;
  /** Users whose key could not be unwrapped by any master key (already unreadable). */
  unreadable: string[];
}

export class Vault {
  #keyring: Keyring;
  readonly #store: DataKeyStore;

  /**
   * @param keyring master keys (current first)
   * @param store where wrapped data keys live
   */
  constructor(keyring: Keyring, store: DataKeyStore) {
    if (!(keyring instanceof Keyring)) throw new CryptoError('CRYPTO_BAD_KEY', 'vault: expected a Keyring');
    this.#keyring = keyring;
    this.#store = store;
  }

  /** The keyring in use. */
  get keyring(): Keyring {
    return this.#keyring;
  }

  /** Switch keyrings (rotation); existing wrapped keys stay readable if their key id is kept. */
  setKeyring(keyring: Keyring): void {
    if (!(keyring instanceof Keyring)) throw new CryptoError('CRYPTO_BAD_KEY', 'vault: expected a Keyring');
    this.#keyring = keyring;
  }

  /** Seal bytes or text for the binding's user, creating their data key on first use. */
  async seal(binding: RecordBinding, plaintext: Uint8Array | string): Promise<string> {
    const key = await this.#dataKey(binding?.userId, true);
    try {
      return await sealRecord(key, plaintext, binding);
    } finally {
      (await ready()).memzero(key);
    }
  }

  /** Open a record: CRYPTO_KEY_DESTROYED when the user's key is gone, CRYPTO_DECRYPT_FAILED when tampered. */
  async open(binding: RecordBinding, sealed: string): Promise<Uint8Array> {
    const key = await this.#dataKey(binding?.userId, false);
    try {
      return await openRecord(key, sealed, binding);
    } finally {
      (await ready()).memzero(key);
    }
  }

  /** Seal a JSON value. */
  async sealJson(binding: RecordBinding, value: unknown): Promise<string> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new CryptoError('CRYPTO_BAD_INPUT', 'value is not JSON-serializable');
    return this.seal(binding, utf8(text));
  }

  /** Open a JSON value sealed by `sealJson`. */
  async openJson<T = unknown>(binding: RecordBinding, sealed: string): Promise<T> {
    const text = fromUtf8(await this.open(binding, sealed), 'record');
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new CryptoError('CRYPTO_BAD_ENCODING', 'record is not JSON', { cause: err });
    }
  }

  /** True when the user has a data key. */
  async hasKey(userId: string): Promise<boolean> {
    return (await this.#store.get(asString(userId, 'userId', 256))) !== null;
  }

  /** Destroy the user's data key: every record sealed under it is unreadable from now on. */
  async forget(userId: string): Promise<void> {
    await this.#store.delete(asString(userId, 'userId', 256));
  }

  /** Move every data key to the current master key. */
  async rewrapAll(): Promise<RewrapReport> {
    const report: RewrapReport = { rewrapped: 0, current: 0, unreadable: [] };
    const keyring = this.#keyring;
    for await (const userId of this.#store.userIds()) {
      for (let attempt = 0; ; attempt++) {
        const wrapped = await this.#store.get(userId);
        if (wrapped === null) break; // forgotten meanwhile
        if (!keyring.needsRewrap(wrapped)) { report.current++; break; }
        let next: string;
        try {
          next = await keyring.rewrap(wrapped, userId);
        } catch (err) {
          if (err instanceof CryptoError) { report.unreadable.push(userId); break; }
          throw err;
        }
        if (await this.#store.replace(userId, wrapped, next)) { report.rewrapped++; break; }
        if (attempt >= 5) throw new CryptoError('CRYPTO_INTERNAL', `rewrap of ${userId} keeps racing`);
      }
    }
    return report;
  }

  /**
   * Make every earlier copy of the store unreadable for users deleted so far:
   * `newKey` becomes the current master key, every data key is rewrapped under
   * it, and the vault switches to a keyring holding `newKey` only. Returns
   * that keyring (persist it, then erase the old master keys everywhere).
   * With several nodes, give them all the new key first (crypto/README.md, "Deletion").
   */
  async shredBackups(newKey: MasterKey): Promise<{ keyring: Keyring; report: RewrapReport }> {
    if (this.#keyring.has(newKey?.id)) throw new CryptoError('CRYPTO_BAD_INPUT', `master key id ${newKey.id} is already used`);
    this.#keyring = this.#keyring.withCurrent(newKey);
    const report = await this.rewrapAll();
    this.#keyring = this.#keyring.currentOnly();
    return { keyring: this.#keyring, report };
  }

  async #dataKey(userId: unknown, create: boolean): Promise<Uint8Array> {
    const id = asString(userId, 'userId', 256);
    for (let attempt = 0; attempt < 3; attempt++) {
      const wrapped = await this.#store.get(id);
      if (wrapped !== null) return this.#keyring.unwrap(wrapped, id);
      if (!create) throw new CryptoError('CRYPTO_KEY_DESTROYED', 'no data key for this user: deleted or never created');
      const key = await generateDataKey();
      if (await this.#store.create(id, await this.#keyring.wrap(key, id))) return key;
      (await ready()).memzero(key); // another writer created one first: use theirs
    }
    throw new CryptoError('CRYPTO_INTERNAL', 'data key creation keeps racing');
  }
}

export { keyIdOf };
