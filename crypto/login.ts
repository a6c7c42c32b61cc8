/**
 * Login without passwords or email, and short-lived session tokens.
 *
 * 1. The server makes a challenge (`createChallenge`): 32 random bytes, its
 *    audience (the web origin), issue and expiry times; it remembers the nonce
 *    (e.g. `MemoryChallengeStore.issue`, or SET nonce EX ttl in Redis).
 * 2. The browser checks the audience is its own origin and signs it with the
 *    identity key (`signChallenge`).
 * 3. The server checks audience, times and signature, then consumes the nonce
 *    through the caller's `consume` callback, which must return true only the
 *    first time for a nonce it issued (atomic delete: `MemoryChallengeStore.consume`,
 *    or `GETDEL`/`DEL` returning 1 in Redis). Replays and self-made challenges fail.
 * 4. The server issues a session token: `issueSessionToken` (keyed BLAKE2b,
 *    constant-time check, seconds-to-hours lifetime).
 */
import { CryptoError } from './crypto-error.ts';
import { concatBytes, fromBase64url, toBase64url, utf8 } from './encoding.ts';
import type { Identity } from './identity.ts';
import { pseudonymOf } from './identity.ts';
import { asInt, asObject, asString, decodePublicKey, resolveNow, signStatement, verifyStatement } from './statement.ts';
import { randomBytes, ready, type Sodium } from './sodium.ts';


/** A login challenge as sent to the browser. */
export interface LoginChallenge {
  /** Format version. */
  v: 1;
  /** 32 random bytes, base64url: the single-use part. */
  nonce: string;
  /** Web origin (or service name) the signature is valid for, e.g. `https://cam.example`. */
  audience: string;
  /** Unix seconds when issued. */
  issuedAt: number;
  /** Unix seconds after which the challenge is refused. */
  expiresAt: number;
}

/** What the browser sends back. */
export interface ChallengeResponse {
  /** The challenge exactly as received. */
  challenge: LoginChallenge;
  /** The identity's public key (base64url). */
  publicKey: string;
  /** Ed25519 signature (base64url) of the domain-separated challenge. */
  signature: string;
}

/** Options of `createChallenge`. */
export interface ChallengeOptions {
  /** Origin the challenge is for; the browser refuses another. */
  audience: string;
  /** Lifetime in seconds (default 120, at most 600). */
  ttlSeconds?: number;
  /** Current Unix time in seconds (tests). */
  now?: number;
}

/** Marks a nonce used. Must be atomic and return true only once per issued nonce. */
export type ConsumeNonce = (nonce: string, expiresAt: number) => boolean | Promise<boolean>;

/** Options of `verifyChallengeResponse`. */
export interface VerifyChallengeOptions {
  /** The audience this server answers for. */
  audience: string;
  /** Single-use enforcement (see `ConsumeNonce`). */
  consume: ConsumeNonce;
  /** Current Unix time in seconds (tests). */
  now?: number;
  /** Tolerated clock skew in seconds for `issuedAt` in the future (default 30). */
  skewSeconds?: number;
}

/** The result of a successful login. */
export interface VerifiedLogin {
  /** The authenticated public key. */
  publicKey: string;
  /** Its pseudonym. */
  pseudonym: string;
}

const MAX_CHALLENGE_TTL = 600;
const MAX_AUDIENCE = 256;

/** Make a fresh challenge; the caller must remember its nonce until `expiresAt`. */
export async function createChallenge(options: ChallengeOptions): Promise<LoginChallenge> {
  const audience = checkAudience(options?.audience);
  const ttl = options.ttlSeconds ?? 120;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_CHALLENGE_TTL) {
    throw new CryptoError('CRYPTO_BAD_INPUT', `ttlSeconds: expected 1 to ${MAX_CHALLENGE_TTL}`);
  }
  const now = resolveNow(options.now);
  return { v: 1, nonce: toBase64url(randomBytes(32)), audience, issuedAt: now, expiresAt: now + ttl };
}

/**
 * Sign a challenge with the identity key. With `expectedAudience` (the
 * browser's own `location.origin`), a challenge relayed from another site is refused.
 */
export async function signChallenge(identity: Identity, challenge: LoginChallenge, expectedAudience?: string): Promise<ChallengeResponse> {
  const c = parseChallenge(challenge);
  if (expectedAudience !== undefined && c.audience !== expectedAudience) {
    throw new CryptoError('CRYPTO_CHALLENGE_AUDIENCE', 'challenge is for another origin');
  }
  const signature = await signStatement('login', challengeFields(c), identity?.secretKey);
  return { challenge: c, publicKey: identity.publicKey, signature };
}

