/**
 * The reference model for properties.test.ts: what LiveChannels should do, written independently of the
 * contract, with the token movements each operation should cause.
 */
import fc from 'fast-check';
import type { TxResult } from '../../contracts/client.ts';
import type { PaymentErrorCode } from '../../contracts/errors.ts';
import type { SignedVoucher } from '../../contracts/voucher.ts';
import type { TestChain } from './helpers.ts';

export type Variant = 'ok' | 'nextEpoch' | 'stranger' | 'otherChain' | 'otherContract';

export type Op =
  | { k: 'open'; s: number; r: number; amount: bigint; permit: boolean }
  | { k: 'topUp'; s: number; r: number; amount: bigint; permit: boolean }
  | { k: 'sign'; s: number; r: number; percent: number; variant: Variant }
  | { k: 'settle'; s: number; r: number; pick: Pick }
  | { k: 'batch'; r: number; items: { s: number; pick: Pick }[] }
  /** `settleFor` / `settleForBatch`, submitted by account `by` (anyone): the payout still goes to each receiver. */
  | { k: 'settleFor'; s: number; r: number; by: number; pick: Pick }
  | { k: 'batchFor'; by: number; items: { s: number; r: number; pick: Pick }[] }
  | { k: 'close'; s: number; r: number; pick: Pick | null }
  | { k: 'requestClose'; s: number; r: number }
  | { k: 'withdraw'; s: number; r: number }
  | { k: 'travel'; seconds: number };

/**
 * Which voucher of the pool to submit: the last one signed, on its own pair (`recent`, settle and close only),
 * the pair's latest, any signed for the pair, or any at all.
 */
export interface Pick {
  n: number;
  mode: 'recent' | 'latest' | 'own' | 'any';
}

/** A signed voucher, the pair it was signed for, and the channel it can legitimately pay (null: wrong signer, chain or contract). */
export interface PoolVoucher extends SignedVoucher {
  pair: string;
  validFor: string | null;
}

interface Pair {
  open: boolean;
  epoch: number;
  deposit: bigint;
  paid: bigint;
  closesAt: bigint;
}

export class Model {
  pairs = new Map<string, Pair>();
  /** Highest amount each channel's sender signed for it. */
  maxSigned = new Map<string, bigint>();
  /** What each channel paid out, fee included. */
  paidOut = new Map<string, bigint>();
  opened = new Map<number, Set<string>>();

  pair(s: number, r: number): Pair {
    const key = `${s}:${r}`;
    let p = this.pairs.get(key);
    if (!p) {
      p = { open: false, epoch: 0, deposit: 0n, paid: 0n, closesAt: 0n };
      this.pairs.set(key, p);
    }
    return p;
  }

  signed(id: string, amount: bigint): void {
    if (amount > (this.maxSigned.get(id) ?? 0n)) this.maxSigned.set(id, amount);
  }

  channelsOf(s: number): Set<string> {
    return this.opened.get(s) ?? new Set();
  }

  clone(): Model {
    const m = new Model();
    for (const [k, v] of this.pairs) m.pairs.set(k, { ...v });
    m.maxSigned = new Map(this.maxSigned);
    m.paidOut = new Map(this.paidOut);
    for (const [k, v] of this.opened) m.opened.set(k, new Set(v));
    return m;
  }

  assign(other: Model): void {
    this.pairs = other.pairs;
    this.maxSigned = other.maxSigned;
    this.paidOut = other.paidOut;
    this.opened = other.opened;
  }
}

export function emptyModel(): Model {
  return new Model();
}

export interface Outcome {
  /** Nothing to do (e.g. no voucher to pick yet). */
  skip: boolean;
  /** Expected error code, or undefined for success. */
  error: PaymentErrorCode | undefined;
  /** Expected LIVE balance change per lower-case address. */
  deltas: Map<string, bigint>;
  /** The transactions to send, in order. */
  txs: ((t: TestChain) => Promise<TxResult>)[];
  /** Apply the predicted state (call only on success). */
  commit(): void;
}

export interface Ctx {
  challenge: bigint;
  feeBps: bigint;
  id(s: number, r: number, epoch: number): string;
  addr(i: number): string;
  feeRecipient: string;
  channels: string;
}

