/**
 * LiveChannels `settleFor` / `settleForBatch`: anyone submits a sender-signed voucher, the payout always goes to
 * the channel's receiver and the fee to the fee recipient; every check of `settle` still holds.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { signVoucher } from '../../contracts/voucher.ts';
import { LIVE, type TestChain, channelEvents, rejects, testChain } from './helpers.ts';

const fee = (x: bigint) => (x * 250n) / 10_000n;

const single = suite('LiveChannels: settleFor by a third party');
let t: TestChain;
let idA: string; // client 0 -> model 1
const SUBMITTER = 3; // neither end of any channel here

single.before(async () => {
  t = await testChain({ platformFeeBps: 250 });
  await t.as(0).openWithPermit(t.wallet(1).address, LIVE(10));
  idA = (await t.as(0).getChannel(t.wallet(0).address, t.wallet(1).address)).channelId;
});
single.after(async () => {
  await t.close();
});

single('a third party submits: the receiver gets the payout, the fee recipient the fee, the submitter nothing', async () => {
  const [client, model, submitter, feeTo] = [t.wallet(0).address, t.wallet(1).address, t.wallet(SUBMITTER).address, t.chain.feeRecipient];
  const before = await Promise.all([model, submitter, feeTo, client].map((a) => t.balance(a)));
  const v = await t.as(0).signVoucher(idA, LIVE(3));
  const res = await t.as(SUBMITTER).settleFor(client, model, v);
  assert.equal(channelEvents(t.as(SUBMITTER), res.receipt), [{ name: 'ChannelSettled', args: [idA, LIVE(3), LIVE(3) - fee(LIVE(3)), fee(LIVE(3))] }]);
  const after = await Promise.all([model, submitter, feeTo, client].map((a) => t.balance(a)));
  assert.is(after[0]! - before[0]!, LIVE(3) - fee(LIVE(3)), 'receiver: the increase minus the fee');
  assert.is(after[1]!, before[1]!, 'submitter: nothing');
  assert.is(after[2]! - before[2]!, fee(LIVE(3)), 'fee recipient: the fee');
  assert.is(after[3]!, before[3]!, 'sender: nothing back while the channel is open');
  const info = await t.as(1).getChannel(client, model);
  assert.equal([info.state, info.paid, info.remaining], ['open', LIVE(3), LIVE(7)]);
  // The receiver can go on settling later vouchers itself; only the difference is paid.
  await t.as(1).settle(client, await t.as(0).signVoucher(idA, LIVE(4)));
  assert.is(await t.balance(model), before[0]! + LIVE(4) - fee(LIVE(3)) - fee(LIVE(1)));
});

single('a voucher signed by anyone but the sender is refused with the signer named', async () => {
  const stranger = Wallet.createRandom();
  const forged = await signVoucher(stranger, t.domain, { channelId: idA, cumulativeAmount: LIVE(5) });
  const e = await rejects(t.as(SUBMITTER).settleFor(t.wallet(0).address, t.wallet(1).address, forged), 'PAYMENT_VOUCHER_BAD_SIGNATURE', 'InvalidSignature');
  assert.equal(e.revert!.args, [idA, stranger.address]);
  // The receiver's own signature is no better than a stranger's.
  const byReceiver = await signVoucher(t.wallet(1), t.domain, { channelId: idA, cumulativeAmount: LIVE(5) });
  await rejects(t.as(SUBMITTER).settleFor(t.wallet(0).address, t.wallet(1).address, byReceiver), 'PAYMENT_VOUCHER_BAD_SIGNATURE', 'InvalidSignature');
  // A real voucher of this channel, submitted for another receiver: that pair has no channel.
  const real = await t.as(0).signVoucher(idA, LIVE(5));
  const other = await rejects(t.as(SUBMITTER).settleFor(t.wallet(0).address, t.wallet(SUBMITTER).address, real), 'PAYMENT_CHANNEL_NOT_OPEN', 'ChannelNotOpen');
  assert.equal(other.revert!.args, [t.wallet(0).address, t.wallet(SUBMITTER).address]);
});

single('a voucher that is not newer, or over the deposit, is refused and pays nothing', async () => {
  const [client, model] = [t.wallet(0).address, t.wallet(1).address];
  const before = await t.balance(model);
  const same = await rejects(t.as(SUBMITTER).settleFor(client, model, await t.as(0).signVoucher(idA, LIVE(4))), 'PAYMENT_VOUCHER_NOT_NEWER', 'VoucherNotNewer');
  assert.equal(same.revert!.args, [idA, LIVE(4), LIVE(4)]);
  await rejects(t.as(SUBMITTER).settleFor(client, model, await t.as(0).signVoucher(idA, LIVE(1))), 'PAYMENT_VOUCHER_NOT_NEWER', 'VoucherNotNewer');
  const over = await rejects(t.as(SUBMITTER).settleFor(client, model, await t.as(0).signVoucher(idA, LIVE(10) + 1n)), 'PAYMENT_VOUCHER_OVER_DEPOSIT', 'VoucherExceedsDeposit');
  assert.equal(over.revert!.args, [idA, LIVE(10) + 1n, LIVE(10)]);
  assert.is(await t.balance(model), before);
});

single('during a requested close a third party can still settle; after the challenge period it is refused', async () => {
  const [client, model] = [t.wallet(0).address, t.wallet(1).address];
  await t.as(0).requestClose(model);
  const { closesAt } = await t.as(1).getChannel(client, model);
  const before = await t.balance(model);
  await t.as(SUBMITTER).settleFor(client, model, await t.as(0).signVoucher(idA, LIVE(6)));
  assert.is(await t.balance(model), before + LIVE(2) - fee(LIVE(2)));
  await t.chain.increaseTime(Number(closesAt) - (await t.now()));
  const late = await rejects(t.as(SUBMITTER).settleFor(client, model, await t.as(0).signVoucher(idA, LIVE(7))), 'PAYMENT_CHALLENGE_PERIOD_OVER', 'ChallengePeriodOver');
  assert.equal(late.revert!.args, [idA, closesAt]);
  // The sender withdraws exactly what the settled vouchers left.
  const c0 = await t.balance(client);
  await t.as(0).withdraw(model);
  assert.is(await t.balance(client), c0 + LIVE(4));
  assert.is(await t.balance(model), before + LIVE(2) - fee(LIVE(2)));
});

single.run();

const batch = suite('LiveChannels: settleForBatch across receivers');
let b: TestChain;
let ids: Record<string, string>;

batch.before(async () => {
  b = await testChain({ platformFeeBps: 250 });
  // Clients 0 and 2 pay model 1; client 0 also pays model 4.
  await b.as(0).openWithPermit(b.wallet(1).address, LIVE(10));
  await b.as(2).openWithPermit(b.wallet(1).address, LIVE(10));
  await b.as(0).openWithPermit(b.wallet(4).address, LIVE(10));
  ids = {
    c0m1: (await b.as(0).getChannel(b.wallet(0).address, b.wallet(1).address)).channelId,
    c2m1: (await b.as(2).getChannel(b.wallet(2).address, b.wallet(1).address)).channelId,
    c0m4: (await b.as(0).getChannel(b.wallet(0).address, b.wallet(4).address)).channelId,
  };
});
batch.after(async () => {
  await b.close();
});

batch('one transaction pays each receiver their own vouchers, one transfer per receiver and one for the fee', async () => {
  const [m1, m4, feeTo] = [b.wallet(1).address, b.wallet(4).address, b.chain.feeRecipient];
  const before = await Promise.all([m1, m4, feeTo].map((a) => b.balance(a)));
  // Given out of receiver order: the client sorts them so model 1's two payouts share a transfer.
  const res = await b.as(SUBMITTER).settleForBatch([
    { sender: b.wallet(0).address, receiver: m1, voucher: await b.as(0).signVoucher(ids.c0m1!, LIVE(2)) },
    { sender: b.wallet(0).address, receiver: m4, voucher: await b.as(0).signVoucher(ids.c0m4!, LIVE(4)) },
    { sender: b.wallet(2).address, receiver: m1, voucher: await b.as(2).signVoucher(ids.c2m1!, LIVE(1)) },
  ]);
  const settled = channelEvents(b.as(SUBMITTER), res.receipt).filter((e) => e.name === 'ChannelSettled');
  assert.equal(settled.map((e) => e.args[0]).sort(), [ids.c0m1, ids.c0m4, ids.c2m1].sort());
  const transfers = res.receipt.logs.filter((l) => l.address.toLowerCase() === b.chain.addresses.token.toLowerCase());
  assert.is(transfers.length, 3, 'model 1, model 4, fee recipient');
  const after = await Promise.all([m1, m4, feeTo].map((a) => b.balance(a)));
  assert.is(after[0]! - before[0]!, LIVE(2) - fee(LIVE(2)) + LIVE(1) - fee(LIVE(1)));
  assert.is(after[1]! - before[1]!, LIVE(4) - fee(LIVE(4)));
  assert.is(after[2]! - before[2]!, fee(LIVE(2)) + fee(LIVE(1)) + fee(LIVE(4)));
});

batch('one bad voucher reverts the whole batch; an empty batch is refused', async () => {
  const [m1, m4] = [b.wallet(1).address, b.wallet(4).address];
  const before = await Promise.all([m1, m4].map((a) => b.balance(a)));
  const good = { sender: b.wallet(0).address, receiver: m1, voucher: await b.as(0).signVoucher(ids.c0m1!, LIVE(5)) };
  const stale = { sender: b.wallet(0).address, receiver: m4, voucher: await b.as(0).signVoucher(ids.c0m4!, LIVE(4)) };
  await rejects(b.as(SUBMITTER).settleForBatch([good, stale]), 'PAYMENT_VOUCHER_NOT_NEWER', 'VoucherNotNewer');
  const forged = { ...good, voucher: await signVoucher(Wallet.createRandom(), b.domain, { channelId: ids.c0m1!, cumulativeAmount: LIVE(6) }) };
  await rejects(b.as(SUBMITTER).settleForBatch([forged]), 'PAYMENT_VOUCHER_BAD_SIGNATURE', 'InvalidSignature');
  assert.equal(await Promise.all([m1, m4].map((a) => b.balance(a))), before);
  assert.is((await b.as(1).getChannel(b.wallet(0).address, m1)).paid, LIVE(2));
  const empty = await rejects(b.as(SUBMITTER).settleForBatch([]), 'PAYMENT_EMPTY_BATCH', 'EmptyBatch');
  assert.equal(empty.revert!.args, [b.wallet(SUBMITTER).address]);
});

batch.run();