/**
 * Verify a login response (any shape: it comes from the network). Checks, in
 * order: format, audience, time window, signature, then single use.
 */
export async function verifyChallengeResponse(response: unknown, options: VerifyChallengeOptions): Promise<VerifiedLogin> {
  const r = asObject(response, 'login response');
  const c = parseChallenge(r.challenge);
  const publicKey = asString(r.publicKey, 'publicKey', 43);
  decodePublicKey(publicKey);
  if (c.audience !== options.audience) throw new CryptoError('CRYPTO_CHALLENGE_AUDIENCE', 'challenge is for another audience');
  const now = resolveNow(options.now);
  const skew = options.skewSeconds ?? 30;
  if (now >= c.expiresAt || c.issuedAt > now + skew) throw new CryptoError('CRYPTO_CHALLENGE_EXPIRED', 'challenge expired');
  await verifyStatement('login', challengeFields(c), r.signature, publicKey);
  let fresh: boolean;
  try {
    fresh = await options.consume(c.nonce, c.expiresAt);
  } catch (err) {
    throw new CryptoError('CRYPTO_INTERNAL', 'challenge store failed', { cause: err });
  }
  if (fresh !== true) throw new CryptoError('CRYPTO_CHALLENGE_REPLAYED', 'challenge already used or never issued');
  return { publicKey, pseudonym: await pseudonymOf(publicKey) };
}

function parseChallenge(value: unknown): LoginChallenge {
  const o = asObject(value, 'challenge');
  if (o.v !== 1) throw new CryptoError('CRYPTO_BAD_ENCODING', 'challenge: unknown version');
  const nonce = asString(o.nonce, 'challenge nonce', 43);
  fromBase64url(nonce, 32, 'challenge nonce');
  const issuedAt = asInt(o.issuedAt, 'challenge issuedAt');
  const expiresAt = asInt(o.expiresAt, 'challenge expiresAt');
  if (expiresAt <= issuedAt || expiresAt - issuedAt > MAX_CHALLENGE_TTL) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', 'challenge: bad validity window');
  }
  return { v: 1, nonce, audience: checkAudience(o.audience), issuedAt, expiresAt };
}

function checkAudience(audience: unknown): string {
  const a = asString(audience, 'audience', MAX_AUDIENCE);
  if (/[\u0000-\u001f\u007f]/.test(a)) throw new CryptoError('CRYPTO_BAD_ENCODING', 'audience: control characters');
  return a;
}

function challengeFields(c: LoginChallenge) {
  return { nonce: c.nonce, audience: c.audience, issuedAt: c.issuedAt, expiresAt: c.expiresAt };
}

/**
 * In-memory single-use nonce store for one process (and the browser-free
 * tests). Several signaling nodes need a shared store (Redis SET EX + GETDEL).
 */
export class MemoryChallengeStore {
  readonly #nonces = new Map<string, number>();
  readonly #max: number;

  /** @param maxOutstanding refuse to hold more live challenges than this (memory bound). */
  constructor(maxOutstanding = 100_000) {
    this.#max = maxOutstanding;
  }

