import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PaymentMeter } from '../../contracts/metering.ts';
import { fastVerifySignature } from '../../contracts/voucher-verifier.ts';
import { LIVE, type TestChain, testChain } from './helpers.ts';

const session = suite('a paid private show end to end: both meters, vouchers, settlement');
let t: TestChain;

session.before(async () => {
  t = await testChain({ platformFeeBps: 250 });
});
session.after(async () => {
  await t.close();
});

const MIN = 60_000;

/** Runs one session of `minutes` on a simulated clock; returns the model's meter. */
async function runSession(channelId: string, deposit: bigint, baseline: bigint, minutes: number, tipAt?: number): Promise<PaymentMeter> {
  const payer = t.as(0);
  const start = 1_000_000;
  const common = { domain: t.domain, channelId, sender: t.wallet(0).address, pricePerMinute: LIVE('0.5'), deposit, baseline, startedAt: start, graceMs: 10_000, leadMs: 5_000 };
  const clientSide = new PaymentMeter(common);
  const modelSide = new PaymentMeter({ ...common, verifySignature: fastVerifySignature });
  for (let now = start; now < start + minutes * MIN; now += 1_000) {
    const due = clientSide.due(now);
    if (due && due.minute <= minutes) {
      const v = await payer.signVoucher(channelId, due.cumulativeAmount);
      assert.is(clientSide.accept(v, now, { trusted: true }).action, 'continue');
      const d = modelSide.accept(v, now + 200); // network delay
      assert.is(d.action, 'continue', d.action === 'end' ? d.error.message : '');
    }
    if (tipAt !== undefined && now === start + tipAt * MIN) {
      const amount = clientSide.tip(LIVE(2));
      const v = await payer.signVoucher(channelId, amount);
      clientSide.accept(v, now, { tip: LIVE(2), trusted: true });
      assert.is(modelSide.accept(v, now + 200, { tip: LIVE(2) }).action, 'continue');
    }
    assert.is(modelSide.check(now).action, 'continue', `model ends the call at ${now - start} ms`);
  }
  assert.is(modelSide.paidMinutes, minutes);
  assert.is(modelSide.highest, clientSide.highest);
  return modelSide;
}

session('two sessions on one channel: prepaid vouchers, a tip, one settlement each, exact payouts', async () => {
  const [c, m] = [t.wallet(0).address, t.wallet(1).address];
  await t.as(0).openWithPermit(m, LIVE(100));
  const ch = await t.as(0).getChannel(c, m);
  const first = await runSession(ch.channelId, ch.deposit, 0n, 10, 3);
  assert.is(first.highest, LIVE(5) + LIVE(2));
  const before = await t.balance(m);
  await t.as(1).settle(c, first.lastVoucher!);
  assert.is(await t.balance(m), before + (LIVE(7) * 9_750n) / 10_000n);
  // The channel is reused: the next session starts from what was already committed.
  const second = await runSession(ch.channelId, ch.deposit, first.highest, 4);
  assert.is(second.spent, LIVE(2));
  await t.as(1).settleBatch([{ sender: c, voucher: second.lastVoucher! }]);
  const after = await t.as(0).getChannel(c, m);
  assert.is(after.paid, LIVE(9));
  assert.is(after.remaining, LIVE(91));
});

session('a client that stops paying is cut off after the grace period; the model keeps what was prepaid', async () => {
  const [c, m] = [t.wallet(2).address, t.wallet(1).address];
  await t.as(2).openWithPermit(m, LIVE(10));
  const ch = await t.as(2).getChannel(c, m);
  const modelSide = new PaymentMeter({ domain: t.domain, channelId: ch.channelId, sender: c, pricePerMinute: LIVE(1), deposit: ch.deposit, baseline: 0n, startedAt: 0, graceMs: 10_000, verifySignature: fastVerifySignature });
  assert.is(modelSide.accept(await t.as(2).signVoucher(ch.channelId, LIVE(1)), 0).action, 'continue');
  assert.is(modelSide.accept(await t.as(2).signVoucher(ch.channelId, LIVE(2)), MIN - 1_000).action, 'continue');
  assert.is(modelSide.check(2 * MIN + 10_000).action, 'continue');
  const end = modelSide.check(2 * MIN + 10_001);
  assert.is(end.action === 'end' && end.error.code, 'PAYMENT_VOUCHER_LATE');
  await t.as(1).close(c, modelSide.lastVoucher!);
  assert.is((await t.as(2).getChannel(c, m)).state, 'closed');
});

session.run();
