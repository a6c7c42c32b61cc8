/**
 * Identity keys this browser has seen, pinned by pseudonym (IndexedDB). The peer's key in a call is never the
 * server's word alone: a client arrives by a link carrying the model's key (`#/watch/<key>`), the key the server
 * announces for the session must equal it, and a pseudonym already known with one key is refused with another
 * (pseudonyms are short, so a look-alike key can be ground; the pin catches it).
 */
import { createStore, get, update, values, type UseStore } from 'idb-keyval';
import { ClientError } from '../errors.ts';

export interface KeyPin {
  key: string;
  pseudonym: string;
  /** Where it was first seen: a link the person followed, or a call's announcement. */
  source: 'link' | 'call';
  /** ms since the epoch. */
  firstSeen: number;
}

export interface KeyPinsOptions {
  /** IndexedDB database name (default `livecam-pins`; tests use their own). */
  dbName?: string;
}

export class KeyPins {
  readonly #store: UseStore;
  #closed = false;

  constructor(options: KeyPinsOptions = {}) {
    this.#store = createStore(options.dbName ?? 'livecam-pins', 'pins');
  }

  /**
   * Pins `key` under its pseudonym (derived from the key, never taken from the server), or confirms the pin.
   * Throws KEY_CHANGED when that pseudonym is pinned to another key.
   */
  async pin(key: string, source: KeyPin['source']): Promise<KeyPin> {
    this.#open();
    let pseudonym: string;
    try {
      // libsodium loads with the first pin, not with the page.
      const { pseudonymOf } = await import('../../crypto/identity.ts');
      pseudonym = await pseudonymOf(key);
    } catch (cause) {
      throw new ClientError('PEER_KEY_MISMATCH', 'not a valid identity key', { cause });
    }
    let pinned: KeyPin | undefined;
    try {
      await update<KeyPin>(pseudonym, (old) => {
        pinned = old ?? { key, pseudonym, source, firstSeen: Date.now() };
        return pinned;
      }, this.#store);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot store key pins', { cause });
    }
    if (pinned!.key !== key) throw new ClientError('KEY_CHANGED', `${pseudonym} is pinned to another key`);
    return pinned!;
  }

  /**
   * The check a call makes on the key the server announces for the peer: it must equal the key this browser
   * expects (the link's, for a model), its pseudonym must be the one the server shows, and the pin must hold.
   */
  async checkAnnounced(announced: { key: string; pseudonym: string }, expectedKey?: string): Promise<KeyPin> {
    if (expectedKey !== undefined && announced.key !== expectedKey) {
      throw new ClientError('PEER_KEY_MISMATCH', 'the server named another key than the one in the link');
    }
    const pin = await this.pin(announced.key, 'call');
    if (pin.pseudonym !== announced.pseudonym) throw new ClientError('PEER_KEY_MISMATCH', 'the server shows a pseudonym that is not this key\'s');
    return pin;
  }

  /** The pin of a pseudonym, if any. */
  async lookup(pseudonym: string): Promise<KeyPin | undefined> {
    this.#open();
    return get<KeyPin>(pseudonym, this.#store);
  }

  async list(): Promise<KeyPin[]> {
    this.#open();
    return values<KeyPin>(this.#store);
  }

  /** Idempotent; the pins stay stored. */
  close(): void {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new ClientError('CONFLICT', 'key pins are closed');
  }
}
