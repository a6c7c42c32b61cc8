/**
 * Bearer tokens for WHIP (publish) and WHEP (view). Signaling mints them after
 * its own checks (the model owns the show, the viewer is not banned); the SFU
 * only verifies. Format: `base64url(JSON payload) . base64url(HMAC-SHA256)`,
 * compact enough for an `Authorization` header and an OBS "Bearer token" box.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SfuError } from './errors.ts';

export type SfuTokenKind = 'whip' | 'whep' | 'relay';
const KINDS: readonly string[] = ['whip', 'whep', 'relay'];

export interface SfuTokenClaims {
  /** `whip` lets the holder publish the show, `whep` watch it, `relay` (SFU hosts only) pull it from its origin host. */
  kind: SfuTokenKind;
  /** The show the token is for. */
  showId: string;
  /** Pseudonymous public key of the model, or a random viewer id: never a name. */
  sub: string;
  /** Lifetime from `now`. */
  ttlSeconds: number;
  /**
   * WHEP only: base URL of the SFU host holding the show (http(s), at most 256
   * characters). An SFU host that does not hold the show then relays it from
   * there (sfu/relay/EdgeRelays.ts) and serves the viewer itself.
   */
  origin?: string;
}

/** What a verified token says. */
export interface SfuTokenPayload {
  kind: SfuTokenKind;
  showId: string;
  sub: string;
  /** Expiry, unix seconds. */
  exp: number;
  /** Base URL of the show's origin SFU host (see SfuTokenClaims.origin). */
  origin?: string;
}

const SHOW_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_TOKEN_LENGTH = 2048;
const MAX_ORIGIN_LENGTH = 256;

/**
 * True for an origin the SFU will relay from: an absolute http(s) URL with a
 * host, no credentials, query or fragment, at most 256 characters.
 */
export function isValidOrigin(origin: unknown): origin is string {
  if (typeof origin !== 'string' || origin.length === 0 || origin.length > MAX_ORIGIN_LENGTH) return false;
  let url: URL;
  try { url = new URL(origin); } catch { return false; }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' &&
    url.username === '' && url.password === '' && url.search === '' && url.hash === '' && !origin.includes('#') && !origin.includes('?');
}

/** True for the show ids the SFU accepts (URL-safe, at most 128 characters). */
export function isValidShowId(showId: string): boolean {
  return SHOW_ID.test(showId);
}

function sign(secret: Uint8Array, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/** Mints a token; `now` is in milliseconds (default `Date.now()`). */
export function mintSfuToken(secret: Uint8Array, claims: SfuTokenClaims, now: number = Date.now()): string {
  if (secret.length < 16) throw new SfuError('SFU_BAD_REQUEST', 'token secret must be at least 16 bytes');
  if (!isValidShowId(claims.showId)) throw new SfuError('SFU_BAD_REQUEST', 'invalid show id');
  if (!KINDS.includes(claims.kind)) throw new SfuError('SFU_BAD_REQUEST', 'invalid token kind');
  if (claims.origin !== undefined && (claims.kind !== 'whep' || !isValidOrigin(claims.origin))) {
    throw new SfuError('SFU_BAD_ORIGIN', 'origin must be the http(s) base URL of an SFU host, on a whep token');
  }
  if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 256) {
    throw new SfuError('SFU_BAD_REQUEST', 'invalid token subject');
  }
  if (!Number.isFinite(claims.ttlSeconds) || claims.ttlSeconds <= 0) {
    throw new SfuError('SFU_BAD_REQUEST', 'ttlSeconds must be positive');
  }
  const payload: SfuTokenPayload = {
    kind: claims.kind,
    showId: claims.showId,
    sub: claims.sub,
    exp: Math.floor(now / 1000) + Math.ceil(claims.ttlSeconds),
    ...(claims.origin !== undefined ? { origin: claims.origin } : {}),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(secret, body).toString('base64url')}`;
}

/**
 * Verifies a token for `expectedKind` on `showId`; throws `SFU_UNAUTHORIZED`
 * (malformed, bad signature, wrong kind or show), `SFU_TOKEN_EXPIRED` or
 * `SFU_BAD_ORIGIN` (an `origin` claim that is not an SFU host's base URL).
 */
export function verifySfuToken(
  secret: Uint8Array,
  token: string,
  expectedKind: SfuTokenKind,
  showId: string,
  now: number = Date.now(),
): SfuTokenPayload {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new SfuError('SFU_UNAUTHORIZED', 'missing or malformed token');
  }
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) throw new SfuError('SFU_UNAUTHORIZED', 'malformed token');
  const body = token.slice(0, dot);
  const mac = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = sign(secret, body);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
    throw new SfuError('SFU_UNAUTHORIZED', 'bad token signature');
  }
  let payload: SfuTokenPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SfuTokenPayload;
  } catch (cause) {
    throw new SfuError('SFU_UNAUTHORIZED', 'malformed token', { cause });
  }
  if (
    typeof payload !== 'object' || payload === null ||
    !KINDS.includes(payload.kind) ||
    typeof payload.showId !== 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number'
  ) {
    throw new SfuError('SFU_UNAUTHORIZED', 'malformed token');
  }
  if (payload.kind !== expectedKind) throw new SfuError('SFU_UNAUTHORIZED', `token is not a ${expectedKind} token`);
  if (payload.showId !== showId) throw new SfuError('SFU_UNAUTHORIZED', 'token is for another show');
  if (payload.exp * 1000 <= now) throw new SfuError('SFU_TOKEN_EXPIRED', 'token expired');
  // Signed, so signaling wrote it: still checked, as this SFU is about to fetch from it.
  if (payload.origin !== undefined && (payload.kind !== 'whep' || !isValidOrigin(payload.origin))) {
    throw new SfuError('SFU_BAD_ORIGIN', 'the token names an origin that is not the http(s) base URL of an SFU host');
  }
  return payload;
}
