/**
 * Pseudonymous identities: an Ed25519 key pair made on the user's device, a
 * short deterministic pseudonym for display, and a passphrase-protected export
 * (Argon2id + XSalsa20-Poly1305 secretbox) to move the identity to another device.
 *
 * The public key (base64url, 43 characters) is the user's only id on the
 * server. The pseudonym is for humans: ~29 bits, so two users may share one;
 * never use it as a key.
 */
import { CryptoError } from './crypto-error.ts';
import { concatBytes, fromBase64url, toBase64url, utf8 } from './encoding.ts';
import { asInt, asObject, asString, decodePublicKey } from './statement.ts';
import { randomBytes, ready, type Sodium } from './sodium.ts';
import { ADJECTIVES, NOUNS } from './words.ts';

/** A user's key pair. Keep `secretKey` on the device; only `publicKey` travels. */
export interface Identity {
  /** Ed25519 public key, base64url (43 characters): the user's id. */
  readonly publicKey: string;
  /** Ed25519 secret key (64 bytes: seed then public key). */
  readonly secretKey: Uint8Array;
  /** Display name derived from the public key, e.g. `brave-otter-0421`. */
  readonly pseudonym: string;
}

/** Options of `exportIdentity`. */
export interface ExportOptions {
  /** Argon2id passes (default libsodium's INTERACTIVE, 2). */
  opsLimit?: number;
  /** Argon2id memory in bytes (default libsodium's INTERACTIVE, 64 MiB). */
  memLimit?: number;
}

const EXPORT_KIND = 'livecam-identity';
const MIN_PASSPHRASE = 8;
/** Upper bounds on imported KDF costs, so a crafted blob cannot exhaust a browser. */
const MAX_OPS = 16;
const MAX_MEM = 512 * 1024 * 1024;

/** Make a fresh identity from the system CSPRNG (WebCrypto getRandomValues, browser and Node). */
export async function createIdentity(): Promise<Identity> {
  const s = await ready();
  try {
    const seed = randomBytes(32);
    const kp = s.crypto_sign_seed_keypair(seed);
    s.memzero(seed);
    return fromKeyPair(s, kp.publicKey, kp.privateKey);
  } catch (err) {
    throw new CryptoError('CRYPTO_INTERNAL', 'key generation failed', { cause: err });
  }
}

/** Rebuild an identity from its 64-byte secret key (checks the embedded public key). */
export async function identityFromSecretKey(secretKey: Uint8Array): Promise<Identity> {
  const s = await ready();
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== s.crypto_sign_SECRETKEYBYTES) {
    throw new CryptoError('CRYPTO_BAD_KEY', 'expected a 64-byte Ed25519 secret key');
  }
  const kp = seedKeyPair(s, secretKey.subarray(0, 32));
  if (!s.memcmp(kp.publicKey, secretKey.subarray(32))) {
    throw new CryptoError('CRYPTO_BAD_KEY', 'secret key does not match its public half');
  }
  return fromKeyPair(s, kp.publicKey, kp.privateKey);
}

/**
 * Short, human-friendly, deterministic name of a public key:
 * `adjective-noun-NNNN` from BLAKE2b over a domain tag and the key.
 */
export async function pseudonymOf(publicKey: string): Promise<string> {
  const s = await ready();
  return pseudonymFromBytes(s, decodePublicKey(publicKey));
}

function pseudonymFromBytes(s: Sodium, pk: Uint8Array): string {
  const h = s.crypto_generichash(16, concatBytes(utf8('livecam/pseudonym/v1'), pk), null);
  const n = ((h[2]! << 16) | (h[3]! << 8) | h[4]!) % 10000;
  return `${ADJECTIVES[h[0]!]}-${NOUNS[h[1]!]}-${String(n).padStart(4, '0')}`;
}

/**
 * Encrypt the identity under a passphrase for moving devices. The result is a
 * JSON string safe to show as a file or a QR payload; it reveals the public key.
 */
export async function exportIdentity(identity: Identity, passphrase: string, options: ExportOptions = {}): Promise<string> {
  const s = await ready();
  const seed = checkedSeed(s, identity);
  const ops = options.opsLimit ?? s.crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const mem = options.memLimit ?? s.crypto_pwhash_MEMLIMIT_INTERACTIVE;
  checkKdfCost(s, ops, mem);
  const salt = randomBytes(s.crypto_pwhash_SALTBYTES);
  const key = deriveKey(s, passphrase, salt, ops, mem);
  try {
    const nonce = randomBytes(s.crypto_secretbox_NONCEBYTES);
    const pk = fromBase64url(identity.publicKey, 32, 'public key');
    const box = s.crypto_secretbox_easy(concatBytes(seed, pk), nonce, key);
    return JSON.stringify({
      v: 1, kind: EXPORT_KIND, kdf: 'argon2id13', ops, mem,
      salt: toBase64url(salt), nonce: toBase64url(nonce), box: toBase64url(box), publicKey: identity.publicKey,
    });
  } finally {
    s.memzero(key);
  }
}

