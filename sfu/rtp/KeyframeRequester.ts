/**
 * Aggregates keyframe requests (PLI/FIR from viewers, joins, layer switches)
 * into at most one request per layer per interval towards the publisher:
 * a hundred viewers joining at once cost the model one keyframe, not a
 * hundred. A request inside the interval is remembered and sent when the
 * interval ends, unless a keyframe arrived meanwhile.
 */
export class KeyframeRequester {
  readonly #intervalMs: number;
  readonly #send: (layer: number) => void;
  readonly #lastSent: number[] = [];
  readonly #timers: (NodeJS.Timeout | undefined)[] = [];
  /** Requests received (from viewers and the SFU itself). */
  requested = 0;
  /** Requests actually sent to the publisher. */
  sent = 0;
  #closed = false;

  /**
   * @param intervalMs Minimum time between two requests for the same layer.
   * @param send Sends one PLI for a layer to the publisher.
   */
  constructor(intervalMs: number, send: (layer: number) => void) {
    this.#intervalMs = intervalMs;
    this.#send = send;
  }

  request(layer: number): void {
    if (this.#closed) return;
    this.requested++;
    if (this.#timers[layer] !== undefined) return; // already pending
    const now = performance.now();
    const last = this.#lastSent[layer] ?? -Infinity;
    const wait = last + this.#intervalMs - now;
    if (wait <= 0) {
      this.#fire(layer, now);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers[layer] = undefined;
      this.#fire(layer, performance.now());
    }, Math.ceil(wait));
    timer.unref();
    this.#timers[layer] = timer;
  }

  /** A keyframe arrived on `layer`: a pending request for it is no longer needed. */
  keyframeReceived(layer: number): void {
    const timer = this.#timers[layer];
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#timers[layer] = undefined;
    }
  }

  #fire(layer: number, now: number): void {
    this.#lastSent[layer] = now;
    this.sent++;
    this.#send(layer);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) if (t) clearTimeout(t);
  }
}
