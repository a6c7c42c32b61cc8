/**
 * The signed `Authorization` header of the verifier HTTP API (see account.ts):
 * `LiveCam-Verifier <verifierKey>.<unixSeconds>.<signature>`, the signature
 * being Ed25519 by the verifier's identity over
 * `livecam/verifier-request/v1 \0 <METHOD> <path> <unixSeconds>`.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { Identity } from '../crypto/identity.ts';
import { toBase64url } from '../crypto/encoding.ts';
import { ready } from '../crypto/sodium.ts';

export const VERIFIER_REQUEST_CONTEXT = 'livecam/verifier-request/v1';
/** Accepted clock difference, seconds. */
export const VERIFIER_REQUEST_SKEW = 120;

function message(method: string, path: string, ts: number | string): Buffer {
  return Buffer.from(`${VERIFIER_REQUEST_CONTEXT}\u0000${method} ${path} ${ts}`, 'utf8');
}

/** The header value a verifier sends (e.g. from a script next to `npm run verifier`). */
export async function verifierAuthorization(verifier: Identity, method: string, path: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  const s = await ready();
  const signature = toBase64url(s.crypto_sign_detached(message(method, path, nowSeconds), verifier.secretKey));
  return `LiveCam-Verifier ${verifier.publicKey}.${nowSeconds}.${signature}`;
}

/** The verifier key of a valid header for this request among `trusted`, else null. */
export function checkVerifierAuthorization(header: string | undefined, method: string, path: string, trusted: readonly string[], nowSeconds = Date.now() / 1000): string | null {
  const m = /^LiveCam-Verifier ([A-Za-z0-9_-]{43})\.(\d{1,12})\.([A-Za-z0-9_-]{86})$/.exec(header ?? '');
  if (!m) return null;
  const [, key, ts, sig] = m as unknown as [string, string, string, string];
  if (!trusted.includes(key)) return null;
  if (Math.abs(nowSeconds - Number(ts)) > VERIFIER_REQUEST_SKEW) return null;
  try {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key }, format: 'jwk' });
    return verify(null, message(method, path, ts), publicKey, Buffer.from(sig, 'base64url')) ? key : null;
  } catch {
    return null;
  }
}
