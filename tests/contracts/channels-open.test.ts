import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ZeroAddress } from 'ethers';
import { toPaymentError } from '../../contracts/client.ts';
import { computeChannelId } from '../../contracts/voucher.ts';
import { LIVE, type TestChain, channelEvents, rejects, testChain } from './helpers.ts';

const open = suite<{ t: TestChain }>('LiveChannels: open and top up');
let t: TestChain;

open.before(async () => {
  t = await testChain();
});
open.after(async () => {
  await t.close();
});

open('open with approve takes the deposit, emits ChannelOpened and derives the id from the pair and epoch', async () => {
  const [c, m] = [t.wallet(0), t.wallet(1)];
  const before = await t.balance(c.address);
  await t.as(0).approve(LIVE(10));
  const res = await t.as(0).open(m.address, LIVE(10));
  const info = await t.as(0).getChannel(c.address, m.address);
  assert.is(info.state, 'open');
  assert.is(info.deposit, LIVE(10));
  assert.is(info.paid, 0n);
  assert.is(info.remaining, LIVE(10));
  assert.is(info.epoch, 1n);
  assert.is(await t.balance(c.address), before - LIVE(10));
  assert.is(await t.balance(t.chain.addresses.channels), LIVE(10));
  const ev = channelEvents(t.as(0), res.receipt);
  assert.equal(ev.map((e) => e.name), ['ChannelOpened']);
  assert.equal(ev[0]!.args, [info.channelId, c.address, m.address, LIVE(10)]);
  assert.is(computeChannelId(t.domain, c.address, m.address, 1n), info.channelId);
  assert.is(await t.as(0).channelIdOf(c.address, m.address), info.channelId);
  assert.is(await t.as(0).channelIdOf(m.address, c.address), null);
});

open('openWithPermit opens in one transaction without a prior approve', async () => {
  const [c, m] = [t.wallet(2), t.wallet(1)];
  assert.is(await t.as(2).allowance(c.address), 0n);
  const res = await t.as(2).openWithPermit(m.address, LIVE(5));
  assert.is(res.receipt.status, 1);
  const info = await t.as(2).getChannel(c.address, m.address);
  assert.is(info.state, 'open');
  assert.is(info.deposit, LIVE(5));
  assert.is(await t.as(2).allowance(c.address), 0n);
});

open('topUp and topUpWithPermit raise the deposit and emit ChannelToppedUp', async () => {
  const [c, m] = [t.wallet(0), t.wallet(1)];
  await t.as(0).approve(LIVE(3));
  const r1 = await t.as(0).topUp(m.address, LIVE(3));
  const id = (await t.as(0).getChannel(c.address, m.address)).channelId;
  assert.equal(channelEvents(t.as(0), r1.receipt), [{ name: 'ChannelToppedUp', args: [id, LIVE(3), LIVE(13)] }]);
  const r2 = await t.as(0).topUpWithPermit(m.address, LIVE(2));
  assert.equal(channelEvents(t.as(0), r2.receipt), [{ name: 'ChannelToppedUp', args: [id, LIVE(2), LIVE(15)] }]);
  assert.is((await t.as(0).getChannel(c.address, m.address)).deposit, LIVE(15));
});

open('open rejects a zero or self receiver, a zero amount and an already open pair', async () => {
  const c = t.wallet(0);
  await t.as(0).approve(LIVE(100));
  await rejects(t.as(0).open(ZeroAddress, LIVE(1)), 'PAYMENT_INVALID_RECEIVER', 'InvalidReceiver');
  await rejects(t.as(0).open(c.address, LIVE(1)), 'PAYMENT_INVALID_RECEIVER', 'InvalidReceiver');
  const z = await rejects(t.as(0).open(t.wallet(3).address, 0n), 'PAYMENT_ZERO_AMOUNT', 'ZeroAmount');
  assert.equal(z.revert!.args, [t.wallet(3).address]);
  const e = await rejects(t.as(0).open(t.wallet(1).address, LIVE(1)), 'PAYMENT_CHANNEL_ALREADY_OPEN', 'ChannelAlreadyOpen');
  assert.is(e.revert!.args[0], (await t.as(0).getChannel(c.address, t.wallet(1).address)).channelId);
});

