/**
 * Send-side bandwidth estimate for one viewer from its transport-wide-cc
 * feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01), the way
 * browsers and mediasoup/LiveKit estimate: every packet we send carries a
 * transport-wide sequence number, its send time and size go into a ring of
 * typed arrays (no object per packet), and each feedback says which arrived
 * and when. Queueing delay (one-way delay above its recent minimum) and loss
 * bring the estimate down to what was delivered; a clean path lets it grow,
 * but only up to what was actually sent, so it climbs past the current
 * layer through probes (`startProbe`): a short burst at a target rate whose
 * delivered rate, when it arrived without queueing, becomes the estimate.
 */

const SLOTS = 4096;
/** Queueing delay (ms) above which the path is taken as overused, and below which it is clear. */
const OVERUSE_MS = 40;
const CLEAR_MS = 15;
const MIN_ESTIMATE = 100_000;
const MAX_ESTIMATE = 20_000_000;
/** Minimum one-way delay is taken over two buckets of this length, so a route change is forgotten. */
const BASE_WINDOW_MS = 10_000;
const RATE_WINDOW_MS = 500;

export interface ProbeResult {
  ok: boolean;
  /** Delivered rate of the probe, bps. */
  deliveredBps: number;
}

/** A probe cluster: its transport sequence range and what the feedback said about it. */
interface Probe {
  first: number;
  /** Last sequence number of the cluster, -1 while it is still being sent. */
  last: number;
  startedAt: number;
  bytes: number;
  firstArrival: number;
  lastArrival: number;
  acked: number;
  lost: number;
  maxQueue: number;
  done: boolean;
}

export class SendSideEstimator {
  /** Current estimate, bps. */
  estimate: number;
  /** True while queueing delay or loss says the path is overused (cleared once it is clear again). */
  congested = false;
  /** Smoothed loss fraction from the feedback, 0..1. */
  loss = 0;
  /** Last queueing delay measured (the feedback's least delayed packet), ms. */
  queueDelayMs = 0;
  /** The most delayed packet of the last feedback, ms of queueing: a queue starting to build. */
  peakQueueDelayMs = 0;
  /** Delivered rate within the last feedback alone (0: too short to say), bps: under a queue, the link's rate. */
  feedbackBps = 0;
  feedbacks = 0;
  readonly #sentAt = new Float64Array(SLOTS);
  readonly #size = new Uint16Array(SLOTS);
  readonly #seq = new Int32Array(SLOTS).fill(-1);
  #next = 1;
  #baseMin = Infinity;
  #baseMinPrev = Infinity;
  #baseSince = 0;
  #lastDecrease = 0;
  #lastUpdate = 0;
  // Delivered-rate window: one entry per feedback (arrival time of its last packet, bytes).
  readonly #rateAt = new Float64Array(64);
  readonly #rateBytes = new Float64Array(64);
  #rateHead = 0;
  ackedBps = 0;
  // The probe in flight: its transport sequence range and what its feedback said.
  #probe: Probe | undefined;
  #statuses = new Uint8Array(1024);

  /** @param initialBps the estimate before any feedback (the viewer starts on what this supports). */
  constructor(initialBps: number) {
    this.estimate = initialBps;
  }

  /** Records a packet about to be sent (`bytes` on the wire); returns its 16-bit transport sequence number. */
  sent(bytes: number, now: number): number {
    const seq = this.#next;
    this.#next = (seq + 1) & 0xffff;
    const slot = seq & (SLOTS - 1);
    this.#seq[slot] = seq;
    this.#sentAt[slot] = now;
    this.#size[slot] = bytes;
    return seq;
  }

  /** Starts a probe: packets sent from now until `endProbe` are its cluster. */
  startProbe(now: number): void {
    this.#probe = { first: this.#next, last: -1, startedAt: now, bytes: 0, firstArrival: -1, lastArrival: -1, acked: 0, lost: 0, maxQueue: 0, done: false };
  }

