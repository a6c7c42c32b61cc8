/**
 * Login and sessions over crypto/login.ts: challenges remembered in the store
 * until used (so any signaling process can verify them, once), session tokens
 * MACed with a key derived from SESSION_SECRET for this purpose only.
 */
import { createChallenge, deriveSecret, issueSessionToken, verifyChallengeResponse, verifySessionToken } from '../crypto/login.ts';
import { pseudonymOf } from '../crypto/identity.ts';
import { isPlatformError } from '../crypto/errors.ts';
import { SignalingError } from './errors.ts';
import type { LoginChallenge } from './protocol.ts';
import type { Store } from './store.ts';

export interface Session { key: string; pseudonym: string; token: string; expiresAt: number }

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

  async challenge(): Promise<LoginChallenge> {
    const c = await createChallenge({ audience: this.#audience, ttlSeconds: 120 });
    await this.#store.issueChallenge(c.nonce, (c.expiresAt - c.issuedAt) * 1000);
    return c;
  }

  /** Verifies a signed challenge (single use) and opens a session. */
  async login(publicKey: string, challenge: LoginChallenge, signature: string): Promise<Session> {
    let key: string;
    try {
      ({ publicKey: key } = await verifyChallengeResponse({ challenge, publicKey, signature }, {
        audience: this.#audience,
        consume: (nonce) => this.#store.consumeChallenge(nonce),
      }));
    } catch (err) {
      if (isPlatformError(err) && err.code !== 'CRYPTO_INTERNAL') throw new SignalingError('LOGIN_FAILED', err.message);
      throw err;
    }
    return this.#session(key);
  }

  /** Verifies a session token and issues a fresh one (sliding sessions). */
  async resume(token: string): Promise<Session> {
    let key: string;
    try {
      ({ publicKey: key } = await verifySessionToken(await this.#secret, token));
    } catch (err) {
      if (isPlatformError(err)) throw new SignalingError('SESSION_EXPIRED', err.message);
      throw err;
    }
    return this.#session(key);
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

  async #session(key: string): Promise<Session> {
    const token = await issueSessionToken(await this.#secret, key, this.#ttlSeconds);
    return { key, pseudonym: await this.pseudonym(key), token, expiresAt: Date.now() + this.#ttlSeconds * 1000 };
  }
}
