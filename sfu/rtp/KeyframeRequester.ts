/**
 * Aggregates keyframe requests (PLI/FIR from viewers, joins, layer switches,
 * the retransmission budget's fallback) into at most one request per
 * interval towards the publisher: a hundred viewers joining at once cost the
 * model one keyframe, not a hundred. A request inside the interval is
 * remembered and sent when the interval ends, unless a keyframe arrived
 * meanwhile.
 *
 * The interval is per layer, or shared by all layers when the publisher's
 * encoder makes every simulcast layer a keyframe on any layer's request
 * (libvpx VP8 simulcast, Chromium's): there, viewers spread over layers by
 * their estimates would otherwise multiply the model's keyframes by the
 * layer count for nothing. Requests waiting on a shared interval are served
 * oldest first, one per interval, so a layer whose keyframe does not follow
 * still gets its own request.
 */

/** Layers that share one interval: their last request, its timer, and the layers waiting (oldest first). */
interface Clock {
  lastSent: number;
  timer: NodeJS.Timeout | undefined;
  pending: number[];
}

export class KeyframeRequester {
  readonly #intervalMs: number;
  readonly #send: (layer: number) => void;
  readonly #shared: boolean;
  readonly #clocks: Clock[] = [];
  /** Requests received (from viewers and the SFU itself). */
  requested = 0;
  /** Requests actually sent to the publisher. */
  sent = 0;
  #closed = false;

  /**
   * @param intervalMs Minimum time between two requests for the same layer (for any layer when `sharedAcrossLayers`).
   * @param send Sends one PLI for a layer to the publisher.
   * @param sharedAcrossLayers The publisher's layers all become keyframes on one request: one interval for all of them.
   */
  constructor(intervalMs: number, send: (layer: number) => void, sharedAcrossLayers = false) {
    this.#intervalMs = intervalMs;
    this.#send = send;
    this.#shared = sharedAcrossLayers;
  }

  request(layer: number): void {
    if (this.#closed) return;
    this.requested++;
    const clock = this.#clock(layer);
    if (clock.pending.includes(layer)) return; // already waiting
    clock.pending.push(layer);
    this.#schedule(clock);
  }

  /** A keyframe arrived on `layer`: a waiting request for it is no longer needed. */
  keyframeReceived(layer: number): void {
    const clock = this.#clocks[this.#shared ? 0 : layer];
    if (!clock) return;
    const i = clock.pending.indexOf(layer);
    if (i < 0) return;
    clock.pending.splice(i, 1);
    if (clock.pending.length === 0 && clock.timer !== undefined) {
      clearTimeout(clock.timer);
      clock.timer = undefined;
    }
  }

  #clock(layer: number): Clock {
    const key = this.#shared ? 0 : layer;
    let clock = this.#clocks[key];
    if (!clock) {
      clock = { lastSent: -Infinity, timer: undefined, pending: [] };
      this.#clocks[key] = clock;
    }
    return clock;
  }

  /** Sends the oldest waiting request now if the interval allows, else when it ends. */
  #schedule(clock: Clock): void {
    if (clock.timer !== undefined || clock.pending.length === 0 || this.#closed) return;
    const now = performance.now();
    const wait = clock.lastSent + this.#intervalMs - now;
    if (wait <= 0) {
      this.#fire(clock, now);
      return;
    }
    const timer = setTimeout(() => {
      clock.timer = undefined;
      this.#fire(clock, performance.now());
    }, Math.ceil(wait));
    timer.unref();
    clock.timer = timer;
  }

  #fire(clock: Clock, now: number): void {
    const layer = clock.pending.shift();
    if (layer === undefined || this.#closed) return;
    clock.lastSent = now;
    this.sent++;
    this.#send(layer);
    this.#schedule(clock);
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#clocks) if (c?.timer) clearTimeout(c.timer);
  }
}
