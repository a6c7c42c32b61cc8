/**
 * A reactive controller that holds subscriptions for exactly as long as its
 * host is connected: `subscribe()` runs on connect and returns the functions
 * that end them, which run on disconnect (a page left behind keeps no listener).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class SubscriptionController implements ReactiveController {
  readonly #subscribe: () => (() => void)[];
  #ends: (() => void)[] = [];

  constructor(host: ReactiveControllerHost, subscribe: () => (() => void)[]) {
    this.#subscribe = subscribe;
    host.addController(this);
  }

  hostConnected(): void {
    this.#ends = this.#subscribe();
  }

  hostDisconnected(): void {
    for (const end of this.#ends.splice(0)) end();
  }
}
