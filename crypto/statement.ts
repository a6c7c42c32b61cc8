/**
 * Domain-separated Ed25519 signatures over typed statements, and the small
 * input checks every module uses.
 *
 * Every kind of signed statement has its own context string (`CONTEXTS`); the
 * signed message is `context || 0x00 || JSON of the fields in a fixed order`.
 * Contexts contain no NUL, so a signature made for one kind (say a login
 * challenge) can never verify as another kind (say a DTLS fingerprint), even
 * if an attacker controls every field.
 */
import { CryptoError } from './crypto-error.ts';
import { concatBytes, fromBase64url, toBase64url, utf8 } from './encoding.ts';
import { ready } from './sodium.ts';

/** Context prefixes of every signed statement kind; one per kind, never reused. */
export const CONTEXTS = {
  login: 'livecam/login-challenge/v1',
  walletBinding: 'livecam/wallet-binding/v1',
  ageSubmission: 'livecam/age-submission/v1',
  ageAttestation: 'livecam/age-attestation/v1',
  dtlsFingerprint: 'livecam/dtls-fingerprint/v1',
} as const;

export type StatementKind = keyof typeof CONTEXTS;
export type StatementFields = Record<string, string | number | boolean>;

/** The exact bytes signed for a statement (fields in the caller's fixed order). */
export function statementBytes(kind: StatementKind, fields: StatementFields): Uint8Array {
  return concatBytes(utf8(CONTEXTS[kind]), new Uint8Array([0]), utf8(JSON.stringify(fields)));
}

/** Sign a statement with a 64-byte Ed25519 secret key; base64url signature. */
export async function signStatement(kind: StatementKind, fields: StatementFields, secretKey: Uint8Array): Promise<string> {
  const s = await ready();
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== s.crypto_sign_SECRETKEYBYTES) {
    throw new CryptoError('CRYPTO_BAD_KEY', 'expected a 64-byte Ed25519 secret key');
  }
  try {
    return toBase64url(s.crypto_sign_detached(statementBytes(kind, fields), secretKey));
  } catch (err) {
    throw new CryptoError('CRYPTO_INTERNAL', 'signing failed', { cause: err });
  }
}

/** Verify a statement signature; throws CRYPTO_BAD_SIGNATURE (or BAD_ENCODING/BAD_KEY for malformed input). */
export async function verifyStatement(kind: StatementKind, fields: StatementFields, signature: unknown, publicKey: unknown): Promise<void> {
  const s = await ready();
  const pk = decodePublicKey(publicKey);
  const sig = fromBase64url(signature, s.crypto_sign_BYTES, 'signature');
  let ok = false;
  try {
    ok = s.crypto_sign_verify_detached(sig, statementBytes(kind, fields), pk);
  } catch {
    ok = false;
  }
  if (!ok) throw new CryptoError('CRYPTO_BAD_SIGNATURE', `invalid ${kind} signature`);
}

/** Decode a base64url Ed25519 public key (43 characters, 32 bytes). */
export function decodePublicKey(publicKey: unknown, what = 'public key'): Uint8Array {
  if (typeof publicKey !== 'string' || publicKey.length !== 43) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: expected 43 base64url characters`);
  }
  return fromBase64url(publicKey, 32, what);
}

// ---- input checks (values arrive from the network: never trust their shape) ----

/** Assert a plain object. */
export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: expected an object`);
  }
  return value as Record<string, unknown>;
}

/** Assert a non-empty string of at most `max` characters. */
export function asString(value: unknown, what: string, max = 256): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: expected a string of 1 to ${max} characters`);
  }
  return value;
}

/** Assert a safe non-negative integer. */
export function asInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: expected a non-negative integer`);
  }
  return value;
}

/** Assert a boolean. */
export function asBool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: expected true or false`);
  return value;
}

/** Current time in whole seconds (the unit of every timestamp here). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Validate an optional caller-supplied `now` (seconds). */
export function resolveNow(now: number | undefined): number {
  if (now === undefined) return nowSeconds();
  if (!Number.isSafeInteger(now) || now < 0) throw new CryptoError('CRYPTO_BAD_INPUT', 'now: expected whole seconds');
  return now;
}
