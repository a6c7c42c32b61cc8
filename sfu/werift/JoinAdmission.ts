/**
 * Admission of viewer joins on one engine process: ingest comes first.
 *
 * The publisher's packets and STUN consent checks share this process's event
 * loop with every join (SDP, ICE, the DTLS handshake's key exchange). A loop
 * past a full core answers the publisher's consent checks late, the
 * publisher's ICE expires and the show dies for everyone. So a join is
 * admitted only while the loop has room under a budget (event-loop
 * utilization, measured), with a cap on joins still connecting (their cost
 * lands before the measurement sees it); otherwise it is refused with
 * SFU_OVERLOADED (HTTP 503 + Retry-After) and the client retries later.
 * An admitted join yields to I/O already queued (the publisher's packets)
 * before its own work starts.
 */
import { performance } from 'node:perf_hooks';
import { SfuError } from '../errors.ts';

export interface JoinAdmissionOptions {
  /** Share of one core (0..1) this process's event loop may be busy and still take joins. */
  cpuBudget: number;
  /** Joins that may be connecting (answered, DTLS not done) at once. */
  maxConnecting: number;
}

/** How often the loop's utilization is sampled, ms. */
const SAMPLE_MS = 250;

export class JoinAdmission {
  readonly #options: JoinAdmissionOptions;
  readonly #timer: NodeJS.Timeout;
  #last = performance.eventLoopUtilization();
  #load = 0;
  #connecting = 0;
  #refused = 0;
  #closed = false;

  constructor(options: JoinAdmissionOptions) {
    if (!(options.cpuBudget > 0 && options.cpuBudget <= 1)) throw new SfuError('SFU_BAD_REQUEST', 'cpuBudget must be in (0, 1]');
    if (!Number.isInteger(options.maxConnecting) || options.maxConnecting < 1) throw new SfuError('SFU_BAD_REQUEST', 'maxConnecting must be at least 1');
    this.#options = options;
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
    this.#timer.unref();
  }

  /** Event-loop utilization, 0..1, smoothed over about a second. */
  get load(): number { return this.#load; }
  /** Joins refused since start. */
  get refused(): number { return this.#refused; }
  /** Admitted joins not connected yet. */
  get connecting(): number { return this.#connecting; }

  #sample(): void {
    const now = performance.eventLoopUtilization();
    const window = performance.eventLoopUtilization(now, this.#last);
    this.#last = now;
    // Rises at once, falls over ~1 s: a burst is refused right away, room comes back gradually.
    this.#load = Math.max(window.utilization, this.#load * 0.75 + window.utilization * 0.25);
  }

  /**
   * Admits one join or throws SFU_OVERLOADED. The returned `release` (idempotent)
   * frees the connecting slot: call it when the viewer connects or closes.
   */
  async admit(): Promise<() => void> {
    if (this.#closed) throw new SfuError('SFU_CLOSED', 'the SFU is shutting down');
    if (this.#load > this.#options.cpuBudget) {
      this.#refused++;
      throw new SfuError('SFU_OVERLOADED', 'this SFU worker is at its CPU budget: retry after the Retry-After delay');
    }
    if (this.#connecting >= this.#options.maxConnecting) {
      this.#refused++;
      throw new SfuError('SFU_OVERLOADED', 'too many viewers are connecting to this SFU worker: retry after the Retry-After delay');
    }
    this.#connecting++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#connecting--;
    };
    // Packets already waiting (the publisher's RTP and STUN) are handled before this join's work.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return release;
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
