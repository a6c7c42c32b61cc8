/**
 * Errors of the signaling server, and the one rule that turns a library error into a wire error.
 *
 * A handler throws `SignalingError` (through `fail`) with a protocol code; the dispatcher answers the ack with
 * `{ code, message }` as is. A library error (crypto, contracts) thrown while checking what a client sent is the
 * client's fault only when its code says the input was bad: `asWireError` maps exactly those to the code the
 * caller names and lets everything else (internal faults such as `CRYPTO_INTERNAL`, RPC failures, bugs) go on, so
 * the dispatcher answers `INTERNAL` and logs the original with its cause. `answerFor` is the one rule from a thrown
 * error to what the client is told (socket ack and HTTP alike) and what the server log must hear.
 */
import { PlatformError, isPlatformError } from '../crypto/errors.ts';
import type { ErrorBody, ErrorCode } from './protocol.ts';

export class SignalingError extends PlatformError<ErrorCode> {}

/** Shorthand for `throw new SignalingError(code, message, { cause })`. */
export function fail(code: ErrorCode, message: string, cause?: unknown): never {
  throw new SignalingError(code, message, cause === undefined ? undefined : { cause });
}

/** Library codes that mean "what the caller sent is wrong", never "we are broken". */
const INPUT_FAULTS: ReadonlySet<string> = new Set([
  'CRYPTO_BAD_ENCODING', 'CRYPTO_BAD_INPUT', 'CRYPTO_BAD_KEY', 'CRYPTO_BAD_SIGNATURE', 'CRYPTO_DECRYPT_FAILED',
  'CRYPTO_CHALLENGE_EXPIRED', 'CRYPTO_CHALLENGE_REPLAYED', 'CRYPTO_CHALLENGE_AUDIENCE', 'CRYPTO_TOKEN_EXPIRED',
  'CRYPTO_TOKEN_INVALID', 'CRYPTO_UNTRUSTED_VERIFIER', 'CRYPTO_NOT_ADULT', 'CRYPTO_ATTESTATION_EXPIRED',
  'CRYPTO_STATEMENT_MISMATCH',
  'PAYMENT_VOUCHER_MALFORMED', 'PAYMENT_VOUCHER_BAD_SIGNATURE', 'PAYMENT_VOUCHER_NOT_NEWER',
  'PAYMENT_VOUCHER_UNDERPAID', 'PAYMENT_VOUCHER_OVER_DEPOSIT', 'PAYMENT_VOUCHER_WRONG_CHANNEL',
  'PAYMENT_VOUCHER_LATE', 'PAYMENT_BAD_INPUT', 'PAYMENT_AMOUNT_TOO_LARGE',
]);

/** True when `err` is a library error caused by bad input (as opposed to an internal fault). */
export function isInputFault(err: unknown): err is PlatformError {
  return isPlatformError(err) && !(err instanceof SignalingError) && INPUT_FAULTS.has(err.code);
}

/**
 * Runs `work` (a check of client input) and turns an input fault into `code`, its message prefixed with the
 * `field` that was wrong; any other error passes through unchanged.
 */
export async function asWireError<T>(code: ErrorCode, field: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isInputFault(err)) fail(code, field ? `${field}: ${err.message}` : err.message, err);
    throw err;
  }
}

/** What a client is told about a thrown error, and at which level the server log must hear of it (null: not at all). */
export interface Answer { error: ErrorBody; log: 'error' | 'warn' | null }

/**
 * A `SignalingError` is answered as is; it is logged (warn) only when its cause is a dependency's fault (an RPC
 * failure behind CHAIN_UNAVAILABLE), never for a client's bad input. Anything else, and INTERNAL itself, is
 * answered `INTERNAL` without details and logged as an error, with its cause chain (logger.ts `serializeError`).
 */
export function answerFor(err: unknown): Answer {
  if (err instanceof SignalingError && err.code !== 'INTERNAL') {
    return { error: err.toJSON(), log: err.cause !== undefined && !isInputFault(err.cause) ? 'warn' : null };
  }
  return { error: { code: 'INTERNAL', message: 'internal error' }, log: 'error' };
}
