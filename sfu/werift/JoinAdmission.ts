/**
 * Admission of viewer joins on one engine process: ingest comes first.
 *
 * The publisher's packets and STUN consent checks share this process's event
 * loop with every join (SDP, ICE, the DTLS handshake's key exchange). A loop
 * past a full core answers the publisher's consent checks late, the
 * publisher's ICE expires and the show dies for everyone. So a join is
 * admitted only while the process has room under a budget of one core
 * (measured: the larger of its CPU time per wall time and its event-loop
 * utilization; on a host whose cores are contended the CPU share reads low
 * while the loop is busy waiting for the CPU), and while its event loop
 * answers in time (event-loop delay), with a cap on joins still
 * connecting (their cost lands before the measurement sees it: more wait in
 * line, briefly); otherwise it is refused with
 * SFU_OVERLOADED (HTTP 503 + Retry-After) and the client retries later.
 * An admitted join yields to I/O already queued (the publisher's packets)
 * before its own work starts.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import process from 'node:process';
import { SfuError } from '../errors.ts';

export interface JoinAdmissionOptions {
  /** Share of one core (0..1) this process may use (CPU time or event-loop busy time per wall time) and still take joins. */
  cpuBudget: number;
  /** Joins that may be connecting (answered, DTLS not done) at once; more wait in line. */
  maxConnecting: number;
  /** Longest a join waits in line for a connecting slot before it is refused, ms. */
  queueTimeoutMs: number;
  /** Event-loop delay (ms, worst over the last sample) above which joins are refused: the publisher's STUN waited that long. */
  maxLoopDelayMs: number;
}

/** How often CPU time and loop delay are sampled, ms. */
const SAMPLE_MS = 250;
/**
 * The budget is compared with the mean over this many samples (1 s): one busy
 * moment (a publisher's handshake, a GC) is no overload, a second of it is.
 */
const WINDOW_SAMPLES = 4;

export class JoinAdmission {
  readonly #options: JoinAdmissionOptions;
  readonly #timer: NodeJS.Timeout;
  #lastCpu = process.cpuUsage();
  #lastAt = performance.now();
  #lastLoop = performance.eventLoopUtilization();
  readonly #delay = monitorEventLoopDelay({ resolution: 10 });
  readonly #samples: number[] = [];
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

  /** The larger of CPU time per wall time and event-loop utilization, 0..1 of one core, the mean over the last second. */
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
    const cpu = process.cpuUsage();
    const at = performance.now();
    const usedMicros = cpu.user - this.#lastCpu.user + cpu.system - this.#lastCpu.system;
    const share = at > this.#lastAt ? usedMicros / 1000 / (at - this.#lastAt) : 0;
    this.#lastCpu = cpu;
    this.#lastAt = at;
    const loop = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(loop, this.#lastLoop).utilization;
    this.#lastLoop = loop;
    this.#samples.push(Math.max(share, busy));
    if (this.#samples.length > WINDOW_SAMPLES) this.#samples.shift();
    this.#load = this.#samples.reduce((a, b) => a + b, 0) / this.#samples.length;
    this.#delayMs = this.#delay.max / 1e6;
    this.#worstDelayMs = Math.max(this.#worstDelayMs, this.#delayMs);
    this.#delay.reset();
  }

  /** Why a join cannot be taken now, or undefined when it can. */
  #overloaded(): string | undefined {
    if (this.#load > this.#options.cpuBudget) return 'this SFU worker is at its CPU budget';
    if (this.#delayMs > this.#options.maxLoopDelayMs) return 'this SFU worker answers its publishers late';
    return undefined;
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
    const busy = this.#overloaded();
    if (busy) this.#refuse(busy);
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
      const spent = this.#overloaded();
      if (spent) { this.#next(); this.#refuse(spent); }
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
