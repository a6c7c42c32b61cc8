/**
 * A private call's minute-by-minute payment in the browser, on contracts/metering.ts `PaymentMeter` (the module
 * the server runs too, so the three parties hold the same numbers). The payer (client) signs each minute's
 * voucher `leadMs` before the minute starts; the payee (model) checks every voucher it gets and ends the call
 * when one is later than the grace period, lower than the last, badly signed, for another channel or over the
 * deposit. Transport-free: the call sends what `signed` gives and feeds in what arrives.
 */
import { PaymentMeter, type MeterOptions } from '../../contracts/metering.ts';
import { PaymentError } from '../../contracts/errors.ts';
import { type SignedVoucher, type VoucherDomain, parseSignedVoucher } from '../../contracts/voucher.ts';
import { Emitter } from './emitter.ts';

/** The meter's own options (contracts/metering.ts documents each), plus who this side is and how it signs. */
export type CallMeterOptions = Pick<MeterOptions, 'domain' | 'channelId' | 'sender' | 'pricePerMinute' | 'deposit' | 'baseline' | 'startedAt' | 'leadMs'>
  & Required<Pick<MeterOptions, 'graceMs' | 'minuteMs'>>
  & {
    /** 'payer' signs (the client), 'payee' verifies (the model). */
    role: 'payer' | 'payee';
    /** Payer only: signs a voucher with the channel's sender wallet. */
    signVoucher?: (channelId: string, cumulativeAmount: bigint) => Promise<SignedVoucher>;
  };

/** The numbers a call screen shows. */
export interface MeterTick {
  /** The minute being played now (1-based), 0 before the call starts. */
  minute: number;
  paidMinutes: number;
  /** Committed during this call, tips included (base units). */
  spent: bigint;
  tips: bigint;
  /** What the deposit can still pay: deposit minus everything committed on the channel. */
  remaining: bigint;
  /** When the prepaid time runs out (ms). */
  paidUntil: number;
}

export type VoucherPath = 'signaling' | 'peer';

type Events = {
  tick: [MeterTick];
  /** Payer: a voucher just signed, to send over both paths. */
  signed: [SignedVoucher, bigint | undefined];
  /** Payee: a voucher accepted (new), with the path it came by. */
  accepted: [SignedVoucher, { tip: bigint | undefined; via: VoucherPath }];
  /** The payment ended the call (late, refused voucher, deposit exhausted). */
  ended: [PaymentError];
  /** Payer: the deposit cannot pay the next minute. */
  lowdeposit: [];
};

