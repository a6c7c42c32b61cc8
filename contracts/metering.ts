/**
 * Per-minute metering of a private show, the same state machine on both sides of the call. Pure: no timers, no
 * I/O; the caller passes the time (ms) in. Browser-safe.
 *
 * Minutes are prepaid: minute N (1-based) starts at `startedAt + (N - 1) * minuteMs`, and the voucher covering it,
 * cumulative amount `baseline + tips + N * pricePerMinute`, is due before it starts. The receiver (model) tolerates
 * `graceMs` of lateness, then ends the call. A voucher also ends the call at once when it is for another channel,
 * badly signed, lower than the last one accepted, or over the deposit. Tips are voucher increments declared as
 * such: they raise the cumulative amount without buying minutes.
 *
 * The sender (client) uses `due()` to know what to sign and when, `tip()` to build a tip, and records what it
 * signed with `accept(voucher, now, { trusted: true })`, so both sides hold the same numbers.
 */
import { PaymentError, type PaymentErrorCode } from './errors.ts';
import { type SignedVoucher, type VoucherDomain, verifyVoucher } from './voucher.ts';

export interface MeterOptions {
  /** Chain and LiveChannels contract the vouchers are for. */
  domain: VoucherDomain;
  /** The channel this session is paid on. */
  channelId: string;
  /** The channel's sender: every voucher must be signed by this address. */
  sender: string;
  /** Price of one minute, in token units (> 0). */
  pricePerMinute: bigint;
  /** The channel's deposit (see `setDeposit` after a top-up). */
  deposit: bigint;
  /** Cumulative amount already committed on the channel before this session (last voucher, or on-chain paid). */
  baseline: bigint;
  /** Time (ms) minute 1 starts: when the call is connected. */
  startedAt: number;
  /** How late a voucher may be past the start of the minute it pays for (default 10 s). */
  graceMs?: number;
  /** Length of a billed minute (default 60,000 ms; shorter in tests). */
  minuteMs?: number;
  /** The sender signs the voucher for a minute this long before it starts (default 5 s). */
  leadMs?: number;
  /** Optional cap on the number of paid minutes; the session ends when they run out. */
  maxMinutes?: number;
  /** True when `voucher` is signed by `sender`; defaults to ethers. The server injects `fastVerifySignature`. */
  verifySignature?: (domain: VoucherDomain, voucher: SignedVoucher, sender: string) => boolean;
}

export type MeterDecision =
  | {
      action: 'continue';
      /** Minutes covered by accepted vouchers (tips excluded). */
      paidMinutes: number;
      /** Time (ms) the prepaid minutes run out: the next minute starts. */
      paidUntil: number;
      /** Time (ms) after which, without a new voucher, the call ends. */
      deadline: number;
    }
  | { action: 'end'; error: PaymentError };

export interface VoucherDue {
  /** The minute this voucher pays for. */
  minute: number;
  cumulativeAmount: bigint;
  /** When that minute starts (ms). */
  startsAt: number;
  /** When the receiver gives up waiting (ms). */
  deadline: number;
  /** False when the deposit cannot cover it: top up first. */
  coveredByDeposit: boolean;
}

export interface AcceptOptions {
  /** This voucher's increment includes a tip of this amount. */
  tip?: bigint;
  /** Skip the signature check (the sender recording its own voucher). */
  trusted?: boolean;
}

const MAX_AMOUNT = (1n << 96n) - 1n;

/** Default lateness a receiver tolerates: the one grace period of the platform (signaling's config derives from it). */
export const DEFAULT_GRACE_MS = 10_000;
/** A billed minute. */
export const DEFAULT_MINUTE_MS = 60_000;
/** How early the sender signs the next minute's voucher by default. */
export const DEFAULT_LEAD_MS = 5_000;

export class PaymentMeter {
  readonly #o: Required<Omit<MeterOptions, 'maxMinutes'>> & { maxMinutes: number | undefined };
  #deposit: bigint;
  #highest: bigint;
  #tips = 0n;
  #last: SignedVoucher | undefined;
  #ended: PaymentError | undefined;

