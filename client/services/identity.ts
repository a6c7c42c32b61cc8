/**
 * The browser's identities: made on first use, kept in this browser's
 * IndexedDB only (the server never sees a secret key). Models and clients get
 * separate keys, so watching never links to performing.
 *
 * Optionally under a passphrase: then each stored secret is sealed (crypto/identity.ts
 * `exportIdentity`, Argon2id + secretbox) and a tab reads it only after `unlock()`; until then
 * `get()` waits and the `locked` event asks the shell for the passphrase.
 *
 * libsodium (crypto/identity.ts) is imported only when an identity is first
 * needed: browsing the directory loads none of it.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { Identity } from '../../crypto/identity.ts';
import type { Role } from '../../signaling/protocol.ts';
import { ClientError } from '../errors.ts';
import { Emitter } from './emitter.ts';
import { openIdentity, sealIdentity } from './identity-backup.ts';

/** Where the first version kept identities (plain localStorage); moved to IndexedDB on first load. */
const LEGACY_KEY = 'livecam.identity.v1';
const ROLES: readonly Role[] = ['client', 'model'];
/** Present (true) while the stored secrets are sealed under a passphrase. */
const LOCK_RECORD = 'lock';

/** A stored secret: the 64-byte key, or the sealed blob of a passphrase-locked store. */
type StoredSecret = Uint8Array | { sealed: string };

export interface IdentityEvents {
  /** An identity was loaded or created for `role`. */
  ready: [role: Role, identity: Identity];
  /** An identity is needed but the store is locked: ask for the passphrase and call `unlock()`. */
  locked: [];
  /** The passphrase lock was turned on or off, or this tab unlocked it. */
  'lock-changed': [];
}

export interface IdentityOptions {
  /** IndexedDB database name (tests and several apps on one origin may differ). */
  dbName?: string;
}

export class IdentityService {
  readonly events = new Emitter<IdentityEvents>();
  readonly #store: UseStore;
  readonly #loading = new Map<Role, Promise<Identity>>();
  /** The passphrase of this tab once unlocked (new identities are sealed with it); null otherwise. */
  #passphrase: string | null = null;
  #waiting: Array<() => void> = [];
  #closed = false;

  constructor(options: IdentityOptions = {}) {
    this.#store = createStore(options.dbName ?? 'livecam-identity', 'identities');
  }