  /** Remember an issued challenge until it expires. */
  issue(challenge: LoginChallenge, now?: number): void {
    this.sweep(now);
    if (this.#nonces.size >= this.#max) throw new CryptoError('CRYPTO_BAD_INPUT', 'too many outstanding challenges');
    this.#nonces.set(challenge.nonce, challenge.expiresAt);
  }

  /** `ConsumeNonce`: true once for an issued, unexpired nonce. */
  readonly consume = (nonce: string, _expiresAt?: number, now?: number): boolean => {
    const exp = this.#nonces.get(nonce);
    if (exp === undefined) return false;
    this.#nonces.delete(nonce);
    return resolveNow(now) < exp;
  };

  /** Forget expired nonces. */
  sweep(now?: number): void {
    const t = resolveNow(now);
    for (const [nonce, exp] of this.#nonces) if (exp <= t) this.#nonces.delete(nonce);
  }

  /** Number of outstanding challenges. */
  get size(): number {
    return this.#nonces.size;
  }
}

// ---------------------------------------------------------------- session tokens

/** A verified session token. */
export interface SessionClaims {
  /** Authenticated public key (base64url). */
  publicKey: string;
  /** Random id of this session (base64url, 16 bytes), for revocation lists and logs. */
  sessionId: string;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds; the token is refused from this second on. */
  expiresAt: number;
}

const TOKEN_VERSION = 1;
const TOKEN_BODY = 1 + 32 + 8 + 8 + 16;
const TOKEN_TAG = 32;
const MAX_TOKEN_TTL = 86_400;
const TOKEN_LENGTH = Math.ceil((TOKEN_BODY * 4) / 3) + 1 + Math.ceil((TOKEN_TAG * 4) / 3);

/**
 * Issue a session token `base64url(body).base64url(tag)`: body = version,
 * public key, issued-at, expiry, random session id; tag = BLAKE2b-256 keyed
 * with `secret` (at least 32 bytes) over a domain tag and the body.
 */
export async function issueSessionToken(secret: Uint8Array, publicKey: string, ttlSeconds: number, now?: number): Promise<string> {
  const s = await ready();
  checkSecret(secret);
  const pk = decodePublicKey(publicKey);
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TOKEN_TTL) {
    throw new CryptoError('CRYPTO_BAD_INPUT', `ttlSeconds: expected 1 to ${MAX_TOKEN_TTL}`);
  }
  const t = resolveNow(now);
  const body = new Uint8Array(TOKEN_BODY);
  const view = new DataView(body.buffer);
  body[0] = TOKEN_VERSION;
  body.set(pk, 1);
  view.setBigUint64(33, BigInt(t));
  view.setBigUint64(41, BigInt(t + ttlSeconds));
  body.set(randomBytes(16), 49);
  return `${toBase64url(body)}.${toBase64url(tokenTag(s, secret, body))}`;
}

/** Verify a session token: CRYPTO_TOKEN_INVALID if malformed or forged, CRYPTO_TOKEN_EXPIRED if old. */
export async function verifySessionToken(secret: Uint8Array, token: unknown, now?: number): Promise<SessionClaims> {
  const s = await ready();
  checkSecret(secret);
  const t = resolveNow(now);
  if (typeof token !== 'string' || token.length !== TOKEN_LENGTH) throw new CryptoError('CRYPTO_TOKEN_INVALID', 'malformed session token');
  const dot = token.indexOf('.');
  let body: Uint8Array;
  let tag: Uint8Array;
  try {
    body = fromBase64url(token.slice(0, dot), TOKEN_BODY);
    tag = fromBase64url(token.slice(dot + 1), TOKEN_TAG);
  } catch (err) {
    throw new CryptoError('CRYPTO_TOKEN_INVALID', 'malformed session token', { cause: err });
  }
  if (!s.memcmp(tag, tokenTag(s, secret, body))) throw new CryptoError('CRYPTO_TOKEN_INVALID', 'session token does not verify');
  if (body[0] !== TOKEN_VERSION) throw new CryptoError('CRYPTO_TOKEN_INVALID', 'unknown session token version');
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const issuedAt = Number(view.getBigUint64(33));
  const expiresAt = Number(view.getBigUint64(41));
  if (t >= expiresAt) throw new CryptoError('CRYPTO_TOKEN_EXPIRED', 'session token expired');
  return { publicKey: toBase64url(body.subarray(1, 33)), sessionId: toBase64url(body.subarray(49)), issuedAt, expiresAt };
}

/**
 * Derive an independent 32-byte secret for one purpose from a master secret
 * (e.g. `session` and `whip` tokens from SESSION_SECRET), so a token of one
 * kind never verifies as another.
 */
export async function deriveSecret(master: Uint8Array, purpose: string): Promise<Uint8Array> {
  const s = await ready();
  checkSecret(master);
  asString(purpose, 'purpose', 64);
  return s.crypto_generichash(32, utf8(`livecam/derived-secret/v1\u0000${purpose}`), macKey(s, master));
}

function tokenTag(s: Sodium, secret: Uint8Array, body: Uint8Array): Uint8Array {
  return s.crypto_generichash(TOKEN_TAG, concatBytes(utf8('livecam/session-token/v1\u0000'), body), macKey(s, secret));
}

/** BLAKE2b takes keys of at most 64 bytes: longer secrets are hashed down first. */
function macKey(s: Sodium, secret: Uint8Array): Uint8Array {
  return secret.length <= 64 ? secret : s.crypto_generichash(64, secret, null);
}

function checkSecret(secret: unknown): asserts secret is Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length < 32 || secret.length > 1024) {
    throw new CryptoError('CRYPTO_BAD_KEY', 'secret: expected at least 32 bytes');
  }
}
