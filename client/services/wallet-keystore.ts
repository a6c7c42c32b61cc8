/**
 * Where the in-browser wallet keeps what it must not lose, in IndexedDB: the wallet's secret key (encrypted),
 * which wallet the person chose, the address bound to their identity, and the highest voucher signed per channel.
 *
 * The secret is encrypted with AES-GCM under a WebCrypto key made non-extractable and kept in the same database.
 * Chosen over a key derived from the identity secret because (1) no script, ours or injected, can ever read the
 * key out, only use it in this origin, so a dump of the stored records (devtools export, a sync or a copied
 * profile read by a tool) is ciphertext; and (2) the wallet does not depend on how the identity is stored, which
 * is about to change (a passphrase-protected identity would otherwise lock the wallet behind the same prompt).
 * Moving the wallet to another device is therefore an explicit export, never a side effect of the identity's.
 */
import { createStore, get, update, type UseStore } from 'idb-keyval';
import { ClientError } from '../errors.ts';

interface SealedKey {
  v: 1;
  address: string;
  iv: Uint8Array<ArrayBuffer>;
  ciphertext: ArrayBuffer;
}

export type WalletKind = 'embedded' | 'injected';

export interface KeystoreOptions {
  /** IndexedDB database name (default `livecam-wallet`). */
  dbName?: string;
}

const hex = (bytes: Uint8Array) => '0x' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export class WalletKeystore {
  readonly #store: UseStore;

  constructor(options: KeystoreOptions = {}) {
    this.#store = createStore(options.dbName ?? 'livecam-wallet', 'wallet');
  }

  /**
   * The secret key (0x hex) of `owner`'s in-browser wallet, made on first use. `addressOf` turns a secret into its
   * address (the caller has the curve code; this file stays free of it).
   */
  async secretFor(owner: string, addressOf: (secret: string) => string): Promise<string> {
    const key = await this.#aesKey();
    const id = `key.${owner}`;
    let sealed = await this.#read<SealedKey>(id);
    if (!sealed) {
      const secret = hex(crypto.getRandomValues(new Uint8Array(32)));
      const fresh = await this.#seal(key, owner, addressOf(secret), secret);
      // Two tabs may make a wallet at once: the first one stored wins, and both use it.
      await this.#write<SealedKey>(id, (old) => old ?? fresh);
      sealed = (await this.#read<SealedKey>(id))!;
    }
    return this.#open(key, owner, sealed);
  }

  /** Reads a small record (`kind.<owner>`, `bound.<owner>`, ...). */
  meta<T>(name: string): Promise<T | undefined> {
    return this.#read<T>(`meta.${name}`);
  }

  async setMeta<T>(name: string, value: T): Promise<void> {
    await this.#write<T>(`meta.${name}`, () => value);
  }

  /** Remembers `amount` as the channel's highest signed voucher unless a higher one is kept; returns the kept one. */
  async raiseVoucher(channelId: string, amount: bigint): Promise<bigint> {
    const id = `voucher.${channelId.toLowerCase()}`;
    await this.#write<string>(id, (old) => (old !== undefined && BigInt(old) >= amount ? old : amount.toString()));
    return BigInt((await this.#read<string>(id))!);
  }

  /** The highest voucher signed for `channelId` in this browser, or null. */
  async latestVoucher(channelId: string): Promise<bigint | null> {
    const kept = await this.#read<string>(`voucher.${channelId.toLowerCase()}`);
    return kept === undefined ? null : BigInt(kept);
  }

  async #aesKey(): Promise<CryptoKey> {
    const existing = await this.#read<CryptoKey>('aes');
    if (existing) return existing;
    const fresh = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await this.#write<CryptoKey>('aes', (old) => old ?? fresh);
    return (await this.#read<CryptoKey>('aes'))!;
  }

  async #seal(key: CryptoKey, owner: string, address: string, secret: string): Promise<SealedKey> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    // The owner and address are authenticated: a record moved to another identity's slot does not open.
    const additionalData = new TextEncoder().encode(`${owner}\n${address}`);
    const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, key, new TextEncoder().encode(secret));
    return { v: 1, address, iv, ciphertext };
  }

  async #open(key: CryptoKey, owner: string, sealed: SealedKey): Promise<string> {
    try {
      const additionalData = new TextEncoder().encode(`${owner}\n${sealed.address}`);
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv, additionalData }, key, sealed.ciphertext);
      return new TextDecoder().decode(plain);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'the stored wallet key does not open', { cause });
    }
  }

  async #read<T>(id: string): Promise<T | undefined> {
    try {
      return await get<T>(id, this.#store);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot read IndexedDB', { cause });
    }
  }

  /** One read-modify-write transaction: concurrent writers (tabs) cannot interleave. */
  async #write<T>(id: string, change: (old: T | undefined) => T): Promise<void> {
    try {
      await update<T>(id, change, this.#store);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot write IndexedDB', { cause });
    }
  }
}
