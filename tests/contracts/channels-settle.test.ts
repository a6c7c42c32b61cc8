import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { connectChannels, toPaymentError } from '../../contracts/client.ts';
import { computeChannelId, signVoucher, voucherDomain } from '../../contracts/voucher.ts';
import { LIVE, type TestChain, channelEvents, deployOtherChannels, rejects, testChain } from './helpers.ts';

const settle = suite('LiveChannels: settle and settleBatch');
let t: TestChain;
let idA: string; // client 0 -> model 1
let idB: string; // client 2 -> model 1

settle.before(async () => {
  t = await testChain({ platformFeeBps: 250 });
  await t.as(0).openWithPermit(t.wallet(1).address, LIVE(10));
  await t.as(2).openWithPermit(t.wallet(1).address, LIVE(10));
  idA = (await t.as(0).getChannel(t.wallet(0).address, t.wallet(1).address)).channelId;
  idB = (await t.as(2).getChannel(t.wallet(2).address, t.wallet(1).address)).channelId;
});
settle.after(async () => {
  await t.close();
});

const fee = (x: bigint) => (x * 250n) / 10_000n;

settle('settle pays the increase minus the fee, sends the fee, emits ChannelSettled, keeps the channel open', async () => {
  const model = t.wallet(1).address;
  const feeTo = t.chain.feeRecipient;
  const [m0, f0] = [await t.balance(model), await t.balance(feeTo)];
  const v = await t.as(0).signVoucher(idA, LIVE(3));
  const res = await t.as(1).settle(t.wallet(0).address, v);
  assert.equal(channelEvents(t.as(1), res.receipt), [{ name: 'ChannelSettled', args: [idA, LIVE(3), LIVE(3) - fee(LIVE(3)), fee(LIVE(3))] }]);
  assert.is(await t.balance(model), m0 + LIVE(3) - fee(LIVE(3)));
  assert.is(await t.balance(feeTo), f0 + fee(LIVE(3)));
  const info = await t.as(1).getChannel(t.wallet(0).address, model);
  assert.is(info.state, 'open');
  assert.is(info.paid, LIVE(3));
  assert.is(info.remaining, LIVE(7));
  // A later voucher pays only the difference.
  const v2 = await t.as(0).signVoucher(idA, LIVE(4));
  await t.as(1).settle(t.wallet(0).address, v2);
  assert.is(await t.balance(model), m0 + LIVE(4) - fee(LIVE(3)) - fee(LIVE(1)));
});

settle('replaying or lowering a voucher reverts with VoucherNotNewer and pays nothing', async () => {
  const model = t.wallet(1).address;
  const before = await t.balance(model);
  const same = await t.as(0).signVoucher(idA, LIVE(4));
  const e = await rejects(t.as(1).settle(t.wallet(0).address, same), 'PAYMENT_VOUCHER_NOT_NEWER', 'VoucherNotNewer');
  assert.equal(e.revert!.args, [idA, LIVE(4), LIVE(4)]);
  await rejects(t.as(1).settle(t.wallet(0).address, await t.as(0).signVoucher(idA, LIVE(2))), 'PAYMENT_VOUCHER_NOT_NEWER', 'VoucherNotNewer');
  assert.is(await t.balance(model), before);
});

settle('a voucher over the deposit reverts with VoucherExceedsDeposit', async () => {
  const e = await rejects(t.as(1).settle(t.wallet(0).address, await t.as(0).signVoucher(idA, LIVE(10) + 1n)),
    'PAYMENT_VOUCHER_OVER_DEPOSIT', 'VoucherExceedsDeposit');
  assert.equal(e.revert!.args, [idA, LIVE(10) + 1n, LIVE(10)]);
});

settle('vouchers signed by someone else, for another channel, contract or chain pay nothing', async () => {
  const sender = t.wallet(0).address;
  const model = t.wallet(1).address;
  const before = await t.balance(model);
  // Signed by another key.
  const stranger = Wallet.createRandom();
  const e = await rejects(t.as(1).settle(sender, await signVoucher(stranger, t.domain, { channelId: idA, cumulativeAmount: LIVE(5) })),
    'PAYMENT_VOUCHER_BAD_SIGNATURE', 'InvalidSignature');
  assert.equal(e.revert!.args, [idA, stranger.address]);
  // The sender's own signature, but for another channel: their channel B? (client 2's) id, a future epoch.
  for (const other of [idB, computeChannelId(t.domain, sender, model, 2n), computeChannelId(t.domain, sender, t.wallet(3).address, 1n)]) {
    const v = await signVoucher(t.wallet(0), t.domain, { channelId: other, cumulativeAmount: LIVE(5) });
    await rejects(t.as(1).settle(sender, { ...v, channelId: idA }), 'PAYMENT_VOUCHER_BAD_SIGNATURE', 'InvalidSignature');
  }
  // Same channel id, other contract or other chain in the EIP-712 domain.
  const otherContract = voucherDomain(t.chain.chainId, await deployOtherChannels(t));
  const otherChain = voucherDomain(1, t.chain.addresses.channels);
  for (const d of [otherContract, otherChain]) {
    const v = await signVoucher(t.wallet(0), d, { channelId: idA, cumulativeAmount: LIVE(5) });
    await rejects(t.as(1).settle(sender, v), 'PAYMENT_VOUCHER_BAD_SIGNATURE', 'InvalidSignature');
  }
  // A malformed signature straight to the contract: InvalidSignature with a zero signer.
  const bad = await t.as(1).channels.getFunction('settle').send(sender, LIVE(5), `0x${'11'.repeat(64)}`)
    .then((tx) => tx.wait()).catch((err) => toPaymentError(err));
  assert.is((bad as { code?: string }).code, 'PAYMENT_VOUCHER_BAD_SIGNATURE');
  assert.is(await t.balance(model), before);
});

