/**
 * The soak's closing accounts, per channel: the highest voucher the client signed; the best one its model can
 * settle (the model's own, or the server's kept voucher from `vouchers:list`, as the model's vault merges them);
 * settled on-chain by the model; then what the chain says (the channel's `paid`, ChannelSettled events, the model's
 * token balance). A voucher is lost when it is above everything the model can settle; money mismatches when the
 * chain's figures disagree with the vouchers or with each other.
 */
import { parseSignedVoucher, type SignedVoucher } from '../../../contracts/voucher.ts';
import { connectChannels } from '../../../contracts/client.ts';
import type { DevChain } from '../../../contracts/devchain.ts';
import type { PrivatePair } from './pair.ts';

export interface Ledger {
  vouchersSigned: number;
  vouchersLost: number;
  mismatchWei: bigint;
  settledWei: bigint;
  details: string[];
}

const abs = (x: bigint) => (x < 0n ? -x : x);
const best = (a: SignedVoucher | null, b: SignedVoucher | null) => (!a ? b : !b ? a : b.cumulativeAmount > a.cumulativeAmount ? b : a);

async function settledEvents(pair: PrivatePair): Promise<{ paid: bigint; payout: bigint; taken: bigint }> {
  const channels = pair.payer.channels;
  const logs = await channels.queryFilter(channels.filters.ChannelSettled!(pair.channelId), 0);
  let paid = 0n; let payout = 0n; let taken = 0n;
  for (const log of logs) {
    const args = (log as unknown as { args: { paid: bigint; payout: bigint; fee: bigint } }).args;
    if (args.paid > paid) paid = args.paid;
    payout += args.payout;
    taken += args.payout + args.fee;
  }
  return { paid, payout, taken };
}

export async function reconcile(pairs: PrivatePair[], chain: DevChain): Promise<Ledger> {
  const ledger: Ledger = { vouchersSigned: 0, vouchersLost: 0, mismatchWei: 0n, settledWei: 0n, details: [] };
  for (const pair of pairs) {
    const name = pair.o.name;
    ledger.vouchersSigned += pair.signed.length;
    const signedMax = pair.signed.reduce((m, v) => (v.cumulativeAmount > m ? v.cumulativeAmount : m), 0n);
    const keptList = await pair.kept().catch((err: unknown) => {
      ledger.details.push(`${name}: vouchers:list failed (${(err as Error).message}): counted as nothing kept`);
      return [];
    });
    const keptWire = keptList.find((v) => v.channelId.toLowerCase() === pair.channelId.toLowerCase());
    const kept = keptWire ? parseSignedVoucher(keptWire) : null;
    const toSettle = best(pair.modelHolds, kept);
    const settleable = toSettle?.cumulativeAmount ?? 0n;
    const lost = pair.signed.filter((v) => v.cumulativeAmount > settleable);
    ledger.vouchersLost += lost.length;
    ledger.details.push(`${name}: signed ${pair.signed.length} vouchers up to ${signedMax}, model holds ${pair.modelHolds?.cumulativeAmount ?? 0n}, server keeps ${kept?.cumulativeAmount ?? 0n}`);
    if (lost.length > 0) ledger.details.push(`${name}: LOST ${lost.length} vouchers: ${lost.map((v) => v.cumulativeAmount).join(', ')}`);

    const payee = connectChannels(pair.o.modelWallet, chain.addresses);
    const client = pair.o.clientWallet.address;
    const before = await payee.getChannel(client, pair.o.modelWallet.address);
    const balanceBefore = await payee.balanceOf(pair.o.modelWallet.address);
    const eventsBefore = await settledEvents(pair);
    if (toSettle && toSettle.cumulativeAmount > before.paid) await payee.settle(client, toSettle);
    const after = await payee.getChannel(client, pair.o.modelWallet.address);
    const balanceAfter = await payee.balanceOf(pair.o.modelWallet.address);
    const events = await settledEvents(pair);
    ledger.settledWei += after.paid;
    // What the client signed is what the chain paid; the channel's paid is its events' sum; the model got the payouts.
    const mismatch = abs(signedMax - after.paid) + abs(after.paid - events.taken) + abs(after.paid - events.paid)
      + abs((balanceAfter - balanceBefore) - (events.payout - eventsBefore.payout));
    ledger.mismatchWei += mismatch;
    if (mismatch !== 0n) {
      ledger.details.push(`${name}: MISMATCH ${mismatch} wei (signed ${signedMax}, paid ${after.paid}, events ${events.taken}, payout ${events.payout - eventsBefore.payout}, balance +${balanceAfter - balanceBefore})`);
    }
  }
  return ledger;
}