open('open and topUp fail on missing allowance or balance, with the token error', async () => {
  await t.as(3).approve(0n);
  await rejects(t.as(3).open(t.wallet(1).address, LIVE(1)), 'PAYMENT_INSUFFICIENT_ALLOWANCE', 'ERC20InsufficientAllowance');
  const balance = await t.balance(t.wallet(3).address);
  await t.as(3).approve(balance + 1n);
  await rejects(t.as(3).open(t.wallet(1).address, balance + 1n), 'PAYMENT_INSUFFICIENT_BALANCE', 'ERC20InsufficientBalance');
  await t.as(3).approve(0n);
});

open('topUp rejects a zero amount, a pair with no channel and a closing channel', async () => {
  const m = t.wallet(1);
  await rejects(t.as(0).topUp(m.address, 0n), 'PAYMENT_ZERO_AMOUNT', 'ZeroAmount');
  const e = await rejects(t.as(4).topUp(m.address, LIVE(1)), 'PAYMENT_CHANNEL_NOT_OPEN', 'ChannelNotOpen');
  assert.equal(e.revert!.args, [t.wallet(4).address, m.address]);
  await t.as(2).requestClose(m.address);
  await rejects(t.as(2).topUpWithPermit(m.address, LIVE(1)), 'PAYMENT_CHANNEL_CLOSING', 'ChannelClosing');
  await t.as(2).approve(LIVE(1));
  await rejects(t.as(2).topUp(m.address, LIVE(1)), 'PAYMENT_CHANNEL_CLOSING', 'ChannelClosing');
});

open('a bad or expired permit is rejected with the token error; a front-run permit still opens', async () => {
  const [c, m] = [t.wallet(4), t.wallet(5)];
  const client = t.as(4);
  // Expired.
  const past = BigInt(await t.now()) - 1n;
  const expired = await client.signPermit(LIVE(1), { deadline: past });
  await rejects(
    client.channels.getFunction('openWithPermit').send(m.address, LIVE(1), expired.deadline, expired.v, expired.r, expired.s)
      .then((tx) => tx.wait()).catch((e) => { throw toPaymentError(e); }),
    'PAYMENT_PERMIT_EXPIRED', 'ERC2612ExpiredSignature');
  // Signed for another amount: the recovered signer differs.
  const p = await client.signPermit(LIVE(1));
  await rejects(
    client.channels.getFunction('openWithPermit').send(m.address, LIVE(2), p.deadline, p.v, p.r, p.s)
      .then((tx) => tx.wait()).catch((e) => { throw toPaymentError(e); }),
    'PAYMENT_PERMIT_INVALID', 'ERC2612InvalidSigner');
  // Someone submits the permit first: openWithPermit still works off the allowance it set.
  await t.as(0).token.getFunction('permit').send(c.address, t.chain.addresses.channels, LIVE(1), p.deadline, p.v, p.r, p.s).then((tx) => tx.wait());
  await client.channels.getFunction('openWithPermit').send(m.address, LIVE(1), p.deadline, p.v, p.r, p.s).then((tx) => tx.wait());
  assert.is((await client.getChannel(c.address, m.address)).deposit, LIVE(1));
});

open('amounts that do not fit the 96-bit deposit are refused before any transfer', async () => {
  const m = t.wallet(5).address;
  const huge = 1n << 96n;
  await t.as(3).approve(huge);
  const e = await rejects(t.as(3).open(m, huge), 'PAYMENT_AMOUNT_TOO_LARGE', 'SafeCastOverflowedUintDowncast');
  assert.equal(e.revert!.args, [96n, huge]);
  await t.as(3).open(m, LIVE(1));
  await rejects(t.as(3).topUp(m, huge - LIVE(1)), 'PAYMENT_AMOUNT_TOO_LARGE', 'SafeCastOverflowedUintDowncast');
  assert.is((await t.as(3).getChannel(t.wallet(3).address, m)).deposit, LIVE(1));
});

open.run();
