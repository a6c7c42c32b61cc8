/**
 * Errors of the verifier CLI. Each decides an exit code in main.ts: a usage
 * error exits 2 and prints the usage; a server refusal exits 1 with the
 * server's code.
 */
import { PlatformError } from '../../crypto/errors.ts';

/** A bad command line: unknown command or option, missing or malformed value, missing file. */
export class UsageError extends PlatformError<'VERIFIER_USAGE'> {
  constructor(message: string) {
    super('VERIFIER_USAGE', message);
  }
}

/** A refusal or failure of the signaling server (or of reaching it); `code` is the server's JSON error code. */
export class VerifierServerError extends PlatformError {}
