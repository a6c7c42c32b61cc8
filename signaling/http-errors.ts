/**
 * Errors of signaling's HTTP routes in the one JSON body every route answers, `{ error: { code, message } }`
 * with a protocol code (the SFU's WHIP/WHEP routes answer the same shape with SFU codes, sfu/http.ts), and the
 * HTTP status each code stands for.
 */
import type express from 'express';
import type pino from 'pino';
import { answerFor } from './errors.ts';
import type { ErrorCode } from './protocol.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401, SESSION_EXPIRED: 401, LOGIN_FAILED: 401, FORBIDDEN: 403, REGION_BLOCKED: 403, NOT_FOUND: 404, CONFLICT: 409,
  RATE_LIMITED: 429, INTERNAL: 500, CHAIN_UNAVAILABLE: 503, TURN_UNAVAILABLE: 503,
};

/** The HTTP status of an error code (400 for the codes that say the request was wrong). */
export function httpStatus(code: ErrorCode): number {
  return STATUS[code] ?? 400;
}

/** Answers `{ error: { code, message } }`; the status follows the code unless given. */
export function sendError(res: express.Response, code: ErrorCode, message: string, status = httpStatus(code)): void {
  res.status(status).json({ error: { code, message } });
}

/** Answers a thrown error by the one rule of errors.ts `answerFor`, logging what the server must hear. */
export function sendThrown(res: express.Response, err: unknown, logger: pino.Logger, what: string): void {
  const { error, log } = answerFor(err);
  if (log) logger[log]({ err }, what);
  sendError(res, error.code, error.message);
}

/**
 * Error middleware of a router: a body-parser failure (a 4xx it raised) is the client's, 413 when the body is too
 * large (`tooLarge` says so) and 400 otherwise (`malformed`); anything else goes by `sendThrown`.
 */
export function bodyErrors(logger: pino.Logger, malformed: string, tooLarge = 'request body too large'): express.ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const e = err as { type?: unknown; status?: unknown } | null;
    if (e?.type === 'entity.too.large') sendError(res, 'BAD_REQUEST', tooLarge, 413);
    else if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) sendError(res, 'BAD_REQUEST', malformed);
    else sendThrown(res, err, logger, 'http request failed');
  };
}
