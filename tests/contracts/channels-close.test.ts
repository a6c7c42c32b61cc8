import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LIVE, type TestChain, channelEvents, rejects, testChain } from './helpers.ts';

const close = suite('LiveChannels: close paths and reopening');
let t: TestChain;
const fee = (x: bigint) => (x * 250n) / 10_000n;

close.before(async () => {
  t = await testChain({ platformFeeBps: 250, challengePeriodSeconds: 100 });
});
close.after(async () => {
  await t.close();
});

close('cooperative close collects the final voucher and refunds the rest to the sender', async () => {
  const [c, m] = [t.wallet(0).address, t.wallet(1).address];
  await t.as(0).openWithPermit(m, LIVE(10));
  const id = (await t.as(0).getChannel(c, m)).channelId;
  await t.as(1).settle(c, await t.as(0).signVoucher(id, LIVE(2)));
  const [c0, m0, k0] = [await t.balance(c), await t.balance(m), await t.balance(t.chain.addresses.channels)];
  const res = await t.as(1).close(c, await t.as(0).signVoucher(id, LIVE(5)));
  assert.equal(channelEvents(t.as(1), res.receipt), [
    { name: 'ChannelSettled', args: [id, LIVE(5), LIVE(3) - fee(LIVE(3)), fee(LIVE(3))] },
    { name: 'ChannelClosed', args: [id, LIVE(5), LIVE(5)] },
  ]);
  assert.is(await t.balance(c), c0 + LIVE(5));
  assert.is(await t.balance(m), m0 + LIVE(3) - fee(LIVE(3)));
  assert.is(await t.balance(t.chain.addresses.channels), k0 - LIVE(8));
  const info = await t.as(0).getChannel(c, m);
  assert.is(info.state, 'closed');
  assert.is(info.channelId, id);
  assert.is(info.deposit, 0n);
  await rejects(t.as(1).close(c), 'PAYMENT_CHANNEL_NOT_OPEN', 'ChannelNotOpen');
});

close('reopening a pair gives a new channel id; vouchers for the earlier channel pay nothing', async () => {
  const [c, m] = [t.wallet(0).address, t.wallet(1).address];
  const oldId = (await t.as(0).getChannel(c, m)).channelId;
  const oldVoucher = await t.as(0).signVoucher(oldId, LIVE(9));
  await t.as(0).openWithPermit(m, LIVE(10));
  const info = await t.as(0).getChannel(c, m);
  assert.is(info.epoch, 2n);
  assert.is(info.state, 'open');
  assert.is.not(info.channelId, oldId);
  const before = await t.balance(m);
  await rejects(t.as(1).settle(c, oldVoucher), 'PAYMENT_VOUCHER_BAD_SIGNATURE', 'InvalidSignature');
  await rejects(t.as(1).close(c, oldVoucher), 'PAYMENT_VOUCHER_BAD_SIGNATURE', 'InvalidSignature');
  assert.is(await t.balance(m), before);
  // The old id is still found, as closed; the new one as open.
  const old = await t.as(0).getChannelById(oldId);
  assert.is(old?.state, 'closed');
  assert.is(old?.deposit, 0n);
  assert.is((await t.as(0).getChannelById(info.channelId))?.state, 'open');
  assert.is(await t.as(0).getChannelById(`0x${'00'.repeat(31)}01`), null);
});

close('close without a voucher refunds deposit minus paid', async () => {
  const [c, m] = [t.wallet(0).address, t.wallet(1).address];
  const id = (await t.as(0).getChannel(c, m)).channelId;
  await t.as(1).settle(c, await t.as(0).signVoucher(id, LIVE(1)));
  const c0 = await t.balance(c);
  const res = await t.as(1).close(c);
  assert.equal(channelEvents(t.as(1), res.receipt), [{ name: 'ChannelClosed', args: [id, LIVE(1), LIVE(9)] }]);
  assert.is(await t.balance(c), c0 + LIVE(9));
});

