/**
 * Login and sessions over crypto/login.ts: challenges remembered in the store
 * until used (so any signaling process can verify them, once), session tokens
 * MACed with a key derived from SESSION_SECRET for this purpose only.
 *
 * A token is good only while its session is in the store (`lc:sess:<id>`, with
 * the role it was opened for): logout and account deletion remove it, so a
 * copied token dies with them. Resume hands back the same token and expiry
 * instead of minting a fresh one: a session lasts `ttlSeconds` from its login
 * and then needs a new challenge (cheap: the key is in the browser). Rotation
 * would also work, but two tabs resuming one token at once would then revoke
 * each other's, and a leaked token would live forever by resuming itself.
 *
 * The login audience comes from configuration only: the origin of PUBLIC_URL
 * (or the address bound), plus LOGIN_ORIGINS. A request's Origin header can
 * only pick one of those, never name a new one.
 */
import { createChallenge, deriveSecret, issueSessionToken, verifyChallengeResponse, verifySessionToken, type LoginChallenge, type SessionClaims } from '../crypto/login.ts';
import { pseudonymOf } from '../crypto/identity.ts';
import { asWireError, fail } from './errors.ts';
import type { Role } from './protocol.ts';
import type { Store } from './store.ts';

export interface Session { key: string; pseudonym: string; token: string; role: Role; expiresAt: number; sessionId: string }

export class Auth {
  #store: Store;
  #secret: Promise<Uint8Array>;
  #audience: string;
  #extraOrigins: readonly string[];
  #ttlSeconds: number;
  #pseudonyms = new Map<string, string>();

  /**
   * @param sessionSecret Config.SESSION_SECRET
   * @param audience the origin clients see, bound into every challenge
   * @param ttlSeconds session token lifetime
   * @param extraOrigins Config.LOGIN_ORIGINS: other origins a page may log in from
   */
  constructor(store: Store, sessionSecret: Uint8Array, audience: string, ttlSeconds: number, extraOrigins: readonly string[] = []) {
    this.#store = store;
    this.#secret = deriveSecret(sessionSecret, 'signaling-session');
    this.#audience = audience;
    this.#extraOrigins = extraOrigins;
    this.#ttlSeconds = Math.min(ttlSeconds, 86_400);
  }

  get audience(): string {
    return this.#audience;
  }

  set audience(value: string) {
    this.#audience = value;
  }

  /** The audience for one connection: its Origin when that is a configured login origin, else the configured audience. */
  audienceFor(origin: string | undefined): string {
    if (origin !== undefined && this.#extraOrigins.includes(origin)) return origin;
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

  /**
   * The session of a valid, unrevoked token, with the role it was opened for (a `role` that differs is
   * FORBIDDEN: a client session never becomes a model's); the same token and expiry, not a fresh one.
   */
  async resume(token: string, role?: Role): Promise<Session> {
    const { claims, role: stored } = await this.#live(token);
    if (role !== undefined && role !== stored) fail('FORBIDDEN', `role: this session was opened as ${stored}`);
    return { key: claims.publicKey, pseudonym: await this.pseudonym(claims.publicKey), token, role: stored, expiresAt: claims.expiresAt * 1000, sessionId: claims.sessionId };
  }

  /** The identity of a valid, unrevoked session token. */
  async verify(token: string): Promise<string> {
    return (await this.#live(token)).claims.publicKey;
  }

  /** Ends one session: its token is refused from now on, by every process. */
  async revoke(sessionId: string): Promise<void> {
    await this.#store.revokeSession(sessionId);
  }

  /** Ends every session of an identity (account deletion). */
  async revokeAll(key: string): Promise<void> {
    await this.#store.revokeSessionsOf(key);
  }

  async #live(token: string): Promise<{ claims: SessionClaims; role: Role }> {
    const secret = await this.#secret;
    const claims = await asWireError('SESSION_EXPIRED', 'token', () => verifySessionToken(secret, token));
    const role = await this.#store.sessionRole(claims.sessionId);
    if (role !== 'client' && role !== 'model') fail('SESSION_EXPIRED', 'token: this session was ended; log in again');
    return { claims, role };
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
    const { sessionId, expiresAt } = await verifySessionToken(secret, token);
    // Only the role, under the token's random id (indexed by identity for deletion), for as long as the token lives.
    await this.#store.openSession(sessionId, key, role, this.#ttlSeconds * 1000);
    return { key, pseudonym: await this.pseudonym(key), token, role, expiresAt: expiresAt * 1000, sessionId };
  }
}