  /** Closes the probe's cluster (the last packet sent so far is its last). */
  endProbe(): void {
    if (this.#probe && this.#probe.last < 0) this.#probe.last = (this.#next - 1) & 0xffff;
  }

  /** The finished probe's outcome once its feedback is in (then forgotten), else undefined. */
  probeResult(now: number): ProbeResult | undefined {
    const p = this.#probe;
    if (!p || p.last < 0) return undefined;
    if (!p.done && now - p.startedAt < 1500) return undefined;
    this.#probe = undefined;
    const span = p.lastArrival - p.firstArrival;
    const deliveredBps = span > 20 ? (p.bytes * 8 * 1000) / span : 0;
    const ok = p.done && p.lost <= (p.acked + p.lost) * 0.05 && p.maxQueue < OVERUSE_MS / 2 && deliveredBps > 0;
    return { ok, deliveredBps };
  }

  /** Reads one transport-cc feedback message (the RTCP packet at b[o, end)). */
  feedback(b: Uint8Array, o: number, end: number, now: number): void {
    if (end - o < 20) return;
    const base = (b[o + 12]! << 8) | b[o + 13]!;
    const count = (b[o + 14]! << 8) | b[o + 15]!;
    let ref = (b[o + 16]! << 16) | (b[o + 17]! << 8) | b[o + 18]!;
    if (ref & 0x800000) ref -= 0x1000000;
    if (count === 0) return;
    if (this.#statuses.length < count) this.#statuses = new Uint8Array(count);
    const st = this.#statuses;
    let p = o + 20;
    let n = 0;
    while (n < count && p + 2 <= end) {
      const chunk = (b[p]! << 8) | b[p + 1]!;
      p += 2;
      if ((chunk & 0x8000) === 0) {
        const symbol = (chunk >> 13) & 3;
        const run = Math.min(chunk & 0x1fff, count - n);
        st.fill(symbol, n, n + run);
        n += run;
      } else if ((chunk & 0x4000) === 0) {
        for (let k = 0; k < 14 && n < count; k++) st[n++] = (chunk >> (13 - k)) & 1;
      } else {
        for (let k = 0; k < 7 && n < count; k++) st[n++] = (chunk >> (12 - 2 * k)) & 3;
      }
    }
    if (n < count) return;
    let arrival = ref * 64;
    let received = 0;
    let lost = 0;
    let bytes = 0;
    let minDelay = Infinity;
    let maxDelay = -Infinity;
    let lastArrival = -Infinity;
    let firstArrival = Infinity;
    let firstSize = 0;
    const probe = this.#probe;
    for (let i = 0; i < count; i++) {
      const seq = (base + i) & 0xffff;
      const slot = seq & (SLOTS - 1);
      const ours = this.#seq[slot] === seq;
      const symbol = st[i]!;
      const inProbe = probe !== undefined && ours && this.#inProbe(probe, seq);
      if (symbol === 0) {
        if (ours) lost++;
        if (inProbe) probe.lost++;
        continue;
      }
      if (symbol === 1) {
        if (p + 1 > end) return;
        arrival += b[p]! * 0.25;
        p += 1;
      } else {
        if (p + 2 > end) return;
        let d = (b[p]! << 8) | b[p + 1]!;
        if (d & 0x8000) d -= 0x10000;
        arrival += d * 0.25;
        p += 2;
      }
      if (!ours) continue;
      received++;
      const size = this.#size[slot]!;
      bytes += size;
      const delay = arrival - this.#sentAt[slot]!;
      if (delay < minDelay) minDelay = delay;
      if (delay > maxDelay) maxDelay = delay;
      if (arrival > lastArrival) lastArrival = arrival;
      if (arrival < firstArrival) { firstArrival = arrival; firstSize = size; }
      if (inProbe) {
        // The cluster's first packet only opens the interval its bytes are measured over.
        if (probe.firstArrival < 0) probe.firstArrival = arrival;
        else probe.bytes += size;
        probe.lastArrival = Math.max(probe.lastArrival, arrival);
        probe.acked++;
        this.#queueSample(delay);
        probe.maxQueue = Math.max(probe.maxQueue, delay - this.#base());
        if (probe.last >= 0 && seq === probe.last) probe.done = true;
      }
    }
    if (received + lost === 0) return;
    this.feedbacks++;
    const fraction = lost / (received + lost);
    this.loss = this.loss * 0.7 + fraction * 0.3;
    if (received > 0) {
      this.#queueSample(minDelay);
      this.queueDelayMs = minDelay - this.#base();
      this.peakQueueDelayMs = maxDelay - this.#base();
      const span = lastArrival - firstArrival;
      this.feedbackBps = span >= 50 ? ((bytes - firstSize) * 8 * 1000) / span : 0;
      this.#addDelivered(lastArrival, bytes);
    }
    this.#update(now);
  }

  #inProbe(probe: Probe, seq: number): boolean {
    const from = ((seq - probe.first) & 0xffff);
    if (from >= 0x8000) return false;
    return probe.last < 0 || from <= ((probe.last - probe.first) & 0xffff);
  }

  #queueSample(delay: number): void {
    if (delay < this.#baseMin) this.#baseMin = delay;
  }

  #base(): number {
    return Math.min(this.#baseMin, this.#baseMinPrev);
  }

  #addDelivered(at: number, bytes: number): void {
    const head = this.#rateHead++;
    this.#rateAt[head & 63] = at;
    this.#rateBytes[head & 63] = bytes;
    // Bytes of every feedback in the window but the oldest, over the time since the oldest.
    let sum = 0;
    let oldest = at;
    for (let k = 0; k < 64 && k <= head; k++) {
      const j = (head - k) & 63;
      const t = this.#rateAt[j]!;
      if (at - t > RATE_WINDOW_MS || t > at) break;
      if (k > 0) sum += this.#rateBytes[(j + 1) & 63]!;
      oldest = t;
    }
    const span = at - oldest;
    if (span >= 200) this.ackedBps = (sum * 8 * 1000) / span;
  }

  #update(now: number): void {
    if (now - this.#baseSince > BASE_WINDOW_MS) {
      this.#baseMinPrev = this.#baseMin;
      this.#baseMin = Infinity;
      this.#baseSince = now;
    }
    const dt = this.#lastUpdate ? Math.min(1, (now - this.#lastUpdate) / 1000) : 0;
    this.#lastUpdate = now;
    const overused = this.queueDelayMs > OVERUSE_MS || this.loss > 0.1;
    if (overused) {
      this.congested = true;
      // One decrease per ~round trip of feedback, down to what the path delivered.
      if (now - this.#lastDecrease > 300 && this.ackedBps > 0) {
        // The window still holds what went through before the queue; the last feedback alone is the link now.
        const delivered = this.feedbackBps > 0 ? Math.min(this.ackedBps, this.feedbackBps) : this.ackedBps;
        this.estimate = Math.max(MIN_ESTIMATE, Math.min(this.estimate, delivered * 0.85));
        this.#lastDecrease = now;
      }
    } else if (this.queueDelayMs < CLEAR_MS && this.loss < 0.02) {
      this.congested = false;
      // Grow slowly, and never far past what was sent: above that only a probe can tell.
      const ceiling = Math.max(this.estimate, this.ackedBps * 1.5);
      this.estimate = Math.min(MAX_ESTIMATE, ceiling, this.estimate * (1 + 0.08 * dt));
    }
  }

  /** Raises the estimate to a successful probe's delivered rate. */
  probed(bps: number): void {
    this.estimate = Math.min(MAX_ESTIMATE, Math.max(this.estimate, bps * 0.9));
  }
}
