/**
 * Named one-shot timers of one signaling process. A name identifies what the
 * timer waits for (`model:<key>`, `privreq:<id>`, ...), so setting a name again
 * replaces the earlier timer and the module that set it can cancel it or ask
 * whether it is pending. Each module sets and cancels only names of its own
 * prefix; another module that needs one ended calls a function of the owner.
 *
 * A callback's work is handed to `track` (the server waits for it on close) and
 * a failure is logged with the name's prefix only: names carry identity keys.
 */
import type pino from 'pino';

export class Timers {
  #timers = new Map<string, NodeJS.Timeout>();
  #track: (work: Promise<unknown>) => void;
  #logger: pino.Logger;
  #closed = false;

  /**
   * @param track registers a callback's work so close() of the server waits for it
   * @param logger where a failing callback is reported
   */
  constructor(track: (work: Promise<unknown>) => void, logger: pino.Logger) {
    this.#track = track;
    this.#logger = logger;
  }

  /** Runs `fn` after `ms` unless cancelled; replaces a pending timer of the same name. No-op once closed. */
  set(name: string, ms: number, fn: () => Promise<void> | void): void {
    if (this.#closed) return;
    this.cancel(name);
    const t = setTimeout(() => {
      if (this.#timers.get(name) === t) this.#timers.delete(name);
      if (this.#closed) return;
      this.#track(Promise.resolve().then(fn).catch((err: unknown) => {
        this.#logger.error({ err, timer: name.split(':')[0] }, 'timer failed');
      }));
    }, ms);
    this.#timers.set(name, t);
  }

  /** True while a timer of this name is pending. */
  has(name: string): boolean {
    return this.#timers.has(name);
  }

  cancel(name: string): void {
    const t = this.#timers.get(name);
    if (t) clearTimeout(t);
    this.#timers.delete(name);
  }

  /** Clears every pending timer and refuses new ones; idempotent. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
