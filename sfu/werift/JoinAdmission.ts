/**
 * Admission of viewer joins on one engine process: ingest comes first.
 *
 * The publisher's packets and STUN consent checks share this process's event
 * loop with every join (SDP, ICE, the DTLS handshake's key exchange). A loop
 * past a full core answers the publisher's consent checks late, the
 * publisher's ICE expires and the show dies for everyone. So a join is
 * admitted only while the loop has room under a budget (event-loop
 * utilization and event-loop delay, measured), with a cap on joins still
 * connecting (their cost lands before the measurement sees it: more wait in
 * line, briefly); otherwise it is refused with
 * SFU_OVERLOADED (HTTP 503 + Retry-After) and the client retries later.
 * An admitted join yields to I/O already queued (the publisher's packets)
 * before its own work starts.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { SfuError } from '../errors.ts';

export interface JoinAdmissionOptions {
  /** Share of one core (0..1) this process's event loop may be busy and still take joins. */
  cpuBudget: number;
  /** Joins that may be connecting (answered, DTLS not done) at once; more wait in line. */
  maxConnecting: number;
  /** Longest a join waits in line for a connecting slot before it is refused, ms. */
  queueTimeoutMs: number;
  /** Event-loop delay (ms, worst over the last sample) above which joins are refused: the publisher's STUN waits that long. */
  maxLoopDelayMs: number;
}

/** How often the loop's utilization is sampled, ms. */
const SAMPLE_MS = 250;

export class JoinAdmission {
  readonly #options: JoinAdmissionOptions;
  readonly #timer: NodeJS.Timeout;
  #last = performance.eventLoopUtilization();
  readonly #delay = monitorEventLoopDelay({ resolution: 10 });
  #load = 0;
  #delayMs = 0;
  #worstDelayMs = 0;
  /** Joins waiting for a connecting slot: `settle(true)` admits, `settle(false)` refuses. */
  readonly #line: { settle: (admitted: boolean) => void; timer: NodeJS.Timeout }[] = [];
  #connecting = 0;
  #refused = 0;
  #closed = false;

  constructor(options: JoinAdmissionOptions) {
    if (!(options.cpuBudget > 0 && options.cpuBudget <= 1)) throw new SfuError('SFU_BAD_REQUEST', 'cpuBudget must be in (0, 1]');
    if (!Number.isInteger(options.maxConnecting) || options.maxConnecting < 1) throw new SfuError('SFU_BAD_REQUEST', 'maxConnecting must be at least 1');
    this.#options = options;
    this.#delay.enable();
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
    this.#timer.unref();
  }

  /** Event-loop utilization, 0..1, smoothed over about a second. */
  get load(): number { return this.#load; }
  /** Worst event-loop delay over the last sample, ms. */
  get loopDelayMs(): number { return this.#delayMs; }
  /** Worst event-loop delay since start, ms: how late the publisher's packets could have been handled. */
  get worstLoopDelayMs(): number { return this.#worstDelayMs; }
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
    this.#delayMs = this.#delay.max / 1e6;
    this.#worstDelayMs = Math.max(this.#worstDelayMs, this.#delayMs);
    this.#delay.reset();
  }

  #overloaded(): boolean {
    return this.#load > this.#options.cpuBudget || this.#delayMs > this.#options.maxLoopDelayMs;
  }

  #refuse(why: string): never {
    this.#refused++;
    throw new SfuError('SFU_OVERLOADED', `${why}: retry after the Retry-After delay`);
  }

  /**
   * Admits one join or throws SFU_OVERLOADED. The returned `release` (idempotent)
   * frees the connecting slot: call it when the viewer connects or closes.
   */
  async admit(): Promise<() => void> {
    if (this.#closed) throw new SfuError('SFU_CLOSED', 'the SFU is shutting down');
    if (this.#overloaded()) this.#refuse('this SFU worker is at its CPU budget');
    if (this.#connecting >= this.#options.maxConnecting) {
      const admitted = await new Promise<boolean>((resolve) => {
        const entry = {
          settle: resolve,
          timer: setTimeout(() => { this.#line.splice(this.#line.indexOf(entry), 1); resolve(false); }, this.#options.queueTimeoutMs),
        };
        this.#line.push(entry);
      });
      if (this.#closed) throw new SfuError('SFU_CLOSED', 'the SFU is shutting down');
      if (!admitted) this.#refuse('too many viewers are connecting to this SFU worker');
      // Its turn came: the budget may have been spent meanwhile.
      if (this.#overloaded()) { this.#next(); this.#refuse('this SFU worker is at its CPU budget'); }
    }
    this.#connecting++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#connecting--;
      this.#next();
    };
    // Packets already waiting (the publisher's RTP and STUN) are handled before this join's work.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return release;
  }

  /** Lets the first join in line take a free connecting slot. */
  #next(): void {
    if (this.#connecting >= this.#options.maxConnecting) return;
    const entry = this.#line.shift();
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.settle(true);
  }

  /** Idempotent: joins still in line are refused. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#delay.disable();
    for (const entry of this.#line.splice(0)) { clearTimeout(entry.timer); entry.settle(false); }
  }
}
