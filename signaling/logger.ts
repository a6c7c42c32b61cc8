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

/** Error shape for logs: name, code, message; no stack from client-triggered errors' causes. */
export function serializeError(e: unknown): { name: string; code?: string; message: string; stack?: string } {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, ...(typeof code === 'string' ? { code } : {}), message: e.message, stack: e.stack };
  }
  return { name: 'NonError', message: String(e) };
}
