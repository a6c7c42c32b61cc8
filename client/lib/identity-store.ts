/**
 * The browser's identity: made on first visit, kept in this browser's
 * localStorage only (the server never sees the secret key). Moving devices
 * uses the passphrase export from crypto/identity.ts.
 */
import { createIdentity, identityFromSecretKey, type Identity } from '../../crypto/identity.ts';
import { fromBase64url, toBase64url } from '../../crypto/encoding.ts';

const STORAGE_KEY = 'livecam.identity.v1';

/** Load this browser's identity for `role`, creating one on first use. */
export async function loadOrCreateIdentity(role: 'model' | 'client'): Promise<Identity> {
  // Models and clients get separate keys so watching never links to performing.
  const key = `${STORAGE_KEY}.${role}`;
  const stored = localStorage.getItem(key);
  if (stored) {
    try {
      return await identityFromSecretKey(fromBase64url(stored, 64, 'stored identity'));
    } catch {
      // A corrupt entry must not lock the user out: start a new pseudonym.
      localStorage.removeItem(key);
    }
  }
  const identity = await createIdentity();
  localStorage.setItem(key, toBase64url(identity.secretKey));
  return identity;
}
