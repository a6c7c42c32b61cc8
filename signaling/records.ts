/**
 * Encrypted user records over crypto/vault.ts: each identity's data under its
 * own data key, wrapped by Config.MASTER_KEYS (first one current), stored as
 * `lc:dk:<key>`; records as `lc:rec:<key>:<kind>`. The store never sees a
 * plaintext field.
 *
 * Deletion: `forget` destroys the wrapped data key, so every record sealed
 * under it is noise from then on; account deletion then removes the ciphertext
 * as well (Store `deleteIdentity`). Copies taken earlier (a Redis snapshot, a
 * replica, a backup) still hold the wrapped key, readable with the master key
 * of that time, until every surviving data key is rewrapped under a new master
 * key and the old one is erased: `npm run rotate-master-key`
 * (rotate-master-key.ts) does that for a deployment; `shredBackups(newKey)`
 * does it from this process and keeps only `newKey`, which the operator then
 * sets as MASTER_KEYS on every node.
 */
import { Keyring, type MasterKey } from '../crypto/records.ts';
import { Vault, type DataKeyStore, type RewrapReport } from '../crypto/vault.ts';
import { isPlatformError } from '../crypto/errors.ts';
import type { RecordSealer, Store } from './store.ts';
import { fail } from './errors.ts';

/** crypto/vault.ts `DataKeyStore` over the Store's data-key methods (`lc:dk:<key>`). */
export class StoreDataKeys implements DataKeyStore {
  #store: Store;
  constructor(store: Store) { this.#store = store; }
  get(userId: string): Promise<string | null> { return this.#store.getDataKey(userId); }
  create(userId: string, wrapped: string): Promise<boolean> { return this.#store.createDataKey(userId, wrapped); }
  replace(userId: string, expected: string, wrapped: string): Promise<boolean> {
    return this.#store.replaceDataKey(userId, expected, wrapped);
  }
  delete(userId: string): Promise<void> { return this.#store.deleteDataKey(userId); }
  async *userIds(): AsyncIterable<string> {
    yield* await this.#store.dataKeyOwners();
  }
}

export type ProfileFields = Record<string, string>;

export class Records implements RecordSealer {
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
      fail('INTERNAL', 'profile cannot be decrypted', err);
    }
  }

  /** Store `RecordSealer`: a record of `kind` sealed under the identity's data key. */
  seal(key: string, kind: string, value: unknown): Promise<string> {
    return this.vault.sealJson({ userId: key, kind }, value);
  }

  async open<T>(key: string, kind: string, sealed: string): Promise<T | null> {
    try {
      return await this.vault.openJson<T>({ userId: key, kind }, sealed);
    } catch (err) {
      if (isPlatformError(err, 'CRYPTO_KEY_DESTROYED')) return null;
      fail('INTERNAL', `${kind} record cannot be decrypted`, err);
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
