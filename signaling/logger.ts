/**
 * Structured logs (pino) that may carry pseudonyms and ids, never IP
 * addresses, tokens, signatures, SDP or payload bodies. Redaction is a second
 * line of defence: handlers log only the fields they choose.
 */
import pino from 'pino';

/** Paths pino censors wherever a handler slips one into a log object. */
export const REDACT_PATHS = [
  'ip', 'address', 'remoteAddress', 'token', 'whipToken', 'whepToken', 'secret', 'password', 'credential',
  'signature', 'sdp', 'challenge', 'authorization', 'headers', 'sealedDocument', 'fields', 'voucher',
  '*.ip', '*.address', '*.remoteAddress', '*.token', '*.secret', '*.password', '*.credential', '*.signature',
  '*.sdp', '*.challenge', '*.authorization', '*.headers', '*.sealedDocument', '*.fields', '*.voucher',
];

export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino({
    level,
    base: { svc: 'signaling' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: (e: unknown) => serializeError(e) },
  }, destination);
}

export interface LoggedError { name: string; code?: string; message: string; stack?: string; cause?: LoggedError }

/**
 * Error shape for logs: name, code, message and stack, then the same for each `cause` (a few levels), so an
 * INTERNAL answer can be traced to the library fault behind it. Only `shortMessage` of a library error that has
 * one (ethers): its full message repeats the RPC request, whose call data holds wallet addresses.
 */
export function serializeError(e: unknown, depth = 0): LoggedError {
  if (!(e instanceof Error)) return { name: 'NonError', message: String(e) };
  const { code, shortMessage } = e as { code?: unknown; shortMessage?: unknown };
  const short = typeof shortMessage === 'string';
  const message = short ? shortMessage : e.message;
  // The stack starts with the message: keep only its frames after the short one.
  const frames = e.stack?.indexOf('\n    at ') ?? -1;
  const stack = short ? (frames >= 0 ? `${e.name}: ${message}${e.stack!.slice(frames)}` : undefined) : e.stack;
  const out: LoggedError = {
    name: e.name,
    ...(typeof code === 'string' ? { code } : {}),
    message,
    ...(stack ? { stack } : {}),
  };
  if (e.cause !== undefined && depth < 4) out.cause = serializeError(e.cause, depth + 1);
  return out;
}