  /** This browser's identity for `role`, creating one on first use (waits for `unlock()` when locked). */
  get(role: Role): Promise<Identity> {
    if (this.#closed) return Promise.reject(new ClientError('STORAGE_UNAVAILABLE', 'identity service closed'));
    let pending = this.#loading.get(role);
    if (!pending) {
      pending = this.#load(role);
      // A failure (storage blocked) must not stick: the next call tries again.
      pending.catch(() => this.#loading.delete(role));
      this.#loading.set(role, pending);
    }
    return pending;
  }

  /** True when this browser holds an identity for `role` (creates none, needs no passphrase). */
  async has(role: Role): Promise<boolean> {
    return (await this.#read<StoredSecret>(`secret.${role}`)) !== undefined || localStorage.getItem(`${LEGACY_KEY}.${role}`) !== null;
  }

  /** True when the stored identities are under a passphrase. */
  async locked(): Promise<boolean> {
    return (await this.#read<boolean>(LOCK_RECORD)) === true;
  }

  /** True when this tab may read the identities: no lock, or unlocked. */
  async usable(): Promise<boolean> {
    return this.#passphrase !== null || !(await this.locked());
  }

  /** Opens the locked store for this tab; WRONG_PASSPHRASE leaves it locked. */
  async unlock(passphrase: string): Promise<void> {
    for (const role of ROLES) {
      const stored = await this.#read<StoredSecret>(`secret.${role}`);
      if (stored && !(stored instanceof Uint8Array)) await openIdentity(stored.sealed, passphrase);
    }
    this.#passphrase = passphrase;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
    this.events.emit('lock-changed');
  }

  /** Puts every stored identity under `passphrase` (checked by the caller: identity-backup.ts checkNewPassphrase). */
  async lock(passphrase: string): Promise<void> {
    const identities = await this.#stored();
    for (const [role, identity] of identities) await this.#write(`secret.${role}`, { sealed: await sealIdentity(identity, passphrase) });
    await this.#write(LOCK_RECORD, true);
    this.#passphrase = passphrase;
    this.events.emit('lock-changed');
  }

  /** Stores the identities in the clear again (this tab must be unlocked). */
  async removeLock(): Promise<void> {
    const identities = await this.#stored();
    for (const [role, identity] of identities) await this.#write(`secret.${role}`, identity.secretKey);
    await this.#delete(LOCK_RECORD);
    this.#passphrase = null;
    this.events.emit('lock-changed');
  }

  /** Replaces `role`'s identity with `identity` (a restored backup); sealed when the store is locked. */
  async replace(role: Role, identity: Identity): Promise<void> {
    if (!(await this.usable())) await this.#unlocked();
    await this.#keep(role, identity);
    this.#loading.set(role, Promise.resolve(identity));
    this.events.emit('ready', role, identity);
  }

  /** Forgets this browser's identities for good (account deletion); the service stays usable. */
  async erase(): Promise<void> {
    for (const role of ROLES) {
      await this.#delete(`secret.${role}`);
      localStorage.removeItem(`${LEGACY_KEY}.${role}`);
    }
    await this.#delete(LOCK_RECORD);
    this.#loading.clear();
    this.#passphrase = null;
    this.events.emit('lock-changed');
  }

  async #load(role: Role): Promise<Identity> {
    if (!(await this.usable())) await this.#unlocked();
    const { createIdentity, identityFromSecretKey } = await import('../../crypto/identity.ts');
    const key = `secret.${role}`;
    const stored = await this.#read<StoredSecret>(key) ?? this.#takeLegacy(role);
    let identity: Identity | null = null;
    if (stored instanceof Uint8Array) {
      try {
        identity = await identityFromSecretKey(stored);
      } catch {
        // A corrupt entry must not lock the person out: start a new pseudonym.
        await this.#delete(key).catch(() => undefined);
      }
    } else if (stored) {
      // Unlocked above; a sealed entry that does not open with this tab's passphrase is not replaced silently.
      identity = await openIdentity(stored.sealed, this.#passphrase ?? '');
    }
    identity ??= await createIdentity();
    await this.#keep(role, identity);
    localStorage.removeItem(`${LEGACY_KEY}.${role}`);
    this.events.emit('ready', role, identity);
    return identity;
  }

  /** Writes `identity` as `role`'s, sealed under this tab's passphrase when the store is locked. */
  async #keep(role: Role, identity: Identity): Promise<void> {
    const value: StoredSecret = this.#passphrase !== null && await this.locked()
      ? { sealed: await sealIdentity(identity, this.#passphrase) }
      : identity.secretKey;
    await this.#write(`secret.${role}`, value);
  }

  /** The stored identities, opened (waits for `unlock()` when locked). */
  async #stored(): Promise<Array<[Role, Identity]>> {
    const out: Array<[Role, Identity]> = [];
    for (const role of ROLES) if (await this.has(role)) out.push([role, await this.get(role)]);
    return out;
  }

  #unlocked(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.events.emit('locked');
    });
  }

  #takeLegacy(role: Role): Uint8Array | undefined {
    const stored = localStorage.getItem(`${LEGACY_KEY}.${role}`);
    if (!stored || !/^[A-Za-z0-9_-]{86}$/.test(stored)) return undefined;
    const b64 = stored.replace(/-/g, '+').replace(/_/g, '/') + '==';
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  async #read<T>(key: string): Promise<T | undefined> {
    try {
      return await get<T>(key, this.#store);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot read IndexedDB', { cause });
    }
  }

  async #write(key: string, value: unknown): Promise<void> {
    try {
      await set(key, value, this.#store);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot write IndexedDB', { cause });
    }
  }

  async #delete(key: string): Promise<void> {
    try {
      await del(key, this.#store);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot write IndexedDB', { cause });
    }
  }

  /** Forgets the loaded identities of this tab (the stored keys stay); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#loading.clear();
    this.#passphrase = null;
    this.#waiting = [];
    this.events.clear();
  }
}
