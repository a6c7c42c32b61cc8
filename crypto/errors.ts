/**
 * The root of the platform's error tree. Every module throws a subclass whose
 * `code` is a stable, documented string: callers branch on the code, and the
 * wire protocol sends `{ code, message }` without ever leaking a stack or a
 * raw library exception.
 *
 * It lives in `crypto/` because that folder depends on nothing, so every other
 * folder (contracts, signaling, sfu, client) may import it.
 */
export class PlatformError<C extends string = string> extends Error {
  /** Stable machine-readable code, e.g. `CRYPTO_BAD_SIGNATURE`. */
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The shape sent over the wire: never the stack, never the cause. */
  toJSON(): { code: C; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** True when `err` is a PlatformError, optionally with a given code. */
export function isPlatformError<C extends string>(err: unknown, code?: C): err is PlatformError<C> {
  return err instanceof PlatformError && (code === undefined || err.code === code);
}
