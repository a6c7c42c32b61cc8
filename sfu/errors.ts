/**
 * Errors of the SFU. Every code maps to one HTTP status so the WHIP/WHEP
 * router can answer `{ error: { code, message } }` without guessing.
 */
import { PlatformError } from '../crypto/errors.ts';

export type SfuErrorCode =
  | 'SFU_BAD_SDP'
  | 'SFU_BAD_CONTENT_TYPE'
  | 'SFU_BAD_REQUEST'
  | 'SFU_UNAUTHORIZED'
  | 'SFU_TOKEN_EXPIRED'
  | 'SFU_FORBIDDEN'
  | 'SFU_UNKNOWN_SHOW'
  | 'SFU_BAD_ORIGIN'
  | 'SFU_UNKNOWN_RESOURCE'
  | 'SFU_SHOW_BUSY'
  | 'SFU_METHOD_NOT_ALLOWED'
  | 'SFU_BODY_TOO_LARGE'
  | 'SFU_UNAVAILABLE'
  | 'SFU_OVERLOADED'
  | 'SFU_CLOSED'
  | 'SFU_INTERNAL';

/** HTTP status of each code. */
export const sfuErrorStatus: Record<SfuErrorCode, number> = {
  SFU_BAD_SDP: 400,
  SFU_BAD_REQUEST: 400,
  SFU_BAD_CONTENT_TYPE: 415,
  SFU_UNAUTHORIZED: 401,
  SFU_TOKEN_EXPIRED: 401,
  SFU_FORBIDDEN: 403,
  SFU_UNKNOWN_SHOW: 404,
  SFU_BAD_ORIGIN: 400,
  SFU_UNKNOWN_RESOURCE: 404,
  SFU_SHOW_BUSY: 409,
  SFU_METHOD_NOT_ALLOWED: 405,
  SFU_BODY_TOO_LARGE: 413,
  SFU_UNAVAILABLE: 503,
  SFU_OVERLOADED: 503,
  SFU_CLOSED: 503,
  SFU_INTERNAL: 500,
};

/** Seconds a client waits before retrying a request refused with this code (HTTP `Retry-After`). */
export const sfuRetryAfterSeconds: Partial<Record<SfuErrorCode, number>> = {
  SFU_OVERLOADED: 2,
  SFU_UNAVAILABLE: 1,
};

export class SfuError extends PlatformError<SfuErrorCode> {
  /** The HTTP status this error is answered with. */
  get status(): number {
    return sfuErrorStatus[this.code];
  }
}

const codes = new Set(Object.keys(sfuErrorStatus));
/** Rebuilds an SfuError that crossed a process boundary as `{ code, message }`. */
export function sfuErrorFrom(value: unknown): SfuError {
  if (value instanceof SfuError) return value;
  const v = value as { code?: unknown; message?: unknown } | null;
  if (v && typeof v.code === 'string' && codes.has(v.code)) {
    return new SfuError(v.code as SfuErrorCode, typeof v.message === 'string' ? v.message : v.code);
  }
  return new SfuError('SFU_INTERNAL', 'internal SFU error', { cause: value });
}
