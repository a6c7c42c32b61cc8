/**
 * Errors of the signaling server. The code is one of the protocol's stable
 * error codes, so a handler can throw and the dispatcher answers the ack with
 * `{ code, message }` as is; anything else becomes `INTERNAL` and is logged.
 */
import { PlatformError } from '../crypto/errors.ts';
import type { ErrorCode } from './protocol.ts';

export class SignalingError extends PlatformError<ErrorCode> {}

/** Shorthand for `throw new SignalingError(code, message)`. */
export function fail(code: ErrorCode, message: string): never {
  throw new SignalingError(code, message);
}
