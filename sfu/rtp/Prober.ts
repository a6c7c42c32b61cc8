/**
 * Bandwidth probes for one viewer on transport-cc: when a higher layer
 * might fit, a short cluster (PROBE_MS) is sent at that layer's rate with
 * margin, at most twice the estimate, the extra bytes being padding-only
 * packets (the browser discards them; its feedback still reports them). A
 * cluster that arrived at its rate without queueing raises the estimate to
 * that rate, and the next step follows soon while the layer still does not
 * fit; one that queued is cut short (the next feedback shows it) and the
 * next probe waits longer. No timer runs between probes.
 */
import type { SendSideEstimator } from './SendSideEstimator.ts';

const PROBE_MS = 200;
const TICK_MS = 5;
/**
 * Probe rate over what the wanted layer needs (its rate with the up margin):
 * a probe delivers a little under its rate and is credited at 90%, so less
 * than this would rarely show the layer fits.
 */
const OVERSHOOT = 1.35;
/** A probe goes at most this far over the current estimate: a step, not a flood into a link that is full. */
const MAX_STEP = 2;
/** Between probes; doubled after each that queued, up to the max: probes of at most twice the estimate cost a full link little. */
const FIRST_BACKOFF_MS = 1500;
const MAX_BACKOFF_MS = 2500;
/** After congestion this long passes before probing: the queue it left must drain first. */
const AFTER_CONGESTION_MS = 1000;
/** Queueing delay (ms) in the feedback that ends a probe early. */
const ABORT_QUEUE_MS = 20;
/** After a probe that succeeded but left the estimate short of the need, the next step comes this soon. */
const NEXT_STEP_MS = 500;

export class Prober {
  probes = 0;
  probesSucceeded = 0;
  readonly #send: (bytes: number) => number;
  #timer: NodeJS.Timeout | undefined;
  #bwe: SendSideEstimator | undefined;
  #targetBps = 0;
  #needBps = 0;
  #extraBps = 0;
  #startedAt = 0;
  #sent = 0;
  #awaiting = false;
  #nextAt = 0;
  #backoffMs = FIRST_BACKOFF_MS;

  /** @param send sends about `bytes` of probe padding now; returns the bytes sent (0: nothing to send). */
  constructor(send: (bytes: number) => number) {
    this.#send = send;
  }

  get active(): boolean { return this.#timer !== undefined; }

  /**
   * Starts a probe for `needBps` when one is due (called from the show's
   * layer tick; 0 means nothing to probe for).
   * @param rateBps what is being sent to the viewer now.
   */
  maybeProbe(bwe: SendSideEstimator | undefined, needBps: number, rateBps: number, now: number): void {
    if (!bwe) return;
    if (bwe.congested) this.#nextAt = Math.max(this.#nextAt, now + AFTER_CONGESTION_MS);
    if (needBps <= 0 || this.#timer || this.#awaiting || now < this.#nextAt) return;
    this.#bwe = bwe;
    this.#needBps = needBps;
    this.#targetBps = Math.min(needBps * OVERSHOOT, bwe.estimate * MAX_STEP);
    this.#extraBps = Math.max(0, this.#targetBps - rateBps);
    this.#startedAt = now;
    this.#sent = 0;
    this.probes++;
    bwe.startProbe(now);
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  #tick(): void {
    const bwe = this.#bwe!;
    const elapsed = performance.now() - this.#startedAt;
    const due = (this.#extraBps / 8) * (Math.min(elapsed, PROBE_MS) / 1000) - this.#sent;
    if (due > 0) {
      const sent = this.#send(due);
      if (sent === 0 && this.#sent === 0 && elapsed > PROBE_MS / 2) { this.#stop(); return; }
      this.#sent += sent;
    }
    if (elapsed >= PROBE_MS || (elapsed > 20 && bwe.peakQueueDelayMs > ABORT_QUEUE_MS)) this.#stop();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#bwe?.endProbe();
    this.#awaiting = true;
  }

  /** After each transport-cc feedback: takes the probe's outcome once it is known. */
  feedback(bwe: SendSideEstimator, now: number): void {
    if (!this.#awaiting) return;
    const result = bwe.probeResult(now);
    if (!result) return;
    this.#awaiting = false;
    if (process.env.SFU_DEBUG) console.error(`probe ok=${result.ok} delivered=${Math.round(result.deliveredBps / 1000)} kbps target=${Math.round(this.#targetBps / 1000)} kbps`);
    if (result.ok) {
      this.probesSucceeded++;
      bwe.probed(Math.min(result.deliveredBps, this.#targetBps));
      this.#backoffMs = FIRST_BACKOFF_MS;
      // The path took this step without queueing: climb on towards the need at once.
      if (bwe.estimate < this.#needBps) {
        this.#nextAt = now + NEXT_STEP_MS;
        return;
      }
    } else {
      this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
    }
    this.#nextAt = now + this.#backoffMs;
  }

  /** Idempotent. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