close('requestClose starts the challenge period; the receiver can still settle; withdraw after it refunds', async () => {
  const [c, m] = [t.wallet(2).address, t.wallet(3).address];
  await t.as(2).openWithPermit(m, LIVE(10));
  const id = (await t.as(2).getChannel(c, m)).channelId;
  const e0 = await rejects(t.as(2).withdraw(m), 'PAYMENT_CLOSE_NOT_REQUESTED', 'CloseNotRequested');
  assert.equal(e0.revert!.args, [id]);
  const res = await t.as(2).requestClose(m);
  const ts = await t.now();
  assert.equal(channelEvents(t.as(2), res.receipt), [{ name: 'CloseRequested', args: [id, BigInt(ts + 100)] }]);
  const info = await t.as(2).getChannel(c, m);
  assert.is(info.state, 'closing');
  assert.is(info.closesAt, BigInt(ts + 100));
  await rejects(t.as(2).requestClose(m), 'PAYMENT_CHANNEL_CLOSING', 'ChannelClosing');
  const e1 = await rejects(t.as(2).withdraw(m), 'PAYMENT_CHALLENGE_PERIOD_ACTIVE', 'ChallengePeriodActive');
  assert.equal(e1.revert!.args, [id, BigInt(ts + 100)]);
  // The model settles the latest voucher during the challenge period.
  await t.as(3).settle(c, await t.as(2).signVoucher(id, LIVE(4)));
  const late = await t.as(2).signVoucher(id, LIVE(6));
  await t.chain.increaseTime(100);
  await rejects(t.as(3).settle(c, late), 'PAYMENT_CHALLENGE_PERIOD_OVER', 'ChallengePeriodOver');
  await rejects(t.as(3).settleBatch([{ sender: c, voucher: late }]), 'PAYMENT_CHALLENGE_PERIOD_OVER', 'ChallengePeriodOver');
  await rejects(t.as(3).close(c, late), 'PAYMENT_CHALLENGE_PERIOD_OVER', 'ChallengePeriodOver');
  const c0 = await t.balance(c);
  const w = await t.as(2).withdraw(m);
  assert.equal(channelEvents(t.as(2), w.receipt), [{ name: 'ChannelClosed', args: [id, LIVE(4), LIVE(6)] }]);
  assert.is(await t.balance(c), c0 + LIVE(6));
  assert.is((await t.as(2).getChannel(c, m)).state, 'closed');
  await rejects(t.as(2).withdraw(m), 'PAYMENT_CHANNEL_NOT_OPEN', 'ChannelNotOpen');
  await rejects(t.as(2).requestClose(m), 'PAYMENT_CHANNEL_NOT_OPEN', 'ChannelNotOpen');
});

close('the receiver can close cooperatively while a close is pending', async () => {
  const [c, m] = [t.wallet(2).address, t.wallet(3).address];
  await t.as(2).openWithPermit(m, LIVE(3));
  const id = (await t.as(2).getChannel(c, m)).channelId;
  await t.as(2).requestClose(m);
  const res = await t.as(3).close(c, await t.as(2).signVoucher(id, LIVE(1)));
  assert.equal(channelEvents(t.as(3), res.receipt).map((e) => e.name), ['ChannelSettled', 'ChannelClosed']);
  const info = await t.as(2).getChannel(c, m);
  assert.is(info.state, 'closed');
  assert.is(info.closesAt, 0n);
  // Reopened after a unilateral close, the channel is not closing any more.
  await t.as(2).openWithPermit(m, LIVE(1));
  assert.is((await t.as(2).getChannel(c, m)).state, 'open');
  assert.is((await t.as(2).getChannel(c, m)).epoch, 3n);
});

close('a pair that never had a channel reads as none', async () => {
  const info = await t.as(0).getChannel(t.wallet(4).address, t.wallet(5).address);
  assert.is(info.state, 'none');
  assert.is(info.epoch, 0n);
  assert.is(await t.as(0).channelIdOf(t.wallet(4).address, t.wallet(5).address), null);
});

close.run();
