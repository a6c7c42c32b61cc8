/**
 * The subject of a viewer's WHEP token: an HMAC of (show, viewer identity) under a key derived from
 * SESSION_SECRET for this purpose only. The SFU holds the token key, not this one, so it cannot tell who
 * watches or link one viewer across shows; signaling can recompute the subject at any time without storing a
 * link between viewer and show, which is how a ban reaches the viewer's media (chat.ts `chat:ban` ->
 * SfuEngine `evictViewer`), on every device of the viewer at once.
 */
import { createHmac } from 'node:crypto';
import { deriveSecret } from '../crypto/login.ts';

const keys = new WeakMap<Uint8Array, Promise<Uint8Array>>();

export async function viewerSubject(sessionSecret: Uint8Array, showId: string, viewerKey: string): Promise<string> {
  let key = keys.get(sessionSecret);
  if (!key) keys.set(sessionSecret, (key = deriveSecret(sessionSecret, 'sfu-viewer-subject')));
  return createHmac('sha256', await key).update(`${showId}\u0000${viewerKey}`).digest().subarray(0, 18).toString('base64url');
}
