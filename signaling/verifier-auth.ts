/**
 * The signed `Authorization` header of the verifier HTTP API (see account.ts).
 * The format and the signing live in crypto/verifier-auth.ts (the verifier CLI
 * signs with it); this module only gives signaling a synchronous check.
 */
import { ready } from '../crypto/sodium.ts';
import { checkVerifierAuthorizationSync } from '../crypto/verifier-auth.ts';

export { VERIFIER_REQUEST_CONTEXT, VERIFIER_REQUEST_SKEW, verifierAuthorization } from '../crypto/verifier-auth.ts';

// account.ts checks the header synchronously inside its request handler, so
// libsodium must be loaded before any request can arrive.
await ready();

/** The verifier key of a valid header for this request among `trusted`, else null. */
export function checkVerifierAuthorization(header: string | undefined, method: string, path: string, trusted: readonly string[], nowSeconds = Date.now() / 1000): string | null {
  return checkVerifierAuthorizationSync(header, method, path, trusted, nowSeconds);
}