settle('only the receiver can settle: anyone else finds no channel', async () => {
  const v = await t.as(0).signVoucher(idA, LIVE(5));
  const e = await rejects(t.as(3).settle(t.wallet(0).address, v), 'PAYMENT_CHANNEL_NOT_OPEN', 'ChannelNotOpen');
  assert.equal(e.revert!.args, [t.wallet(0).address, t.wallet(3).address]);
});

settle('settleBatch settles many channels in one transaction with one payout', async () => {
  const model = t.wallet(1).address;
  const before = await t.balance(model);
  const vA = await t.as(0).signVoucher(idA, LIVE(6));
  const vB = await t.as(2).signVoucher(idB, LIVE(2));
  const res = await t.as(1).settleBatch([{ sender: t.wallet(0).address, voucher: vA }, { sender: t.wallet(2).address, voucher: vB }]);
  const ev = channelEvents(t.as(1), res.receipt);
  assert.equal(ev, [
    { name: 'ChannelSettled', args: [idA, LIVE(6), LIVE(2) - fee(LIVE(2)), fee(LIVE(2))] },
    { name: 'ChannelSettled', args: [idB, LIVE(2), LIVE(2) - fee(LIVE(2)), fee(LIVE(2))] },
  ]);
  const transfers = res.receipt.logs.filter((l) => l.address.toLowerCase() === t.chain.addresses.token.toLowerCase());
  assert.is(transfers.length, 2, 'one payout transfer and one fee transfer');
  assert.is(await t.balance(model), before + 2n * (LIVE(2) - fee(LIVE(2))));
});

settle('settleBatch reverts as a whole when one voucher is bad, and on an empty batch', async () => {
  const model = t.wallet(1).address;
  const before = await t.balance(model);
  const good = await t.as(0).signVoucher(idA, LIVE(7));
  const stale = await t.as(2).signVoucher(idB, LIVE(2));
  await rejects(t.as(1).settleBatch([{ sender: t.wallet(0).address, voucher: good }, { sender: t.wallet(2).address, voucher: stale }]),
    'PAYMENT_VOUCHER_NOT_NEWER', 'VoucherNotNewer');
  assert.is(await t.balance(model), before);
  assert.is((await t.as(1).getChannel(t.wallet(0).address, model)).paid, LIVE(6));
  const empty = await rejects(t.as(1).settleBatch([]), 'PAYMENT_EMPTY_BATCH', 'EmptyBatch');
  assert.equal(empty.revert!.args, [model]);
  // The same channel twice in one batch: only increasing amounts pass.
  const v8 = await t.as(0).signVoucher(idA, LIVE(8));
  await t.as(1).settleBatch([{ sender: t.wallet(0).address, voucher: good }, { sender: t.wallet(0).address, voucher: v8 }]);
  assert.is((await t.as(1).getChannel(t.wallet(0).address, model)).paid, LIVE(8));
  await rejects(t.as(1).settleBatch([{ sender: t.wallet(0).address, voucher: v8 }]), 'PAYMENT_VOUCHER_NOT_NEWER', 'VoucherNotNewer');
  const e = await rejects(t.as(1).settleBatch([{ sender: t.wallet(4).address, voucher: v8 }]), 'PAYMENT_CHANNEL_NOT_OPEN', 'ChannelNotOpen');
  assert.equal(e.revert!.args, [t.wallet(4).address, model]);
});

settle('with a zero fee nothing goes to the fee recipient', async () => {
  const address = await deployOtherChannels(t, 0);
  const c = connectChannels(t.wallet(3), { token: t.chain.addresses.token, channels: address });
  const m = connectChannels(t.wallet(4), { token: t.chain.addresses.token, channels: address });
  await c.openWithPermit(t.wallet(4).address, LIVE(2));
  const id = (await c.getChannel(t.wallet(3).address, t.wallet(4).address)).channelId;
  const before = await t.balance(t.wallet(4).address);
  const res = await m.settle(t.wallet(3).address, await c.signVoucher(id, LIVE(1)));
  assert.equal(channelEvents(m, res.receipt), [{ name: 'ChannelSettled', args: [id, LIVE(1), LIVE(1), 0n] }]);
  assert.is(await t.balance(t.wallet(4).address), before + LIVE(1));
});

settle.run();
