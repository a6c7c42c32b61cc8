/**
 * The key of WHIP/WHEP tokens: derived from SESSION_SECRET for this purpose only (crypto/login.ts
 * `deriveSecret`), never the raw secret, so an SFU token and a session token never share a key. Signaling
 * mints with it (shows.ts) and the SFU router checks with it (platform.ts).
 */
import { deriveSecret } from '../crypto/login.ts';

export function sfuTokenKey(sessionSecret: Uint8Array): Promise<Uint8Array> {
  return deriveSecret(sessionSecret, 'sfu-token');
}
