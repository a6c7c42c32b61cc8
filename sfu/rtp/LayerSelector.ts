/**
 * Which simulcast layer an `auto` viewer gets, with hysteresis: it starts on
 * the highest layer the first estimate supports, goes down at once when the
 * estimate falls below what its layer needs or the path is congested, and
 * goes up only after the estimate has held above the higher layer's rate
 * with margin for UP_HOLD_MS. A REMB-only viewer that reports heavy loss
 * steps down one layer, as before transport-cc.
 */

/** Estimate over a layer's bitrate needed to go up to it, and under which the current layer is left. */
export const UP_MARGIN = 1.2;
const DOWN_MARGIN = 0.9;
/** Congested, the estimate still holds some of what went in before the queue (and audio rides on top): room kept under it. */
const CONGESTED_MARGIN = 1.4;
export const UP_HOLD_MS = 2000;
/** After a step down, this long before another one: the estimate needs time to show the new layer's effect. */
const DOWN_SETTLE_MS = 1000;

export class LayerSelector {
  /** The layer chosen last (-1 before the first choice). */
  layer = -1;
  /** Per layer, since when the estimate has fit it with the up margin (-1: it does not now). */
  #fitSince: number[] = [];
  #downAt = -Infinity;

  /**
   * @param rates each layer's bitrate, bps (0 or undefined: not flowing).
   * @param top highest layer the viewer may get.
   * @param estimate the viewer's bandwidth estimate, bps (Infinity: none yet).
   * @param congested the estimator saw overuse or heavy loss just now.
   * @param holdUp stay, do not go up (some loss without an estimator to weigh it).
   */
  choose(rates: readonly (number | undefined)[], top: number, estimate: number, congested: boolean, now: number, holdUp = false): number {
    const fits = (i: number, margin: number) => (rates[i] ?? 0) * margin <= estimate;
    const flowing = (i: number) => (rates[i] ?? 0) > 0;
    const highestFitting = (margin: number) => {
      for (let i = top; i > 0; i--) if (flowing(i) && fits(i, margin)) return i;
      return 0;
    };
    const current = this.layer;
    if (current < 0 || current > top || !flowing(current)) {
      this.layer = highestFitting(1);
      this.#fitSince = [];
      return this.layer;
    }
    if (current > 0 && (!fits(current, DOWN_MARGIN) || (congested && now - this.#downAt > DOWN_SETTLE_MS))) {
      // Congested, the estimate still falls as the queue drains: aim under it.
      const below = Math.min(current - 1, highestFitting(congested ? CONGESTED_MARGIN : 1));
      this.layer = below;
      this.#downAt = now;
      this.#fitSince = [];
      return this.layer;
    }
    // Each higher layer's hold runs on its own: a viewer that reached medium on the way does not start high's over.
    let up = current;
    for (let i = current + 1; i <= top; i++) {
      if (congested || holdUp || !flowing(i) || !fits(i, UP_MARGIN)) this.#fitSince[i] = -1;
      else if ((this.#fitSince[i] ?? -1) < 0) this.#fitSince[i] = now;
      const since = this.#fitSince[i] ?? -1;
      if (since >= 0 && now - since >= UP_HOLD_MS) up = i;
    }
    if (up > current) {
      this.layer = up;
      for (let i = 0; i <= up; i++) this.#fitSince[i] = -1;
    }
    return this.layer;
  }

  /** Steps down one layer now (heavy loss, or retransmissions over budget). */
  stepDown(now: number): void {
    if (this.layer > 0 && now - this.#downAt > DOWN_SETTLE_MS) {
      this.layer--;
      this.#downAt = now;
      this.#fitSince = [];
    }
  }

  /** True while the viewer sits below `top` and might go up if the estimate allowed: time to probe. */
  wantsProbe(rates: readonly (number | undefined)[], top: number, estimate: number): number {
    let need = 0;
    for (let i = top; i > this.layer; i--) if ((rates[i] ?? 0) > 0) { need = rates[i]! * UP_MARGIN; break; }
    return need > estimate ? need : 0;
  }
}
