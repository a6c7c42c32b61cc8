/**
 * Errors of the crypto module. Every public function of `crypto/` throws a
 * `CryptoError` with one of these stable codes, never a raw libsodium or
 * ethers exception (the original goes into `cause`, which `toJSON` omits).
 */
import { PlatformError } from './errors.ts';

/** Stable codes of `CryptoError`; callers branch on these, the wire carries them. */
export const CRYPTO_ERROR_CODES = [
  /** Not base64url, wrong length, bad UTF-8 or a malformed container. */
  'CRYPTO_BAD_ENCODING',
  /** A well-encoded argument with a wrong value (empty id, bad TTL, unknown version...). */
  'CRYPTO_BAD_INPUT',
  /** A key of the wrong size, or a public key that is not a valid curve point. */
  'CRYPTO_BAD_KEY',
  /** A signature that does not verify under the claimed key. */
  'CRYPTO_BAD_SIGNATURE',
  /** Authenticated decryption failed: tampered data, wrong key or wrong binding. */
  'CRYPTO_DECRYPT_FAILED',
  /** The passphrase does not open the exported identity (or the blob was altered). */
  'CRYPTO_BAD_PASSPHRASE',
  /** The login challenge is past its expiry (or issued in the future). */
  'CRYPTO_CHALLENGE_EXPIRED',
  /** The login challenge was already used, or was never issued by this server. */
  'CRYPTO_CHALLENGE_REPLAYED',
  /** The login challenge was issued for another audience (origin). */
  'CRYPTO_CHALLENGE_AUDIENCE',
  /** The session token is past its expiry. */
  'CRYPTO_TOKEN_EXPIRED',
  /** The session token is malformed or its MAC does not verify. */
  'CRYPTO_TOKEN_INVALID',
  /** A wrapped data key names a master key id that the keyring does not hold. */
  'CRYPTO_UNKNOWN_KEY_ID',
  /** The user's data key was destroyed (or never existed): the records are gone. */
  'CRYPTO_KEY_DESTROYED',
  /** The attestation is signed by a key that is not a configured verifier. */
  'CRYPTO_UNTRUSTED_VERIFIER',
  /** The attestation is valid but says the model is not an adult, or is for another model. */
  'CRYPTO_NOT_ADULT',
  /** The attestation is issued in the future or older than the accepted age. */
  'CRYPTO_ATTESTATION_EXPIRED',
  /** A signed statement is valid but about another session, key or fingerprint than expected. */
  'CRYPTO_STATEMENT_MISMATCH',
  /** An unexpected failure inside the crypto library (a bug, not bad input). */
  'CRYPTO_INTERNAL',
] as const;

export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

export class CryptoError extends PlatformError<CryptoErrorCode> {}

/** True when `err` is a CryptoError, optionally with a given code. */
export function isCryptoError(err: unknown, code?: CryptoErrorCode): err is CryptoError {
  return err instanceof CryptoError && (code === undefined || err.code === code);
}
