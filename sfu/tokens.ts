/**
 * Bearer tokens for WHIP (publish) and WHEP (view). Signaling mints them after
 * its own checks (the model owns the show, the viewer is not banned); the SFU
 * only verifies. Format: `base64url(JSON payload) . base64url(HMAC-SHA256)`,
 * compact enough for an `Authorization` header and an OBS "Bearer token" box.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SfuError } from './errors.ts';

export type SfuTokenKind = 'whip' | 'whep';

export interface SfuTokenClaims {
  /** `whip` lets the holder publish the show, `whep` lets them watch it. */
  kind: SfuTokenKind;
  /** The show the token is for. */
  showId: string;
  /** Pseudonymous public key of the model, or a random viewer id: never a name. */
  sub: string;
  /** Lifetime from `now`. */
  ttlSeconds: number;
  /** On a WHEP token for an edge host: the base URL of the origin host that holds the show. */
  origin?: string;
}

/** What a verified token says. */
export interface SfuTokenPayload {
  kind: SfuTokenKind;
  showId: string;
  sub: string;
  /** Expiry, unix seconds. */
  exp: number;
  /** See SfuTokenClaims.origin. */
  origin?: string;
}

const SHOW_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_TOKEN_LENGTH = 2048;

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
  if (claims.kind !== 'whip' && claims.kind !== 'whep') throw new SfuError('SFU_BAD_REQUEST', 'invalid token kind');
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
    ...(claims.origin ? { origin: claims.origin } : {}),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(secret, body).toString('base64url')}`;
}

/**
 * Verifies a token for `expectedKind` on `showId`; throws `SFU_UNAUTHORIZED`
 * (malformed, bad signature, wrong kind or show) or `SFU_TOKEN_EXPIRED`.
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
    (payload.kind !== 'whip' && payload.kind !== 'whep') ||
    typeof payload.showId !== 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number'
  ) {
    throw new SfuError('SFU_UNAUTHORIZED', 'malformed token');
  }
  if (payload.kind !== expectedKind) throw new SfuError('SFU_UNAUTHORIZED', `token is not a ${expectedKind} token`);
  if (payload.showId !== showId) throw new SfuError('SFU_UNAUTHORIZED', 'token is for another show');
  if (payload.exp * 1000 <= now) throw new SfuError('SFU_TOKEN_EXPIRED', 'token expired');
  return payload;
}
