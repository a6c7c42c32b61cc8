/**
 * Login and sessions over crypto/login.ts: challenges remembered in the store
 * until used (so any signaling process can verify them, once), session tokens
 * MACed with a key derived from SESSION_SECRET for this purpose only.
 */
import { createChallenge, deriveSecret, issueSessionToken, verifyChallengeResponse, verifySessionToken, type LoginChallenge } from '../crypto/login.ts';
import { pseudonymOf } from '../crypto/identity.ts';
import { asWireError, fail } from './errors.ts';
import type { Role } from './protocol.ts';
import type { Store } from './store.ts';

export interface Session { key: string; pseudonym: string; token: string; role: Role; expiresAt: number }

export class Auth {
  #store: Store;
  #secret: Promise<Uint8Array>;
  #audience: string;
  #ttlSeconds: number;
  #pseudonyms = new Map<string, string>();

  /**
   * @param sessionSecret Config.SESSION_SECRET
   * @param audience the origin clients see, bound into every challenge
   * @param ttlSeconds session token lifetime
   */
  constructor(store: Store, sessionSecret: Uint8Array, audience: string, ttlSeconds: number) {
    this.#store = store;
    this.#secret = deriveSecret(sessionSecret, 'signaling-session');
    this.#audience = audience;
    this.#ttlSeconds = Math.min(ttlSeconds, 86_400);
  }

  get audience(): string {
    return this.#audience;
  }

  set audience(value: string) {
    this.#audience = value;
  }

  /**
   * The audience for one connection: its Origin when the page is same-origin
   * with the server it connected to (the usual case: signaling serves the
   * client), else the configured audience.
   */
  audienceFor(origin: string | undefined, host: string | undefined): string {
    if (origin && origin === this.#audience) return origin;
    try {
      if (origin && host && new URL(origin).host === host) return origin;
    } catch { /* not a URL: use the configured audience */ }
    return this.#audience;
  }

  async challenge(audience: string): Promise<LoginChallenge> {
    const c = await createChallenge({ audience, ttlSeconds: 120 });
    await this.#store.issueChallenge(c.nonce, (c.expiresAt - c.issuedAt) * 1000);
    return c;
  }

  /** Verifies a signed challenge (single use) and opens a session. */
  async login(publicKey: string, challenge: string, signature: string, audience: string, role: Role): Promise<Session> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(challenge);
    } catch {
      fail('LOGIN_FAILED', 'challenge: not the string session:challenge answered');
    }
    const { publicKey: key } = await asWireError('LOGIN_FAILED', '', () => verifyChallengeResponse({ challenge: parsed, publicKey, signature }, {
      audience,
      consume: (nonce) => this.#store.consumeChallenge(nonce),
    }));
    return this.#session(key, role);
  }

  /** Verifies a session token and issues a fresh one (sliding sessions); the role is the session's unless given. */
  async resume(token: string, role?: Role): Promise<Session> {
    const secret = await this.#secret;
    const claims = await asWireError('SESSION_EXPIRED', 'token', () => verifySessionToken(secret, token));
    const stored = await this.#store.sessionRole(claims.sessionId);
    return this.#session(claims.publicKey, role ?? (stored === 'model' ? 'model' : 'client'));
  }

  /** The identity of a valid session token (no new token). */
  async verify(token: string): Promise<string> {
    const secret = await this.#secret;
    return (await asWireError('SESSION_EXPIRED', 'token', () => verifySessionToken(secret, token))).publicKey;
  }

  async pseudonym(key: string): Promise<string> {
    let p = this.#pseudonyms.get(key);
    if (p === undefined) {
      p = await pseudonymOf(key);
      if (this.#pseudonyms.size > 50_000) this.#pseudonyms.clear();
      this.#pseudonyms.set(key, p);
    }
    return p;
  }

  async #session(key: string, role: Role): Promise<Session> {
    const secret = await this.#secret;
    const token = await issueSessionToken(secret, key, this.#ttlSeconds);
    const { sessionId } = await verifySessionToken(secret, token);
    // Only the role, under the token's random id, for as long as the token lives.
    await this.#store.setSessionRole(sessionId, role, this.#ttlSeconds * 1000);
    return { key, pseudonym: await this.pseudonym(key), token, role, expiresAt: Date.now() + this.#ttlSeconds * 1000 };
  }
}
