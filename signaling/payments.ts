/**
 * Chain access for signaling: channel reads through contracts/client.ts and
 * voucher checks through contracts/voucher.ts (parsing) and
 * contracts/voucher-verifier.ts (native signer recovery). `acceptVoucher` is the one
 * rule for money coming through signaling (tips and private minutes): signed
 * by the payer's bound wallet, on the payer's open channel to the model's
 * wallet, within the deposit, and strictly above every amount seen before
 * (kept per channel in the store, so a voucher is never counted twice, even
 * across processes). Every voucher it accepts is also kept as the channel's
 * latest voucher (`Store.keepVoucher`), so the model can settle it from any
 * device and the settlement watcher can settle it while the model is away.
 */
import { connectChannels, type ChannelInfo, type LiveChannelsClient } from '../contracts/client.ts';
import { parseSignedVoucher, voucherDomain, type VoucherDomain } from '../contracts/voucher.ts';
import { FastVoucherVerifier } from '../contracts/voucher-verifier.ts';
import type { ChainInfo, Ctx } from './context.ts';
import { asWireError, fail } from './errors.ts';
import type { Voucher } from './protocol.ts';

export class Payments {
  readonly client: LiveChannelsClient;
  readonly domain: VoucherDomain;
  readonly #verifier: FastVoucherVerifier;

  constructor(chain: ChainInfo) {
    this.client = connectChannels(chain.provider, chain.addresses);
    this.domain = voucherDomain(chain.chainId, chain.addresses.channels);
    this.#verifier = new FastVoucherVerifier(this.domain);
  }

  async channel(sender: string, receiver: string): Promise<ChannelInfo> {
    try {
      return await this.client.getChannel(sender, receiver);
    } catch (err) {
      fail('CHAIN_UNAVAILABLE', 'cannot read the channel from the chain', err);
    }
  }

  /** The lower-case address that signed the voucher (native secp256k1); VOUCHER_INVALID when malformed. */
  signer(voucher: Voucher): Promise<string> {
    return asWireError('VOUCHER_INVALID', 'voucher', () => this.#verifier.recover(parseSignedVoucher(voucher)));
  }
}

export interface Wallets { payer: string; model: string }

/** Both wallets, or CHANNEL_INSUFFICIENT naming the one that is missing. */
export async function walletsOf(ctx: Ctx, payerKey: string, modelKey: string): Promise<Wallets> {
  const [payer, model] = await Promise.all([ctx.store.getWallet(payerKey), ctx.store.getWallet(modelKey)]);
  if (!payer) fail('CHANNEL_INSUFFICIENT', 'bind a wallet to your identity first');
  if (!model) fail('CHANNEL_INSUFFICIENT', 'this model has no wallet bound yet');
  return { payer, model };
}

export function payments(ctx: Ctx): Payments {
  if (!ctx.payments) fail('CHAIN_UNAVAILABLE', 'payments are not configured on this server');
  return ctx.payments;
}

/** Checks that the payer's open channel to the model has `minimum` unspent above what vouchers already claim. */
export async function checkChannelCovers(ctx: Ctx, payerKey: string, modelKey: string, channelId: string, minimum: bigint): Promise<{ channel: ChannelInfo; owed: bigint }> {
  const p = payments(ctx);
  const w = await walletsOf(ctx, payerKey, modelKey);
  const channel = await p.channel(w.payer, w.model);
  if (channel.state !== 'open') fail('CHANNEL_INSUFFICIENT', `no open channel to this model (${channel.state})`);
  if (channel.channelId !== channelId.toLowerCase()) fail('CHANNEL_INSUFFICIENT', 'channelId is not your current channel to this model');
  const [highWater, kept] = await Promise.all([ctx.store.channelHighWater(channelId), ctx.store.keptVoucher(channelId)]);
  // A voucher handed over with vouchers:store counts as owed too: a new session never starts below what the model holds.
  const owed = [BigInt(highWater), BigInt(kept?.cumulativeAmount ?? 0), channel.paid].reduce((a, b) => (b > a ? b : a));
  if (channel.deposit - owed < minimum) fail('CHANNEL_INSUFFICIENT', `the channel has ${channel.deposit - owed} left, ${minimum} needed`);
  return { channel, owed };
}

/**
 * Validates and records a voucher; returns the new money it brings. With `finishHalfDone`, the very voucher the
 * channel's record already ends with (kept and high-water mark raised by an attempt that stopped before its caller
 * counted it: a crash, Redis going away) is let through once more, bringing nothing new, so that the caller can
 * finish counting it; the caller must itself refuse what it already counted (a private session's meter does).
 */
export async function acceptVoucher(ctx: Ctx, voucher: Voucher, payerKey: string, modelKey: string, opts: { finishHalfDone?: boolean } = {}): Promise<{ amount: string; cumulative: bigint }> {
  const p = payments(ctx);
  const w = await walletsOf(ctx, payerKey, modelKey);
  const signer = await p.signer(voucher);
  if (signer.toLowerCase() !== w.payer.toLowerCase()) fail('VOUCHER_INVALID', 'voucher is not signed by your bound wallet');
  const channel = await p.channel(w.payer, w.model);
  if (channel.channelId !== voucher.channelId.toLowerCase()) fail('VOUCHER_INVALID', 'voucher is for another channel');
  if (channel.state !== 'open') fail('VOUCHER_INVALID', `channel is ${channel.state}`);
  const cumulative = BigInt(voucher.cumulativeAmount);
  if (cumulative > channel.deposit) fail('VOUCHER_INVALID', 'voucher exceeds the deposit');
  if (cumulative <= channel.paid) fail('VOUCHER_INVALID', 'voucher is not above the settled amount');
  // Kept before it is counted: a crash in between leaves the model a valid voucher rather than a counted one that is gone.
  await ctx.store.keepVoucher({ ...voucher, sender: w.payer, receiver: w.model, updatedAt: Date.now() });
  const { previous, replaced } = await ctx.store.raiseChannelHighWater(voucher.channelId, cumulative.toString());
  if (!replaced) {
    const kept = opts.finishHalfDone && previous === cumulative.toString() ? await ctx.store.keptVoucher(voucher.channelId) : null;
    if (kept?.signature.toLowerCase() !== voucher.signature.toLowerCase()) fail('VOUCHER_INVALID', 'voucher is not above the last one');
    return { amount: '0', cumulative };
  }
  const before = previous === null ? channel.paid : (BigInt(previous) > channel.paid ? BigInt(previous) : channel.paid);
  return { amount: (cumulative - before).toString(), cumulative };
}