/** A sequence: every pair opened first (so most steps act on live channels), then random steps. */
export function opsArb(senders: number[], receivers: number[], submitters?: number[]): fc.Arbitrary<Op[]> {
  const pairs = senders.flatMap((s) => receivers.map((r) => ({ s, r })));
  const amount = fc.integer({ min: 1, max: 50 }).map((n) => BigInt(n) * 10n ** 17n);
  const preamble = fc.tuple(...pairs.map(({ s, r }) => amount.map((a): Op => ({ k: 'open', s, r, amount: a, permit: true }))));
  return fc.tuple(preamble, fc.array(opArb(senders, receivers, submitters), { minLength: 10, maxLength: 40 })).map(([a, b]) => [...a, ...b]);
}

export function opArb(senders: number[], receivers: number[], submitters: number[] = [...senders, ...receivers]): fc.Arbitrary<Op> {
  const s = fc.constantFrom(...senders);
  const r = fc.constantFrom(...receivers);
  const by = fc.constantFrom(...submitters);
  const latestPick = fc.record({ n: fc.nat({ max: 1_000 }), mode: fc.constantFrom<Pick['mode']>('latest', 'latest', 'latest', 'own') });
  // 0.1 .. 5 LIVE, in steps of 0.1
  const amount = fc.integer({ min: 1, max: 50 }).map((n) => BigInt(n) * 10n ** 17n);
  const pick = fc.record({ n: fc.nat({ max: 1_000 }), mode: fc.constantFrom<Pick['mode']>('recent', 'recent', 'latest', 'latest', 'own', 'any') });
  return fc.oneof(
    { arbitrary: fc.record({ k: fc.constant('open' as const), s, r, amount, permit: fc.boolean() }), weight: 3 },
    { arbitrary: fc.record({ k: fc.constant('topUp' as const), s, r, amount, permit: fc.boolean() }), weight: 2 },
    {
      arbitrary: fc.record({
        k: fc.constant('sign' as const),
        s,
        r,
        percent: fc.integer({ min: 0, max: 130 }),
        variant: fc.constantFrom<Variant>('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'nextEpoch', 'stranger', 'otherChain', 'otherContract'),
      }),
      weight: 7,
    },
    { arbitrary: fc.record({ k: fc.constant('settle' as const), s, r, pick }), weight: 4 },
    { arbitrary: fc.record({ k: fc.constant('batch' as const), r, items: fc.array(fc.record({ s, pick }), { maxLength: 3 }) }), weight: 3 },
    { arbitrary: fc.record({ k: fc.constant('settleFor' as const), s, r, by, pick }), weight: 3 },
    // Mostly each pair's latest voucher, so that whole batches also succeed (one bad entry reverts them all).
    { arbitrary: fc.record({ k: fc.constant('batchFor' as const), by, items: fc.array(fc.record({ s, r, pick: latestPick }), { maxLength: 2 }) }), weight: 3 },
    { arbitrary: fc.record({ k: fc.constant('close' as const), s, r, pick: fc.option(pick, { nil: null }) }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant('requestClose' as const), s, r }), weight: 2 },
    { arbitrary: fc.record({ k: fc.constant('withdraw' as const), s, r }), weight: 3 },
    { arbitrary: fc.record({ k: fc.constant('travel' as const), seconds: fc.constantFrom(1, 10, 50, 98, 99, 100, 101, 200, 500) }), weight: 3 },
  );
}

function add(deltas: Map<string, bigint>, address: string, amount: bigint): void {
  const key = address.toLowerCase();
  deltas.set(key, (deltas.get(key) ?? 0n) + amount);
}

