/**
 * Encrypted user records over crypto/vault.ts: each identity's data under its
 * own data key, wrapped by Config.MASTER_KEYS (first one current), stored as
 * `lc:dk:<key>`; records as `lc:rec:<key>:<kind>`. The store never sees a
 * plaintext field.
 *
 * Deletion (`forget`) destroys the wrapped data key and the records at once.
 * Copies taken earlier (a Redis snapshot, a replica, a backup) still hold the
 * old wrapped key, readable with the old master key; `shredBackups(newKey)`
 * rewraps every surviving user under a new master key and drops the old ones,
 * after which those copies are noise. The operator then replaces MASTER_KEYS
 * with the returned key (see the report of `shredBackups`).
 */
import { Keyring, type MasterKey } from '../crypto/records.ts';
import { Vault, type DataKeyStore, type RewrapReport } from '../crypto/vault.ts';
import { isPlatformError } from '../crypto/errors.ts';
import type { Store } from './store.ts';
import { SignalingError } from './errors.ts';

/** Wrapped data keys as `lc:dk:<key>` in the store. */
export class StoreDataKeys implements DataKeyStore {
  #store: Store;
  constructor(store: Store) { this.#store = store; }
  get(userId: string): Promise<string | null> { return this.#store.kv.get(`lc:dk:${userId}`); }
  create(userId: string, wrapped: string): Promise<boolean> { return this.#store.kv.set(`lc:dk:${userId}`, wrapped, { nx: true }); }
  replace(userId: string, expected: string, wrapped: string): Promise<boolean> {
    return this.#store.kv.compareAndSet(`lc:dk:${userId}`, expected, wrapped);
  }
  async delete(userId: string): Promise<void> { await this.#store.kv.del(`lc:dk:${userId}`); }
  async *userIds(): AsyncIterable<string> {
    for (const k of await this.#store.kv.keys('lc:dk:')) yield k.slice('lc:dk:'.length);
  }
}

export type ProfileFields = Record<string, string>;

export class Records {
  readonly vault: Vault;
  #store: Store;

  constructor(store: Store, masterKeys: MasterKey[]) {
    this.#store = store;
    this.vault = new Vault(new Keyring(masterKeys.map((k) => ({ id: k.id, key: new Uint8Array(k.key) }))), new StoreDataKeys(store));
  }

  async setProfile(key: string, fields: ProfileFields): Promise<void> {
    const sealed = await this.vault.sealJson({ userId: key, kind: 'profile' }, fields);
    await this.#store.putRecord(key, 'profile', sealed);
  }

  async getProfile(key: string): Promise<ProfileFields> {
    const sealed = await this.#store.getRecord(key, 'profile');
    if (sealed === null) return {};
    try {
      return await this.vault.openJson<ProfileFields>({ userId: key, kind: 'profile' }, sealed);
    } catch (err) {
      if (isPlatformError(err, 'CRYPTO_KEY_DESTROYED')) return {};
      throw new SignalingError('INTERNAL', 'profile cannot be decrypted', { cause: err });
    }
  }

  /** Crypto-shredding: the data key first, then the ciphertext. */
  async forget(key: string): Promise<void> {
    await this.vault.forget(key);
  }

  /** Rewraps every data key under `newKey` and drops the old master keys (see the module comment). */
  async shredBackups(newKey: MasterKey): Promise<RewrapReport> {
    const { report } = await this.vault.shredBackups(newKey);
    return report;
  }
}
