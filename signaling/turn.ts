/**
 * TURN REST API credentials (coturn `use-auth-secret`): the username is
 * `<unix expiry>:<random id>`, the password base64(HMAC-SHA1(secret, username)).
 * The random part is fresh per call, so a credential names no one and two
 * sessions never share one.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { TurnCredentials } from './protocol.ts';

export function turnCredentials(urls: string[], secret: string, ttlSeconds: number, now = Date.now()): TurnCredentials {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:${randomBytes(12).toString('base64url')}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { urls, username, credential, ttlSeconds };
}
