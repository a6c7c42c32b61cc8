/**
 * The earnings page's arithmetic (client/services/earnings.ts `aggregateEarnings`): each call and tip placed on
 * its channel's cumulative amount, settled once a ChannelSettled log's `paid` covers it (with that log's
 * transaction), money no record explains shown too, totals per day and in all equal to the channels' sums,
 * and the fee as the contract takes it. Amounts exact, in wei.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { aggregateEarnings, dayOf, feeOf, type Settlement } from '../../client/services/earnings.ts';
import type { SessionEarnings, Unsettled } from '../../client/services/voucher-vault.ts';

const P = 1_500_000_000_000_000_000n; // 1.5 LIVE per minute
const A = '0x' + 'a1'.repeat(32);
const B = '0x' + 'b2'.repeat(32);
const DAY1 = new Date(2026, 10, 30, 22, 0).getTime();
const DAY2 = new Date(2026, 11, 1, 9, 30).getTime();

function channel(channelId: string, cumulative: bigint, paid: bigint, state = 'open'): Unsettled {
  return {
    channelId, sender: '0x' + channelId.slice(2, 42), receiver: '0x' + 'cc'.repeat(20), cumulativeAmount: cumulative.toString(),
    signature: '0x', synced: true, updatedAt: DAY2, paid, unsettled: cumulative > paid ? cumulative - paid : 0n, state,
  };
}

function call(sessionId: string, channelId: string, startedAt: number, from: bigint, to: bigint, tips = 0n): SessionEarnings {
  return { sessionId, channelId, peerPseudonym: `client-${sessionId}`, startedAt, baseline: from.toString(), highest: to.toString(), pricePerMinute: P.toString(), tips: tips.toString() };
}

function settled(channelId: string, paid: bigint, payout: bigint, fee: bigint, blockNumber: number): Settlement {
  return { channelId, paid, payout, fee, txHash: `0x${String(blockNumber).padStart(64, '0')}`, blockNumber, logIndex: 0, at: DAY2 };
}

const rows = suite('earnings rows');

rows('a call is settled once a settlement covers it, with that settlement\'s transaction; the next one is not', () => {
  const tip = 250_000_000_000_000_000n;
  const r = aggregateEarnings({
    sessions: [call('s1', A, DAY1, 0n, 3n * P), call('s2', A, DAY2, 3n * P, 5n * P + tip, tip)],
    channels: [channel(A, 5n * P + tip, 3n * P)],
    settlements: [settled(A, 3n * P, 3n * P - feeOf(3n * P, 250), feeOf(3n * P, 250), 7)],
    feeBps: 250,
  });
  const [second, first] = r.items;
  assert.equal([first!.id, first!.state, first!.amount, first!.settled, first!.minutes, first!.tx], ['s1', 'settled', 3n * P, 3n * P, 3, `0x${'7'.padStart(64, '0')}`]);
  assert.equal([second!.id, second!.state, second!.amount, second!.settled, second!.minutes, second!.tips, second!.tx], ['s2', 'unsettled', 2n * P + tip, 0n, 2, tip, null]);
  assert.is(r.totals.unsettled, 2n * P + tip);
  assert.is(r.totals.settled, 3n * P);
  assert.is(r.totals.fee, feeOf(3n * P, 250));
  assert.equal(r.channels.map((c) => [c.channelId, c.unsettled, c.fee, c.payout]), [[A, 2n * P + tip, feeOf(2n * P + tip, 250), 2n * P + tip - feeOf(2n * P + tip, 250)]]);
});

rows('a settlement that covers part of a call leaves it partly settled; a later one completes it with its own transaction', () => {
  const partly = aggregateEarnings({
    sessions: [call('s1', A, DAY1, P, 4n * P)], channels: [channel(A, 4n * P, 2n * P)],
    settlements: [settled(A, 2n * P, 0n, 0n, 3)], feeBps: 0,
  });
  const s1 = partly.items.find((i) => i.id === 's1')!;
  assert.equal([s1.state, s1.settled, s1.tx], ['partly', P, `0x${'3'.padStart(64, '0')}`]);
  const done = aggregateEarnings({
    sessions: [call('s1', A, DAY1, P, 4n * P)], channels: [channel(A, 4n * P, 4n * P)],
    settlements: [settled(A, 4n * P, 0n, 0n, 9), settled(A, 2n * P, 0n, 0n, 3)], feeBps: 0,
  });
  const again = done.items.find((i) => i.id === 's1')!;
  assert.equal([again.state, again.tx], ['settled', `0x${'9'.padStart(64, '0')}`]);
  assert.is(done.channels.length, 0, 'nothing left to settle');
});

rows('money on a channel that no record explains is its own row, so the totals equal the channels\' sums', () => {
  const r = aggregateEarnings({
    sessions: [call('s1', A, DAY1, 2n * P, 3n * P), { ...call('t1', B, DAY2, 0n, 7n), kind: 'tip', pricePerMinute: undefined }],
    channels: [channel(A, 5n * P, 0n), channel(B, 7n, 0n)],
    settlements: [], feeBps: 100,
  });
  const other = r.items.filter((i) => i.kind === 'other').map((i) => [i.channelId, i.amount]).sort();
  assert.equal(other, [[A, 2n * P], [A, 2n * P]], 'before and after the recorded call');
  const tip = r.items.find((i) => i.id === 't1')!;
  assert.equal([tip.kind, tip.minutes, tip.amount, tip.tips], ['tip', null, 7n, 7n]);
  assert.is(r.totals.earned, 5n * P + 7n);
  assert.is(r.totals.unsettled, 5n * P + 7n);
});

const days = suite('earnings per day');

days('per-day totals add the rows of each local day, newest day first', () => {
  const r = aggregateEarnings({
    sessions: [call('s1', A, DAY1, 0n, P), call('s2', A, DAY2, P, 3n * P), call('s3', B, DAY2 + 60_000, 0n, 2n * P)],
    channels: [channel(A, 3n * P, P), channel(B, 2n * P, 0n)],
    settlements: [settled(A, P, P, 0n, 2)], feeBps: 0,
  });
  assert.equal(r.days.map((d) => [d.day, d.earned, d.settled, d.unsettled]), [
    [dayOf(DAY2), 4n * P, 0n, 4n * P],
    [dayOf(DAY1), P, P, 0n],
  ]);
  assert.is(dayOf(DAY1), '2026-11-30');
});

days('for any calls and settlements: rows add up to the channel, day totals to the rows, settled + unsettled to earned', () => {
  fc.assert(fc.property(
    fc.array(fc.bigInt({ min: 1n, max: 10n ** 20n }), { minLength: 1, maxLength: 6 }),
    fc.bigInt({ min: 0n, max: 10n ** 21n }), fc.integer({ min: 0, max: 1000 }),
    (sizes, paidRaw, feeBps) => {
      let cursor = 0n;
      const sessions = sizes.map((size, i) => {
        const s = call(`s${i}`, A, DAY1 + i * 3_600_000 * 7, cursor, cursor + size);
        cursor += size;
        return s;
      });
      const paid = paidRaw > cursor ? cursor : paidRaw;
      const r = aggregateEarnings({
        sessions, channels: [channel(A, cursor, paid)], feeBps,
        settlements: paid > 0n ? [settled(A, paid, paid - feeOf(paid, feeBps), feeOf(paid, feeBps), 1)] : [],
      });
      const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
      return r.totals.earned === cursor && r.totals.settled === paid && r.totals.unsettled === cursor - paid
        && sum(r.days.map((d) => d.earned)) === cursor && sum(r.items.map((i) => i.settled)) === paid
        && (r.channels[0]?.unsettled ?? 0n) === cursor - paid;
    }));
});

rows.run();
days.run();