/** Checks and applies a voucher to pair (s, r) of `m`, as LiveChannels._apply does. Returns an error code or null. */
function applyVoucher(m: Model, s: number, r: number, v: PoolVoucher, now: number, ctx: Ctx, deltas: Map<string, bigint>): PaymentErrorCode | null {
  const ch = m.pair(s, r);
  if (!ch.open) return 'PAYMENT_CHANNEL_NOT_OPEN';
  const id = ctx.id(s, r, ch.epoch);
  if (ch.closesAt !== 0n && BigInt(now) >= ch.closesAt) return 'PAYMENT_CHALLENGE_PERIOD_OVER';
  if (v.validFor !== id) return 'PAYMENT_VOUCHER_BAD_SIGNATURE';
  if (v.cumulativeAmount <= ch.paid) return 'PAYMENT_VOUCHER_NOT_NEWER';
  if (v.cumulativeAmount > ch.deposit) return 'PAYMENT_VOUCHER_OVER_DEPOSIT';
  const delta = v.cumulativeAmount - ch.paid;
  const fee = (delta * ctx.feeBps) / 10_000n;
  add(deltas, ctx.addr(r), delta - fee);
  add(deltas, ctx.feeRecipient, fee);
  add(deltas, ctx.channels, -delta);
  ch.paid = v.cumulativeAmount;
  m.paidOut.set(id, (m.paidOut.get(id) ?? 0n) + delta);
  return null;
}

function closePair(m: Model, s: number, r: number, ctx: Ctx, deltas: Map<string, bigint>): void {
  const ch = m.pair(s, r);
  const refund = ch.deposit - ch.paid;
  add(deltas, ctx.addr(s), refund);
  add(deltas, ctx.channels, -refund);
  ch.open = false;
  ch.deposit = 0n;
  ch.paid = 0n;
  ch.closesAt = 0n;
}