  constructor(options: MeterOptions) {
    const o = options;
    const bad = (why: string): never => {
      throw new PaymentError('PAYMENT_BAD_INPUT', `meter: ${why}`);
    };
    if (typeof o.pricePerMinute !== 'bigint' || o.pricePerMinute <= 0n || o.pricePerMinute > MAX_AMOUNT) bad('pricePerMinute must be > 0');
    if (typeof o.deposit !== 'bigint' || o.deposit < 0n || o.deposit > MAX_AMOUNT) bad('deposit out of range');
    if (typeof o.baseline !== 'bigint' || o.baseline < 0n || o.baseline > o.deposit) bad('baseline must be in [0, deposit]');
    if (!/^0x[0-9a-fA-F]{64}$/.test(o.channelId)) bad('channelId must be 32 bytes of hex');
    if (!Number.isFinite(o.startedAt)) bad('startedAt must be a time in ms');
    const graceMs = o.graceMs ?? DEFAULT_GRACE_MS;
    const minuteMs = o.minuteMs ?? DEFAULT_MINUTE_MS;
    const leadMs = o.leadMs ?? DEFAULT_LEAD_MS;
    if (!(graceMs >= 0 && minuteMs > 0 && leadMs >= 0 && graceMs < minuteMs && leadMs < minuteMs)) bad('need 0 <= graceMs, leadMs < minuteMs');
    if (o.maxMinutes !== undefined && !(Number.isInteger(o.maxMinutes) && o.maxMinutes > 0)) bad('maxMinutes must be a positive integer');
    this.#o = {
      ...o,
      channelId: o.channelId.toLowerCase(),
      graceMs,
      minuteMs,
      leadMs,
      maxMinutes: o.maxMinutes,
      verifySignature: o.verifySignature ?? verifyVoucher,
    };
    this.#deposit = o.deposit;
    this.#highest = o.baseline;
  }

  /** Highest cumulative amount accepted (the voucher to settle). */
  get highest(): bigint {
    return this.#highest;
  }

  /** Amount committed during this session, tips included. */
  get spent(): bigint {
    return this.#highest - this.#o.baseline;
  }

  get tips(): bigint {
    return this.#tips;
  }

  get deposit(): bigint {
    return this.#deposit;
  }

  /** The last voucher accepted, the one the receiver settles. */
  get lastVoucher(): SignedVoucher | undefined {
    return this.#last;
  }

  /** Why the session ended, once it has. */
  get endedWith(): PaymentError | undefined {
    return this.#ended;
  }

  get paidMinutes(): number {
    const credit = this.#highest - this.#o.baseline - this.#tips;
    const minutes = Number(credit / this.#o.pricePerMinute);
    return this.#o.maxMinutes === undefined ? minutes : Math.min(minutes, this.#o.maxMinutes);
  }

  /** Start (ms) of minute `n` (1-based). */
  minuteStart(n: number): number {
    return this.#o.startedAt + (n - 1) * this.#o.minuteMs;
  }

  /** Cumulative amount that pays for minutes 1..n of this session (with the tips so far). */
  amountFor(n: number): bigint {
    return this.#o.baseline + this.#tips + BigInt(n) * this.#o.pricePerMinute;
  }

  /** The deposit changed (top-up seen on-chain). */
  setDeposit(deposit: bigint): void {
    if (deposit < this.#deposit) throw new PaymentError('PAYMENT_BAD_INPUT', 'meter: a deposit never shrinks while open');
    this.#deposit = deposit;
  }

  /** Where the session stands at `now`; ends it when the next voucher is late. */
  check(now: number): MeterDecision {
    if (this.#ended) return { action: 'end', error: this.#ended };
    const paid = this.paidMinutes;
    const paidUntil = this.minuteStart(paid + 1);
    if (this.#o.maxMinutes !== undefined && paid >= this.#o.maxMinutes && now >= paidUntil) {
      return this.#end('PAYMENT_SESSION_ENDED', `the ${this.#o.maxMinutes} paid minutes are over`);
    }
    const deadline = paidUntil + this.#o.graceMs;
    if (now > deadline) {
      if (this.amountFor(paid + 1) > this.#deposit) {
        return this.#end('PAYMENT_DEPOSIT_EXHAUSTED', `the deposit does not cover minute ${paid + 1}`);
      }
      return this.#end('PAYMENT_VOUCHER_LATE', `no voucher for minute ${paid + 1} by ${deadline - this.#o.graceMs} + ${this.#o.graceMs} ms grace`);
    }
    return { action: 'continue', paidMinutes: paid, paidUntil, deadline };
  }

  /**
   * Takes a voucher from the sender. Ends the session (sticky) when it is late, for another channel, badly
   * signed, lower than the last, over the deposit, or smaller than the tip it claims to carry. A repeat of the
   * last voucher is a no-op.
   */
  accept(voucher: SignedVoucher, now: number, opts: AcceptOptions = {}): MeterDecision {
    const before = this.check(now);
    if (before.action === 'end') return before;
    if (voucher.channelId.toLowerCase() !== this.#o.channelId) {
      return this.#end('PAYMENT_VOUCHER_WRONG_CHANNEL', `voucher for channel ${voucher.channelId}, expected ${this.#o.channelId}`);
    }
    if (!opts.trusted) {
      let ok = false;
      try {
        ok = this.#o.verifySignature(this.#o.domain, voucher, this.#o.sender);
      } catch {
        ok = false;
      }
      if (!ok) return this.#end('PAYMENT_VOUCHER_BAD_SIGNATURE', "voucher is not signed by the channel's sender");
    }
    const amount = voucher.cumulativeAmount;
    const tip = opts.tip ?? 0n;
    if (tip < 0n) throw new PaymentError('PAYMENT_BAD_INPUT', 'meter: a tip is not negative');
    if (amount === this.#highest && tip === 0n) return before;
    if (amount <= this.#highest) {
      return this.#end('PAYMENT_VOUCHER_NOT_NEWER', `voucher amount ${amount} is not above the last (${this.#highest})`);
    }
    if (amount > this.#deposit) {
      return this.#end('PAYMENT_VOUCHER_OVER_DEPOSIT', `voucher amount ${amount} is over the deposit (${this.#deposit})`);
    }
    if (amount - this.#highest < tip) {
      return this.#end('PAYMENT_VOUCHER_UNDERPAID', `voucher increment ${amount - this.#highest} is smaller than its tip (${tip})`);
    }
    this.#highest = amount;
    this.#tips += tip;
    this.#last = voucher;
    return this.check(now);
  }

  /** Sender side: the voucher to sign now, or null when nothing is due yet (or the session is over). */
  due(now: number): VoucherDue | null {
    if (this.#ended) return null;
    const minute = this.paidMinutes + 1;
    if (this.#o.maxMinutes !== undefined && minute > this.#o.maxMinutes) return null;
    const startsAt = this.minuteStart(minute);
    if (now < startsAt - this.#o.leadMs) return null;
    const cumulativeAmount = this.amountFor(minute);
    return { minute, cumulativeAmount, startsAt, deadline: startsAt + this.#o.graceMs, coveredByDeposit: cumulativeAmount <= this.#deposit };
  }

  /** Sender side: the cumulative amount of a voucher carrying a tip of `amount` (record it with `{ tip }`). */
  tip(amount: bigint): bigint {
    if (amount <= 0n) throw new PaymentError('PAYMENT_BAD_INPUT', 'meter: a tip is positive');
    const cumulativeAmount = this.#highest + amount;
    if (cumulativeAmount > this.#deposit) throw new PaymentError('PAYMENT_VOUCHER_OVER_DEPOSIT', 'the tip is over the deposit');
    return cumulativeAmount;
  }

  /** Ends the session on purpose (hang-up). Idempotent; returns the reason it ended with. */
  stop(reason = 'the call was ended'): PaymentError {
    return this.#ended ?? this.#end('PAYMENT_SESSION_ENDED', reason).error;
  }

  #end(code: PaymentErrorCode, message: string): { action: 'end'; error: PaymentError } {
    this.#ended = new PaymentError(code, message);
    return { action: 'end', error: this.#ended };
  }
}
