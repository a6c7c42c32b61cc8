/**
 * The server's side of a private call's payments: contracts/metering.ts `PaymentMeter`, the same state machine the
 * two browsers run, enforced by signaling. The meter is pure (time passed in) and lives in no process: what it
 * needs is persisted in the session record (`PrivateCall.meter`), and a fresh meter is rebuilt from it whenever a
 * voucher arrives or a payment timer fires, on whichever signaling process that happens. Signatures are checked
 * by the native verifier (contracts/voucher-verifier.ts).
 *
 * A process that starts while calls are active (a restart with the Redis store) re-arms their timers and gives the
 * peers a resume window: vouchers the client could not deliver while signaling was away count as on time if they
 * arrive before it closes (the browsers meter peer-to-peer meanwhile), and the session ends as late only after it.
 */
import { z } from 'zod';
import { PaymentMeter, type MeterDecision } from '../contracts/metering.ts';
import { parseSignedVoucher } from '../contracts/voucher.ts';
import { fastVerifySignature } from '../contracts/voucher-verifier.ts';
import type { Ctx } from './context.ts';
import { fail } from './errors.ts';
import { payments } from './payments.ts';
import { Voucher } from './protocol.ts';
import type { PrivateSession } from './store.ts';

/** What a meter needs besides the session's own fields (startedAt, baseline, pricePerMinute, channelId). */
const MeterState = z.object({
  /** The client's wallet: every voucher must be signed by it. */
  sender: z.string(),
  /** The model's wallet (to re-read the channel after a top-up). */
  receiver: z.string(),
  /** The channel's deposit as last read from the chain. */
  deposit: z.string().regex(/^[0-9]+$/),
  /** Tips included in the accepted vouchers (they buy no minutes). */
  tips: z.string().regex(/^[0-9]+$/),
  minuteMs: z.number().int().positive(),
  graceMs: z.number().int().nonnegative(),
  /** The highest voucher accepted in this session, null before the first. */
  last: Voucher.nullable(),
  /** Until then (ms) a voucher counts as on time: set by a process that re-armed the call after a restart. */
  resumeUntil: z.number(),
});
export type MeterState = z.infer<typeof MeterState>;

/** A private session as stored, with the call's own fields. */
export interface PrivateCall extends PrivateSession {
  /** Before the answer: the client opted in to a direct connection; once active: both did. */
  direct: boolean;
  /** Set when the session becomes active. */
  meter: MeterState | null;
}

/** The call fields of a stored session (tolerating records written before them). */
export function asCall(s: PrivateSession): PrivateCall {
  const extra = s as Partial<PrivateCall>;
  const meter = extra.meter === undefined || extra.meter === null ? null : MeterState.safeParse(extra.meter);
  if (meter && !meter.success) fail('INTERNAL', `private session ${s.id}: unreadable meter state`);
  return { ...s, direct: extra.direct === true, meter: meter ? meter.data : null };
}

/** A session that is running: accepted, with its meter state. */
export type ActiveCall = PrivateCall & { meter: MeterState };

/** The stored session as a running call, or null when it is not one (requested, ended, gone). */
export function asActive(s: PrivateSession | null): ActiveCall | null {
  if (!s || s.state !== 'active') return null;
  const call = asCall(s);
  return call.meter ? { ...call, meter: call.meter } : null;
}

/**
 * A meter in the state the record describes. The latest voucher is replayed as received at the start of the call,
 * where any voucher is on time: the meter's state (highest amount, tips, last voucher) does not depend on when
 * vouchers came, only its verdict on lateness does, and that is asked of it afterwards with the real time.
 */
export function meterFor(ctx: Ctx, call: ActiveCall, deposit?: bigint): PaymentMeter {
  const m = call.meter;
  const meter = new PaymentMeter({
    domain: payments(ctx).domain,
    channelId: call.channelId,
    sender: m.sender,
    pricePerMinute: BigInt(call.pricePerMinute),
    deposit: deposit ?? BigInt(m.deposit),
    baseline: BigInt(call.baseline),
    startedAt: call.startedAt,
    graceMs: m.graceMs,
    minuteMs: m.minuteMs,
    // The server never signs: the lead time is the sender's business.
    leadMs: 0,
    verifySignature: fastVerifySignature,
  });
  if (m.last) {
    const replay = meter.accept(parseSignedVoucher(m.last), call.startedAt, { trusted: true, tip: BigInt(m.tips) });
    if (replay.action === 'end') fail('INTERNAL', `private session ${call.id}: stored voucher does not replay (${replay.error.message})`);
  }
  return meter;
}

/** Metering codes that mean "the money came too late" (the session ends), as opposed to "this voucher is bad". */
export function isLate(decision: MeterDecision): boolean {
  return decision.action === 'end' && (decision.error.code === 'PAYMENT_VOUCHER_LATE' || decision.error.code === 'PAYMENT_DEPOSIT_EXHAUSTED');
}

/**
 * When a voucher arriving at `now` counts as having arrived: inside a resume window, no later than the deadline of
 * the minute it pays (the meter's own deadline for the recorded state, asked at the start of the call, when it is
 * never late).
 */
export function effectiveTime(call: ActiveCall, meter: PaymentMeter, now: number): number {
  if (now >= call.meter.resumeUntil) return now;
  const standing = meter.check(call.startedAt);
  return standing.action === 'continue' ? Math.min(now, standing.deadline) : now;
}
