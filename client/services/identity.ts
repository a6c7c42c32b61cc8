/**
 * The browser's identities: made on first use, kept in this browser's
 * IndexedDB only (the server never sees a secret key). Models and clients get
 * separate keys, so watching never links to performing.
 *
 * libsodium (crypto/identity.ts) is imported only when an identity is first
 * needed: browsing the directory loads none of it.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { Identity } from '../../crypto/identity.ts';
import type { Role } from '../../signaling/protocol.ts';
import { ClientError } from '../errors.ts';
import { Emitter } from './emitter.ts';

/** Where the first version kept identities (plain localStorage); moved to IndexedDB on first load. */
const LEGACY_KEY = 'livecam.identity.v1';

export interface IdentityEvents {
  /** An identity was loaded or created for `role`. */
  ready: [role: Role, identity: Identity];
}

export interface IdentityOptions {
  /** IndexedDB database name (tests and several apps on one origin may differ). */
  dbName?: string;
}

export class IdentityService {
  readonly events = new Emitter<IdentityEvents>();
  readonly #store: UseStore;
  readonly #loading = new Map<Role, Promise<Identity>>();
  #closed = false;

  constructor(options: IdentityOptions = {}) {
    this.#store = createStore(options.dbName ?? 'livecam-identity', 'identities');
  }

  /** This browser's identity for `role`, creating one on first use. */
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

  async #load(role: Role): Promise<Identity> {
    const { createIdentity, identityFromSecretKey } = await import('../../crypto/identity.ts');
    const key = `secret.${role}`;
    let secret: Uint8Array | undefined;
    try {
      secret = await get<Uint8Array>(key, this.#store) ?? this.#takeLegacy(role);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot read IndexedDB', { cause });
    }
    let identity: Identity | null = null;
    if (secret) {
      try {
        identity = await identityFromSecretKey(secret);
      } catch {
        // A corrupt entry must not lock the person out: start a new pseudonym.
        await del(key, this.#store).catch(() => undefined);
      }
    }
    identity ??= await createIdentity();
    try {
      await set(key, identity.secretKey, this.#store);
      localStorage.removeItem(`${LEGACY_KEY}.${role}`);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot write IndexedDB', { cause });
    }
    this.events.emit('ready', role, identity);
    return identity;
  }

  #takeLegacy(role: Role): Uint8Array | undefined {
    const stored = localStorage.getItem(`${LEGACY_KEY}.${role}`);
    if (!stored || !/^[A-Za-z0-9_-]{86}$/.test(stored)) return undefined;
    const b64 = stored.replace(/-/g, '+').replace(/_/g, '/') + '==';
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  /** Forgets the loaded identities of this tab (the stored keys stay); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#loading.clear();
    this.events.clear();
  }
}
