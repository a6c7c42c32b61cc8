/**
 * The signed `Authorization` header of the verifier HTTP API (signaling
 * `GET /verifier/pending`):
 * `LiveCam-Verifier <verifierKey>.<unixSeconds>.<signature>`, the signature
 * being Ed25519 by the verifier's identity over
 * `livecam/verifier-request/v1 \0 <METHOD> <path> <unixSeconds>`.
 *
 * Browser-safe (libsodium only): the verifier CLI signs with it, signaling
 * checks with it. The timestamp limits replay of a captured header to
 * ±`VERIFIER_REQUEST_SKEW` seconds, for the one method and path it signs.
 */
import { CryptoError } from './crypto-error.ts';
import { fromBase64url, toBase64url, utf8 } from './encoding.ts';
import type { Identity } from './identity.ts';
import { ready, readySync, type Sodium } from './sodium.ts';

export const VERIFIER_REQUEST_CONTEXT = 'livecam/verifier-request/v1';
/** Accepted clock difference, seconds. */
export const VERIFIER_REQUEST_SKEW = 120;
/** The authorization scheme name. */
export const VERIFIER_AUTH_SCHEME = 'LiveCam-Verifier';

const HEADER = /^LiveCam-Verifier ([A-Za-z0-9_-]{43})\.(\d{1,12})\.([A-Za-z0-9_-]{86})$/;
const METHOD = /^[A-Z]{1,16}$/;
// An absolute path without whitespace, query or fragment: the server compares it literally.
const PATH = /^\/[!$&'()*+,;=:@%A-Za-z0-9._~/-]{0,1023}$/;

/** The parts of a well-formed header (not yet checked). */
export interface VerifierAuthorization {
  /** The verifier's Ed25519 public key, base64url. */
  verifierKey: string;
  /** The signed timestamp exactly as sent (it is part of the signed message). */
  timestamp: string;
  /** The Ed25519 signature (64 bytes). */
  signature: Uint8Array;
}

/** The bytes the verifier signs for one request. */
export function verifierRequestMessage(method: string, path: string, timestamp: number | string): Uint8Array {
  return utf8(`${VERIFIER_REQUEST_CONTEXT}\u0000${method} ${path} ${timestamp}`);
}

/** The header value a verifier sends. Throws CRYPTO_BAD_INPUT on a bad method, path or time. */
export async function verifierAuthorization(verifier: Identity, method: string, path: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  if (!METHOD.test(method)) throw new CryptoError('CRYPTO_BAD_INPUT', `method: expected an upper-case HTTP method, got ${JSON.stringify(method)}`);
  if (!PATH.test(path)) throw new CryptoError('CRYPTO_BAD_INPUT', 'path: expected an absolute path without query or whitespace');
  if (!Number.isSafeInteger(nowSeconds) || nowSeconds < 0 || nowSeconds > 999_999_999_999) {
    throw new CryptoError('CRYPTO_BAD_INPUT', 'nowSeconds: expected a non-negative integer of at most 12 digits');
  }
  if (!(verifier?.secretKey instanceof Uint8Array) || verifier.secretKey.length !== 64) throw new CryptoError('CRYPTO_BAD_KEY', 'verifier: expected an identity with a 64-byte secret key');
  const s = await ready();
  let signature: Uint8Array;
  try {
    signature = s.crypto_sign_detached(verifierRequestMessage(method, path, nowSeconds), verifier.secretKey);
  } catch (cause) {
    throw new CryptoError('CRYPTO_INTERNAL', 'signing the verifier request failed', { cause });
  }
  return `${VERIFIER_AUTH_SCHEME} ${verifier.publicKey}.${nowSeconds}.${toBase64url(signature)}`;
}

/** Splits a header into its parts, or null when it is not a well-formed verifier header. */
export function parseVerifierAuthorization(header: string | undefined | null): VerifierAuthorization | null {
  const m = HEADER.exec(typeof header === 'string' ? header : '');
  if (!m) return null;
  const [, verifierKey, timestamp, sig] = m as unknown as [string, string, string, string];
  try {
    fromBase64url(verifierKey, 32);
    return { verifierKey, timestamp, signature: fromBase64url(sig, 64) };
  } catch {
    return null; // non-canonical base64url: one header has one spelling
  }
}

function check(s: Sodium, header: string | undefined | null, method: string, path: string, trusted: readonly string[], nowSeconds: number): string | null {
  const parsed = parseVerifierAuthorization(header);
  if (!parsed || !trusted.includes(parsed.verifierKey)) return null;
  if (!(Math.abs(nowSeconds - Number(parsed.timestamp)) <= VERIFIER_REQUEST_SKEW)) return null;
  try {
    const ok = s.crypto_sign_verify_detached(parsed.signature, verifierRequestMessage(method, path, parsed.timestamp), fromBase64url(parsed.verifierKey, 32));
    return ok ? parsed.verifierKey : null;
  } catch {
    return null; // e.g. a key that is not a curve point
  }
}

/** The verifier key of a valid header for this request among `trusted`, else null. */
export async function checkVerifierAuthorization(header: string | undefined | null, method: string, path: string, trusted: readonly string[], nowSeconds = Date.now() / 1000): Promise<string | null> {
  return check(await ready(), header, method, path, trusted, nowSeconds);
}

/**
 * Synchronous `checkVerifierAuthorization`, for request handlers, once
 * `ready()` has resolved. Throws CRYPTO_INTERNAL if libsodium is not loaded yet.
 */
export function checkVerifierAuthorizationSync(header: string | undefined | null, method: string, path: string, trusted: readonly string[], nowSeconds = Date.now() / 1000): string | null {
  const s = readySync();
  if (!s) throw new CryptoError('CRYPTO_INTERNAL', 'libsodium is not ready: await ready() first');
  return check(s, header, method, path, trusted, nowSeconds);
}
