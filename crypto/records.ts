/**
 * Records at rest: every user's data is sealed under that user's own random
 * data key (XChaCha20-Poly1305-IETF); data keys are stored only wrapped by a
 * server master key (`Keyring`, same AEAD) and tagged with the master key id.
 *
 * Bindings (associated data, authenticated but not encrypted):
 * - a record is bound to `{userId, kind, recordId}`: a ciphertext moved to
 *   another user, field or record fails to open;
 * - a wrapped data key is bound to `{master key id, userId}`: it cannot be
 *   relabelled to another master key or given to another user.
 *
 * Formats (ASCII, safe as Redis values or JSON strings):
 * - record:           `r1.` + base64url(nonce[24] || ciphertext || tag[16])
 * - wrapped data key: `k1.<keyId>.` + base64url(nonce[24] || key[32] encrypted || tag[16])
 */
import { CryptoError } from './crypto-error.ts';
import { concatBytes, fromBase64url, fromUtf8, toBase64url, utf8 } from './encoding.ts';
import { randomBytes, ready, type Sodium } from './sodium.ts';
import { asString } from './statement.ts';

/** One master key of the keyring. */
export interface MasterKey {
  /** Short id stored next to every key it wraps (`[A-Za-z0-9_-]{1,32}`). */
  id: string;
  /** 32 random bytes. */
  key: Uint8Array;
}

/** What a record is bound to. */
export interface RecordBinding {
  /** Owner (pseudonymous id, e.g. the public key). */
  userId: string;
  /** What the record is, e.g. `profile`, `chat`, `age-blob`. */
  kind: string;
  /** Optional record id within (userId, kind), e.g. a message id. */
  recordId?: string;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
/** Largest plaintext accepted (the records here are profiles and messages, not media). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/**
 * The server's master keys. The first one wraps new data keys; the others
 * only unwrap, until `rewrap` has moved every data key to the first one.
 * Rotation: put a new key first, rewrap everything (`Vault.rewrapAll`), then
 * drop the old key; once dropped, old copies of wrapped keys are unreadable.
 */
export class Keyring {
  readonly #keys: Map<string, Uint8Array>;
  readonly #current: string;