/** Predicts the outcome of `op` at block time `now`. */
export function predict(model: Model, op: Exclude<Op, { k: 'sign' } | { k: 'travel' }>, pool: PoolVoucher[], now: number, ctx: Ctx): Outcome {
  const m = model.clone();
  const deltas = new Map<string, bigint>();
  const txs: Outcome['txs'] = [];
  let error: PaymentErrorCode | null = null;
  const voucherAt = (pick: Pick, s: number, r: number): PoolVoucher | undefined => {
    const own = pool.filter((v) => v.pair === `${s}:${r}`);
    if ((pick.mode === 'latest' || pick.mode === 'recent') && own.length > 0) return own[own.length - 1];
    const from = pick.mode !== 'any' && own.length > 0 ? own : pool;
    return from[pick.n % Math.max(from.length, 1)];
  };
  // `recent`: submit the last signed voucher on the pair it was signed for.
  const recentPair = (o: { s: number; r: number; pick: Pick }): { s: number; r: number } => {
    const last = pool[pool.length - 1];
    if (o.pick.mode !== 'recent' || !last) return o;
    const [s, r] = last.pair.split(':').map(Number) as [number, number];
    return { s, r };
  };
  const outcome = (skip = false): Outcome => ({
    skip,
    error: error ?? undefined,
    deltas: error ? new Map() : deltas,
    txs,
    commit: () => model.assign(m),
  });

  switch (op.k) {
    case 'open': {
      const ch = m.pair(op.s, op.r);
      if (op.permit) txs.push((t) => t.as(op.s).openWithPermit(ctx.addr(op.r), op.amount));
      else txs.push((t) => t.as(op.s).approve(op.amount), (t) => t.as(op.s).open(ctx.addr(op.r), op.amount));
      if (ch.open) {
        error = 'PAYMENT_CHANNEL_ALREADY_OPEN';
        break;
      }
      ch.open = true;
      ch.epoch += 1;
      ch.deposit = op.amount;
      ch.paid = 0n;
      ch.closesAt = 0n;
      const set = m.opened.get(op.s) ?? new Set<string>();
      set.add(ctx.id(op.s, op.r, ch.epoch));
      m.opened.set(op.s, set);
      add(deltas, ctx.addr(op.s), -op.amount);
      add(deltas, ctx.channels, op.amount);
      break;
    }
    case 'topUp': {
      const ch = m.pair(op.s, op.r);
      if (op.permit) txs.push((t) => t.as(op.s).topUpWithPermit(ctx.addr(op.r), op.amount));
      else txs.push((t) => t.as(op.s).approve(op.amount), (t) => t.as(op.s).topUp(ctx.addr(op.r), op.amount));
      if (!ch.open) error = 'PAYMENT_CHANNEL_NOT_OPEN';
      else if (ch.closesAt !== 0n) error = 'PAYMENT_CHANNEL_CLOSING';
      else {
        ch.deposit += op.amount;
        add(deltas, ctx.addr(op.s), -op.amount);
        add(deltas, ctx.channels, op.amount);
      }
      break;
    }
    case 'settle': {
      const { s, r } = recentPair(op);
      const v = voucherAt(op.pick, s, r);
      if (!v) return outcome(true);
      txs.push((t) => t.as(r).settle(ctx.addr(s), v));
      error = applyVoucher(m, s, r, v, now, ctx, deltas);
      break;
    }
    case 'batch': {
      const items = op.items.map((it) => ({ s: it.s, v: voucherAt(it.pick, it.s, op.r) }));
      if (items.some((it) => !it.v)) return outcome(true);
      const entries = items.map((it) => ({ sender: ctx.addr(it.s), voucher: it.v! }));
      txs.push((t) => t.as(op.r).settleBatch(entries));
      if (items.length === 0) {
        error = 'PAYMENT_EMPTY_BATCH';
        break;
      }
      for (const it of items) {
        error = applyVoucher(m, it.s, op.r, it.v!, now, ctx, deltas);
        if (error) break;
      }
      break;
    }
    case 'settleFor': {
      const { s, r } = recentPair(op);
      const v = voucherAt(op.pick, s, r);
      if (!v) return outcome(true);
      txs.push((t) => t.as(op.by).settleFor(ctx.addr(s), ctx.addr(r), v));
      error = applyVoucher(m, s, r, v, now, ctx, deltas);
      break;
    }
    case 'batchFor': {
      const items = op.items.map((it) => ({ s: it.s, r: it.r, v: voucherAt(it.pick, it.s, it.r) }));
      if (items.some((it) => !it.v)) return outcome(true);
      const entries = items.map((it) => ({ sender: ctx.addr(it.s), receiver: ctx.addr(it.r), voucher: it.v! }));
      txs.push((t) => t.as(op.by).settleForBatch(entries));
      if (items.length === 0) {
        error = 'PAYMENT_EMPTY_BATCH';
        break;
      }
      // The client submits the entries sorted by receiver (stable), so the first failing one is found in that order.
      const ordered = [...items].sort((a, b) => (ctx.addr(a.r) < ctx.addr(b.r) ? -1 : ctx.addr(a.r) > ctx.addr(b.r) ? 1 : 0));
      for (const it of ordered) {
        error = applyVoucher(m, it.s, it.r, it.v!, now, ctx, deltas);
        if (error) break;
      }
      break;
    }
    case 'close': {
      const { s, r } = op.pick ? recentPair({ ...op, pick: op.pick }) : op;
      const v = op.pick === null ? undefined : voucherAt(op.pick, s, r);
      if (op.pick !== null && !v) return outcome(true);
      txs.push((t) => t.as(r).close(ctx.addr(s), v));
      const ch = m.pair(s, r);
      if (!ch.open) {
        error = 'PAYMENT_CHANNEL_NOT_OPEN';
        break;
      }
      if (v && v.cumulativeAmount > ch.paid) {
        error = applyVoucher(m, s, r, v, now, ctx, deltas);
        if (error) break;
      }
      closePair(m, s, r, ctx, deltas);
      break;
    }
    case 'requestClose': {
      txs.push((t) => t.as(op.s).requestClose(ctx.addr(op.r)));
      const ch = m.pair(op.s, op.r);
      if (!ch.open) error = 'PAYMENT_CHANNEL_NOT_OPEN';
      else if (ch.closesAt !== 0n) error = 'PAYMENT_CHANNEL_CLOSING';
      else ch.closesAt = BigInt(now) + ctx.challenge;
      break;
    }
    case 'withdraw': {
      txs.push((t) => t.as(op.s).withdraw(ctx.addr(op.r)));
      const ch = m.pair(op.s, op.r);
      if (!ch.open) error = 'PAYMENT_CHANNEL_NOT_OPEN';
      else if (ch.closesAt === 0n) error = 'PAYMENT_CLOSE_NOT_REQUESTED';
      else if (BigInt(now) < ch.closesAt) error = 'PAYMENT_CHALLENGE_PERIOD_ACTIVE';
      else closePair(m, op.s, op.r, ctx, deltas);
      break;
    }
  }
  return outcome();
}