/**
 * Decrypt an exported identity. A wrong passphrase (or an altered blob, which
 * cannot be told apart) is CRYPTO_BAD_PASSPHRASE; a malformed blob is CRYPTO_BAD_ENCODING.
 */
export async function importIdentity(blob: string, passphrase: string): Promise<Identity> {
  const s = await ready();
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof blob === 'string' ? blob : '');
  } catch (err) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', 'identity export: not JSON', { cause: err });
  }
  const o = asObject(parsed, 'identity export');
  if (o.v !== 1 || o.kind !== EXPORT_KIND || o.kdf !== 'argon2id13') {
    throw new CryptoError('CRYPTO_BAD_ENCODING', 'identity export: unknown format or version');
  }
  const ops = asInt(o.ops, 'identity export ops');
  const mem = asInt(o.mem, 'identity export mem');
  checkKdfCost(s, ops, mem);
  const salt = fromBase64url(o.salt, s.crypto_pwhash_SALTBYTES, 'identity export salt');
  const nonce = fromBase64url(o.nonce, s.crypto_secretbox_NONCEBYTES, 'identity export nonce');
  const box = fromBase64url(asString(o.box, 'identity export box', 200), 64 + s.crypto_secretbox_MACBYTES, 'identity export box');
  const claimed = decodePublicKey(o.publicKey, 'identity export public key');
  const key = deriveKey(s, passphrase, salt, ops, mem);
  let inner: Uint8Array;
  try {
    inner = s.crypto_secretbox_open_easy(box, nonce, key);
  } catch (err) {
    throw new CryptoError('CRYPTO_BAD_PASSPHRASE', 'wrong passphrase or altered identity export', { cause: err });
  } finally {
    s.memzero(key);
  }
  const kp = seedKeyPair(s, inner.subarray(0, 32));
  const ok = s.memcmp(kp.publicKey, inner.subarray(32)) && s.memcmp(kp.publicKey, claimed);
  s.memzero(inner);
  if (!ok) throw new CryptoError('CRYPTO_DECRYPT_FAILED', 'identity export: public key does not match the secret key');
  return fromKeyPair(s, kp.publicKey, kp.privateKey);
}

function fromKeyPair(s: Sodium, publicKey: Uint8Array, secretKey: Uint8Array): Identity {
  return Object.freeze({ publicKey: toBase64url(publicKey), secretKey, pseudonym: pseudonymFromBytes(s, publicKey) });
}

function seedKeyPair(s: Sodium, seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array } {
  try {
    return s.crypto_sign_seed_keypair(seed);
  } catch (err) {
    throw new CryptoError('CRYPTO_BAD_KEY', 'invalid Ed25519 seed', { cause: err });
  }
}

/** The 32-byte seed of a well-formed identity (validates the object first). */
export function checkedSeed(s: Sodium, identity: Identity): Uint8Array {
  if (typeof identity !== 'object' || identity === null || !(identity.secretKey instanceof Uint8Array)
    || identity.secretKey.length !== s.crypto_sign_SECRETKEYBYTES) {
    throw new CryptoError('CRYPTO_BAD_KEY', 'expected an identity with a 64-byte secret key');
  }
  const pk = decodePublicKey(identity.publicKey);
  if (!s.memcmp(pk, identity.secretKey.subarray(32))) {
    throw new CryptoError('CRYPTO_BAD_KEY', 'identity public key does not match its secret key');
  }
  return identity.secretKey.subarray(0, 32);
}

function checkKdfCost(s: Sodium, ops: number, mem: number): void {
  if (!Number.isSafeInteger(ops) || ops < s.crypto_pwhash_OPSLIMIT_MIN || ops > MAX_OPS
    || !Number.isSafeInteger(mem) || mem < s.crypto_pwhash_MEMLIMIT_MIN || mem > MAX_MEM) {
    throw new CryptoError('CRYPTO_BAD_INPUT', `Argon2id cost out of range (ops 1..${MAX_OPS}, mem 8 KiB..512 MiB)`);
  }
}

function deriveKey(s: Sodium, passphrase: string, salt: Uint8Array, ops: number, mem: number): Uint8Array {
  if (typeof passphrase !== 'string' || [...passphrase].length < MIN_PASSPHRASE) {
    throw new CryptoError('CRYPTO_BAD_INPUT', `passphrase: expected at least ${MIN_PASSPHRASE} characters`);
  }
  try {
    return s.crypto_pwhash(s.crypto_secretbox_KEYBYTES, utf8(passphrase.normalize('NFKC')), salt, ops, mem,
      s.crypto_pwhash_ALG_ARGON2ID13);
  } catch (err) {
    throw new CryptoError('CRYPTO_INTERNAL', 'key derivation failed (out of memory?)', { cause: err });
  }
}
