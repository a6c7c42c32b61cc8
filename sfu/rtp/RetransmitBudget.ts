/**
 * Which NACKed packets a viewer gets again: only one still useful (sent at
 * most a few round trips ago, so it can still be played), each at most once
 * per round trip, and all of them within a share of the viewer's estimate
 * (a token bucket). What is refused is counted: past the budget a keyframe
 * or a lower layer is cheaper than a retransmission storm into a full link.
 */

const SLOTS = 1024;
/** Share of the viewer's estimate that retransmissions may use. */
export const RETRANSMIT_SHARE = 0.25;
const BUCKET_SECONDS = 0.5;

export class RetransmitBudget {
  /** Round-trip time, ms (from receiver reports; 100 until one is measured). */
  rttMs = 100;
  refusedStale = 0;
  refusedRepeat = 0;
  refusedBudget = 0;
  readonly #resentAt = new Float64Array(SLOTS).fill(-Infinity);
  readonly #resentSeq = new Int32Array(SLOTS).fill(-1);
  #tokens = 0;
  #filledAt = 0;

  /** How old (ms) a packet may be and still be worth sending again. */
  maxAgeMs(): number {
    return Math.min(1000, Math.max(200, 3 * this.rttMs + 100));
  }

  /**
   * Whether the packet `seq` (first sent at `sentAt`, `bytes` long) may be
   * retransmitted now with a budget of `shareBps`; takes the tokens when so.
   */
  allow(seq: number, sentAt: number, bytes: number, budgetBps: number, now: number): boolean {
    if (now - sentAt > this.maxAgeMs()) { this.refusedStale++; return false; }
    const slot = seq & (SLOTS - 1);
    if (this.#resentSeq[slot] === seq && now - this.#resentAt[slot]! < this.rttMs) { this.refusedRepeat++; return false; }
    const rate = budgetBps / 8;
    this.#tokens = Math.min(rate * BUCKET_SECONDS, this.#tokens + ((now - this.#filledAt) / 1000) * rate);
    this.#filledAt = now;
    if (this.#tokens < bytes) { this.refusedBudget++; return false; }
    this.#tokens -= bytes;
    this.#resentSeq[slot] = seq;
    this.#resentAt[slot] = now;
    return true;
  }
}