export class CallMeter {
  readonly events = new Emitter<Events>();
  readonly #o: CallMeterOptions;
  readonly #meter: PaymentMeter;
  /** Signatures already accepted: the same voucher arrives by signaling and by the data channel. */
  readonly #seen = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #signing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: CallMeterOptions) {
    if (options.role === 'payer' && !options.signVoucher) throw new TypeError('a payer meter needs signVoucher');
    this.#o = options;
    const leadMs = Math.min(options.leadMs ?? 5_000, Math.floor(options.minuteMs / 2));
    this.#meter = new PaymentMeter({
      domain: options.domain, channelId: options.channelId, sender: options.sender, pricePerMinute: options.pricePerMinute,
      deposit: options.deposit, baseline: options.baseline, startedAt: options.startedAt, graceMs: options.graceMs,
      minuteMs: options.minuteMs, leadMs,
    });
  }

  /** The highest voucher accepted (the one to settle), if any. */
  get lastVoucher(): SignedVoucher | undefined { return this.#meter.lastVoucher; }
  get highest(): bigint { return this.#meter.highest; }

  /** Starts the clock: the payer signs minute 1 at once, the payee waits for it (grace included). */
  start(): void {
    if (this.#closed || this.#heartbeat) return;
    this.#heartbeat = setInterval(() => this.#emitTick(), 1_000);
    this.#step();
  }

  /** Payee: a voucher from the payer. Duplicates (both paths) are ignored; anything refused ends the call. */
  receive(wire: unknown, tip: string | undefined, via: VoucherPath): void {
    if (this.#closed || this.#o.role !== 'payee') return;
    let voucher: SignedVoucher;
    let tipAmount: bigint | undefined;
    try {
      voucher = parseSignedVoucher(wire);
      tipAmount = tip === undefined ? undefined : BigInt(tip);
    } catch {
      return this.#finish(new PaymentError('PAYMENT_VOUCHER_MALFORMED', 'a malformed voucher arrived'));
    }
    if (this.#seen.has(voucher.signature)) return;
    const decision = this.#meter.accept(voucher, Date.now(), tipAmount === undefined ? {} : { tip: tipAmount });
    if (decision.action === 'end') return this.#finish(decision.error);
    this.#seen.add(voucher.signature);
    this.events.emit('accepted', voucher, { tip: tipAmount, via });
    this.#emitTick();
    this.#step();
  }

  /** Payer: signs and records a tip on top of what is committed; resolves once it is signed (then sent). */
  tip(amount: bigint): Promise<SignedVoucher> {
    if (this.#o.role !== 'payer') return Promise.reject(new TypeError('only the payer tips'));
    const run = this.#signing.then(async () => {
      const cumulative = this.#meter.tip(amount);
      const voucher = await this.#o.signVoucher!(this.#o.channelId, cumulative);
      const decision = this.#meter.accept(voucher, Date.now(), { trusted: true, tip: amount });
      if (decision.action === 'end') throw decision.error;
      this.events.emit('signed', voucher, amount);
      this.#emitTick();
      return voucher;
    });
    this.#signing = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Stops the clock; what was accepted stays readable. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#heartbeat);
    this.#meter.stop();
    this.events.clear();
  }

  /** One step of the clock: the payer signs what is due, the payee checks the deadline; then the next wake-up. */
  #step(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    const now = Date.now();
    const decision = this.#meter.check(now);
    if (decision.action === 'end') return this.#finish(decision.error);
    if (this.#o.role === 'payee') {
      // Wake just after the deadline: a voucher arriving before it calls #step again.
      this.#timer = setTimeout(() => this.#step(), Math.max(0, decision.deadline - now + 5));
      return;
    }
    const due = this.#meter.due(now);
    if (due) {
      if (!due.coveredByDeposit) {
        this.events.emit('lowdeposit');
        this.#timer = setTimeout(() => this.#step(), 1_000);
        return;
      }
      this.#signing = this.#signing.then(() => this.#signDue()).catch(() => undefined);
      return;
    }
    const leadMs = Math.min(this.#o.leadMs ?? 5_000, Math.floor(this.#o.minuteMs / 2));
    const wakeAt = this.#meter.minuteStart(decision.paidMinutes + 1) - leadMs;
    this.#timer = setTimeout(() => this.#step(), Math.max(0, wakeAt - now));
  }

  async #signDue(): Promise<void> {
    const due = this.#meter.due(Date.now());
    if (!due || this.#closed) return;
    let voucher: SignedVoucher;
    try {
      voucher = await this.#o.signVoucher!(this.#o.channelId, due.cumulativeAmount);
    } catch {
      // The wallet failed or refused: try again shortly; the payee ends the call if it stays unpaid.
      if (!this.#closed) this.#timer = setTimeout(() => this.#step(), 1_000);
      return;
    }
    if (this.#closed) return;
    const decision = this.#meter.accept(voucher, Date.now(), { trusted: true });
    if (decision.action === 'end') return this.#finish(decision.error);
    this.events.emit('signed', voucher, undefined);
    this.#emitTick();
    this.#step();
  }

  #emitTick(): void {
    if (this.#closed) return;
    const now = Date.now();
    const minute = now < this.#o.startedAt ? 0 : Math.floor((now - this.#o.startedAt) / this.#o.minuteMs) + 1;
    this.events.emit('tick', {
      minute, paidMinutes: this.#meter.paidMinutes, spent: this.#meter.spent, tips: this.#meter.tips,
      remaining: this.#meter.deposit - this.#meter.highest, paidUntil: this.#meter.minuteStart(this.#meter.paidMinutes + 1),
    });
  }

  #finish(error: PaymentError): void {
    if (this.#closed) return;
    const events = this.events;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#heartbeat);
    events.emit('ended', error);
    events.clear();
  }
}
