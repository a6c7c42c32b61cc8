/**
 * A tiny typed emitter for browser services (no Node `events`, no Lit):
 * `new Emitter<{ state: [SessionState]; login: [LoginInfo] }>()` checks event
 * names and listener arguments at compile time. `on()` returns the function
 * that removes the listener, which is what a reactive controller keeps.
 */
export type EventMap<E> = { [K in keyof E]: unknown[] };
export type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<E extends EventMap<E>> {
  readonly #listeners = new Map<keyof E, Set<Listener<never[]>>>();

  /** Adds `listener`; the returned function removes it (safe to call twice). */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as unknown as Listener<never[]>);
    return () => this.off(event, listener);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.#listeners.get(event)?.delete(listener as unknown as Listener<never[]>);
  }

  /** Calls every listener synchronously; one that throws cannot break the emitter's caller or the others. */
  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as unknown as Listener<E[K]>)(...args);
      } catch (err) {
        queueMicrotask(() => { throw err; });
      }
    }
  }

  /** Drops every listener (a closed service tells nobody anything more). */
  clear(): void {
    this.#listeners.clear();
  }
}
