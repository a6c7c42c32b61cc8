/**
 * Kept vouchers: the server keeps each channel's latest voucher for its model (their money, not a secret), so
 * another device or a later visit can settle it, and the settlement watcher can settle it before a client's close
 * completes. `vouchers:list` gives a model the kept vouchers of channels paying their bound wallet;
 * `vouchers:store` lets anyone logged in hand over a voucher (the client after a reconnect, the model's browser for
 * vouchers that came over the data channel), checked against the chain like any voucher and kept only if higher.
 */
import type { Ctx, Handlers } from './context.ts';
import { fail } from './errors.ts';
import { payments } from './payments.ts';

export function voucherHandlers(ctx: Ctx): Handlers {
  return {
    'vouchers:list': {
      access: 'model',
      async handle(socket) {
        const wallet = await ctx.store.getWallet(socket.data.key);
        if (!wallet) return { vouchers: [] };
        return { vouchers: await ctx.store.keptVouchersFor(wallet) };
      },
    },
    'vouchers:store': {
      access: 'any',
      async handle(_socket, p) {
        const pay = payments(ctx);
        const receiver = await ctx.store.getWallet(p.model);
        if (!receiver) fail('CHANNEL_INSUFFICIENT', 'this model has no wallet bound yet');
        // The signer names the channel: only the sender of the model's current channel with this id can sign for it.
        const sender = await pay.signer(p.voucher);
        const channel = await pay.channel(sender, receiver);
        if (channel.channelId !== p.voucher.channelId.toLowerCase()) {
          fail('VOUCHER_INVALID', "voucher is not signed by the sender of this model's channel with that id");
        }
        if (channel.state !== 'open' && channel.state !== 'closing') fail('VOUCHER_INVALID', `channel is ${channel.state}`);
        const cumulative = BigInt(p.voucher.cumulativeAmount);
        if (cumulative > channel.deposit) fail('VOUCHER_INVALID', 'voucher exceeds the deposit');
        if (cumulative <= channel.paid) return { stored: false };
        const stored = await ctx.store.keepVoucher({ ...p.voucher, sender, receiver, updatedAt: Date.now() });
        return { stored };
      },
    },
  };
}