  /** @param keys master keys, current first; ids unique, keys 32 bytes (copied). */
  constructor(keys: readonly MasterKey[]) {
    if (!Array.isArray(keys) || keys.length === 0) throw new CryptoError('CRYPTO_BAD_KEY', 'keyring: expected at least one master key');
    this.#keys = new Map();
    for (const k of keys) {
      if (typeof k?.id !== 'string' || !KEY_ID.test(k.id)) throw new CryptoError('CRYPTO_BAD_KEY', 'keyring: key id must match [A-Za-z0-9_-]{1,32}');
      if (!(k.key instanceof Uint8Array) || k.key.length !== KEY_BYTES) throw new CryptoError('CRYPTO_BAD_KEY', `keyring: key ${k.id} must be 32 bytes`);
      if (this.#keys.has(k.id)) throw new CryptoError('CRYPTO_BAD_KEY', `keyring: duplicate key id ${k.id}`);
      this.#keys.set(k.id, Uint8Array.from(k.key));
    }
    this.#current = keys[0]!.id;
  }

  /**
   * Parse the `MASTER_KEYS` format: `id:base64key,id:base64key` (standard or
   * URL-safe base64 of 32 bytes), current first.
   */
  static parse(spec: string): Keyring {
    if (typeof spec !== 'string' || spec.trim() === '') throw new CryptoError('CRYPTO_BAD_ENCODING', 'keyring: empty');
    return new Keyring(spec.split(',').map((pair) => {
      const [id, b64, extra] = pair.trim().split(':');
      if (id === undefined || b64 === undefined || extra !== undefined) throw new CryptoError('CRYPTO_BAD_ENCODING', 'keyring: expected id:base64 pairs');
      const urlSafe = b64.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
      return { id, key: fromBase64url(urlSafe, KEY_BYTES, `master key ${id}`) };
    }));
  }

  /** A fresh random master key with the given id. */
  static async generateKey(id: string): Promise<MasterKey> {
    const s = await ready();
    if (typeof id !== 'string' || !KEY_ID.test(id)) throw new CryptoError('CRYPTO_BAD_KEY', 'key id must match [A-Za-z0-9_-]{1,32}');
    return { id, key: randomBytes(KEY_BYTES) };
  }

  /** Serialize to the `MASTER_KEYS` format (secret: store like a password). */
  serialize(): string {
    return [...this.#keys].map(([id, key]) => `${id}:${toBase64url(key)}`).join(',');
  }

  /** Id of the key that wraps new data keys. */
  get currentId(): string {
    return this.#current;
  }

  /** Every key id, current first. */
  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  /** True when the keyring holds key `id`. */
  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** A new keyring with `key` as current and the present keys after it. */
  withCurrent(key: MasterKey): Keyring {
    return new Keyring([key, ...this.#entries()]);
  }

  /** A new keyring without key `id` (not the current one). */
  without(id: string): Keyring {
    if (id === this.#current) throw new CryptoError('CRYPTO_BAD_INPUT', 'cannot drop the current master key');
    return new Keyring(this.#entries().filter((k) => k.id !== id));
  }

  /** A new keyring holding only the current key (after every data key was rewrapped). */
  currentOnly(): Keyring {
    return new Keyring(this.#entries().slice(0, 1));
  }

  /** Wrap a 32-byte data key for `userId` under the current master key. */
  async wrap(dataKey: Uint8Array, userId: string): Promise<string> {
    const s = await ready();
    checkDataKey(dataKey);
    const id = this.#current;
    const nonce = randomBytes(NONCE_BYTES);
    const ct = aeadEncrypt(s, dataKey, wrapAad(id, checkUserId(userId)), nonce, this.#keys.get(id)!);
    return `k1.${id}.${toBase64url(concatBytes(nonce, ct))}`;
  }

  /** Unwrap a data key of `userId`: CRYPTO_UNKNOWN_KEY_ID, CRYPTO_DECRYPT_FAILED or CRYPTO_BAD_ENCODING. */
  async unwrap(wrapped: string, userId: string): Promise<Uint8Array> {
    const s = await ready();
    const { id, body } = parseWrapped(wrapped);
    const key = this.#keys.get(id);
    if (!key) throw new CryptoError('CRYPTO_UNKNOWN_KEY_ID', `master key ${id} is not in the keyring`);
    return aeadDecrypt(s, body.subarray(NONCE_BYTES), wrapAad(id, checkUserId(userId)), body.subarray(0, NONCE_BYTES), key);
  }

  /** Re-wrap under the current master key (returns the input when already current). */
  async rewrap(wrapped: string, userId: string): Promise<string> {
    if (!this.needsRewrap(wrapped)) return wrapped;
    const s = await ready();
    const dataKey = await this.unwrap(wrapped, userId);
    try {
      return await this.wrap(dataKey, userId);
    } finally {
      s.memzero(dataKey);
    }
  }

  /** True when `wrapped` is under another key than the current one. */
  needsRewrap(wrapped: string): boolean {
    return parseWrapped(wrapped).id !== this.#current;
  }

  /** Overwrite the key bytes in memory (the keyring is unusable afterwards). */
  async destroy(): Promise<void> {
    const s = await ready();
    for (const key of this.#keys.values()) s.memzero(key);
    this.#keys.clear();
  }

  #entries(): MasterKey[] {
    return [...this.#keys].map(([id, key]) => ({ id, key }));
  }
}

/** The master key id a wrapped data key names. */
export function keyIdOf(wrapped: string): string {
  return parseWrapped(wrapped).id;
}

/** A fresh random 32-byte data key. */
export async function generateDataKey(): Promise<Uint8Array> {
  const s = await ready();
  return randomBytes(KEY_BYTES);
}

/** Seal a record (bytes or UTF-8 text) under a user's data key, bound to `binding`. */
export async function sealRecord(dataKey: Uint8Array, plaintext: Uint8Array | string, binding: RecordBinding): Promise<string> {
  const s = await ready();
  checkDataKey(dataKey);
  const bytes = typeof plaintext === 'string' ? utf8(plaintext) : plaintext;
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('CRYPTO_BAD_INPUT', 'record: expected bytes or a string');
  if (bytes.length > MAX_RECORD_BYTES) throw new CryptoError('CRYPTO_BAD_INPUT', 'record: too large');
  const nonce = randomBytes(NONCE_BYTES);
  return `r1.${toBase64url(concatBytes(nonce, aeadEncrypt(s, bytes, recordAad(binding), nonce, dataKey)))}`;
}

/** Open a sealed record; any tampering, wrong key or wrong binding is CRYPTO_DECRYPT_FAILED. */
export async function openRecord(dataKey: Uint8Array, sealed: string, binding: RecordBinding): Promise<Uint8Array> {
  const s = await ready();
  checkDataKey(dataKey);
  if (typeof sealed !== 'string' || !sealed.startsWith('r1.')) throw new CryptoError('CRYPTO_BAD_ENCODING', 'record: expected r1.<base64url>');
  const body = fromBase64url(sealed.slice(3), undefined, 'record');
  if (body.length < NONCE_BYTES + TAG_BYTES) throw new CryptoError('CRYPTO_BAD_ENCODING', 'record: truncated');
  return aeadDecrypt(s, body.subarray(NONCE_BYTES), recordAad(binding), body.subarray(0, NONCE_BYTES), dataKey);
}

/** `openRecord` then strict UTF-8 decoding. */
export async function openRecordText(dataKey: Uint8Array, sealed: string, binding: RecordBinding): Promise<string> {
  return fromUtf8(await openRecord(dataKey, sealed, binding), 'record');
}

function parseWrapped(wrapped: unknown): { id: string; body: Uint8Array } {
  if (typeof wrapped !== 'string') throw new CryptoError('CRYPTO_BAD_ENCODING', 'wrapped key: expected a string');
  const parts = wrapped.split('.');
  if (parts.length !== 3 || parts[0] !== 'k1' || !KEY_ID.test(parts[1]!)) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', 'wrapped key: expected k1.<keyId>.<base64url>');
  }
  return { id: parts[1]!, body: fromBase64url(parts[2], NONCE_BYTES + KEY_BYTES + TAG_BYTES, 'wrapped key') };
}

function checkDataKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) throw new CryptoError('CRYPTO_BAD_KEY', 'data key: expected 32 bytes');
}

function checkUserId(userId: unknown): string {
  return asString(userId, 'userId', 256);
}

function wrapAad(keyId: string, userId: string): Uint8Array {
  return utf8(`livecam/wrapped-data-key/v1\u0000${JSON.stringify([keyId, userId])}`);
}

function recordAad(b: RecordBinding): Uint8Array {
  if (typeof b !== 'object' || b === null) throw new CryptoError('CRYPTO_BAD_INPUT', 'record binding: expected {userId, kind}');
  const userId = checkUserId(b.userId);
  const kind = asString(b.kind, 'kind', 64);
  const recordId = b.recordId === undefined ? '' : asString(b.recordId, 'recordId', 256);
  return utf8(`livecam/record/v1\u0000${JSON.stringify([userId, kind, recordId])}`);
}

function aeadEncrypt(s: Sodium, plaintext: Uint8Array, aad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key);
  } catch (err) {
    throw new CryptoError('CRYPTO_INTERNAL', 'encryption failed', { cause: err });
  }
}

function aeadDecrypt(s: Sodium, ciphertext: Uint8Array, aad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, aad, nonce, key);
  } catch (err) {
    throw new CryptoError('CRYPTO_DECRYPT_FAILED', 'decryption failed: tampered data, wrong key or wrong binding', { cause: err });
  }
}
