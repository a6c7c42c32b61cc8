import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Signer, Wallet } from 'ethers';
import { PaymentError } from '../../contracts/errors.ts';
import { type MeterDecision, type MeterOptions, PaymentMeter } from '../../contracts/metering.ts';
import { type SignedVoucher, signVoucher, voucherDomain } from '../../contracts/voucher.ts';
import { fastVerifySignature } from '../../contracts/voucher-verifier.ts';

const domain = voucherDomain(31337, '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512');
const client = new Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const channelId = `0x${'11'.repeat(32)}`;
const P = 100n; // price per minute
const MIN = 60_000;
const T0 = 1_700_000_000_000;

function meter(over: Partial<MeterOptions> = {}): PaymentMeter {
  return new PaymentMeter({ domain, channelId, sender: client.address, pricePerMinute: P, deposit: 1_000n, baseline: 0n, startedAt: T0, graceMs: 10_000, ...over });
}
const sign = (amount: bigint, id = channelId, w: Signer = client): Promise<SignedVoucher> => signVoucher(w, domain, { channelId: id, cumulativeAmount: amount });
function ended(d: MeterDecision, code: string): void {
  assert.is(d.action, 'end', `expected the call to end with ${code}`);
  if (d.action === 'end') {
    assert.instance(d.error, PaymentError);
    assert.is(d.error.code, code);
  }
}
function continues(d: MeterDecision, paidMinutes: number): void {
  assert.is(d.action, 'continue', d.action === 'end' ? d.error.message : '');
  if (d.action === 'continue') assert.is(d.paidMinutes, paidMinutes);
}

const m = suite('metering: prepaid minutes, grace, tips, end-the-call decisions');

m('the voucher for minute N is due before minute N starts, with a grace period', async () => {
  const mt = meter();
  continues(mt.check(T0), 0);
  continues(mt.check(T0 + 10_000), 0); // within grace for minute 1
  continues(mt.accept(await sign(P), T0 + 5_000), 1);
  const d = mt.check(T0 + 5_000);
  assert.equal(d, { action: 'continue', paidMinutes: 1, paidUntil: T0 + MIN, deadline: T0 + MIN + 10_000 });
  continues(mt.accept(await sign(2n * P), T0 + MIN - 3_000), 2);
  continues(mt.check(T0 + 2 * MIN + 10_000), 2);
  ended(mt.check(T0 + 2 * MIN + 10_001), 'PAYMENT_VOUCHER_LATE');
  // Sticky: a voucher after the end does not revive the call.
  ended(mt.accept(await sign(3n * P), T0 + 2 * MIN + 10_002), 'PAYMENT_VOUCHER_LATE');
  assert.is(mt.endedWith?.code, 'PAYMENT_VOUCHER_LATE');
  assert.is(mt.highest, 2n * P);
});

m('no first voucher within the grace period ends the call; a voucher arriving late is refused', async () => {
  ended(meter().check(T0 + 10_001), 'PAYMENT_VOUCHER_LATE');
  const mt = meter();
  ended(mt.accept(await sign(P), T0 + 10_001), 'PAYMENT_VOUCHER_LATE');
  assert.is(mt.highest, 0n);
});

m('a voucher lower than the last, over the deposit, for another channel or badly signed ends the call', async () => {
  const a = meter();
  continues(a.accept(await sign(2n * P), T0), 2);
  ended(a.accept(await sign(P), T0 + 1), 'PAYMENT_VOUCHER_NOT_NEWER');
  const b = meter();
  ended(b.accept(await sign(1_001n), T0), 'PAYMENT_VOUCHER_OVER_DEPOSIT');
  const c = meter();
  ended(c.accept(await sign(P, `0x${'22'.repeat(32)}`), T0), 'PAYMENT_VOUCHER_WRONG_CHANNEL');
  const d = meter();
  ended(d.accept(await sign(P, channelId, Wallet.createRandom()), T0), 'PAYMENT_VOUCHER_BAD_SIGNATURE');
  const e = meter();
  const good = await sign(P);
  ended(e.accept({ ...good, cumulativeAmount: 2n * P }, T0), 'PAYMENT_VOUCHER_BAD_SIGNATURE');
  const f = meter();
  ended(f.accept({ ...good, signature: '0xdead' }, T0), 'PAYMENT_VOUCHER_BAD_SIGNATURE');
  const g = meter({ domain: voucherDomain(1, domain.verifyingContract) });
  ended(g.accept(good, T0), 'PAYMENT_VOUCHER_BAD_SIGNATURE');
});

m('a repeated voucher is a no-op; the native verifier can be injected', async () => {
  const mt = meter({ verifySignature: fastVerifySignature });
  const v = await sign(P);
  continues(mt.accept(v, T0), 1);
  continues(mt.accept(v, T0 + 1), 1);
  assert.is(mt.lastVoucher, v);
  ended(mt.accept(await sign(2n * P, channelId, Wallet.createRandom()), T0 + 2), 'PAYMENT_VOUCHER_BAD_SIGNATURE');
});

m('tips raise the cumulative amount without buying minutes', async () => {
  const mt = meter();
  continues(mt.accept(await sign(P), T0), 1);
  const tipTo = mt.tip(50n);
  assert.is(tipTo, P + 50n);
  continues(mt.accept(await sign(tipTo), T0 + 1_000, { tip: 50n }), 1);
  assert.is(mt.tips, 50n);
  assert.is(mt.spent, P + 50n);
  assert.is(mt.amountFor(2), 2n * P + 50n);
  // The next minute's voucher accounts for the tip.
  continues(mt.accept(await sign(2n * P + 50n), T0 + MIN - 1_000), 2);
  // A voucher claiming a tip larger than its increment ends the call.
  ended(mt.accept(await sign(2n * P + 60n), T0 + MIN, { tip: 20n }), 'PAYMENT_VOUCHER_UNDERPAID');
  assert.throws(() => meter().tip(0n), (e: unknown) => (e as PaymentError).code === 'PAYMENT_BAD_INPUT');
  assert.throws(() => meter().tip(2_000n), (e: unknown) => (e as PaymentError).code === 'PAYMENT_VOUCHER_OVER_DEPOSIT');
});

m('sender side: due() says what to sign and when, with the lead time', async () => {
  const mt = meter({ leadMs: 5_000 });
  assert.equal(mt.due(T0), { minute: 1, cumulativeAmount: P, startsAt: T0, deadline: T0 + 10_000, coveredByDeposit: true });
  continues(mt.accept(await sign(P), T0, { trusted: true }), 1);
  assert.is(mt.due(T0 + MIN - 5_001), null);
  assert.equal(mt.due(T0 + MIN - 5_000)?.cumulativeAmount, 2n * P);
  const low = meter({ deposit: 150n });
  continues(low.accept(await sign(P), T0, { trusted: true }), 1);
  assert.is(low.due(T0 + MIN)?.coveredByDeposit, false);
});

m('a reused channel starts from its baseline; an exhausted deposit ends the call; a top-up extends it', async () => {
  const mt = meter({ baseline: 700n, deposit: 1_000n });
  ended(mt.accept(await sign(650n), T0), 'PAYMENT_VOUCHER_NOT_NEWER');
  const r = meter({ baseline: 700n, deposit: 1_000n });
  continues(r.accept(await sign(800n), T0), 1);
  continues(r.accept(await sign(1_000n), T0 + MIN), 3);
  ended(r.check(T0 + 3 * MIN + 10_001), 'PAYMENT_DEPOSIT_EXHAUSTED');
  const s = meter({ baseline: 700n, deposit: 1_000n });
  continues(s.accept(await sign(1_000n), T0), 3);
  s.setDeposit(1_100n);
  continues(s.accept(await sign(1_100n), T0 + 3 * MIN), 4);
  assert.throws(() => s.setDeposit(10n), (e: unknown) => (e as PaymentError).code === 'PAYMENT_BAD_INPUT');
});

m('maxMinutes caps the session; stop() ends it on purpose', async () => {
  const mt = meter({ maxMinutes: 2 });
  continues(mt.accept(await sign(2n * P), T0), 2);
  assert.is(mt.due(T0 + MIN), null);
  continues(mt.check(T0 + 2 * MIN - 1), 2);
  ended(mt.check(T0 + 2 * MIN), 'PAYMENT_SESSION_ENDED');
  const s = meter();
  const e = s.stop('client hung up');
  assert.is(e.code, 'PAYMENT_SESSION_ENDED');
  assert.is(s.stop(), e);
  ended(s.check(T0), 'PAYMENT_SESSION_ENDED');
});

m('invalid options are refused with PAYMENT_BAD_INPUT', () => {
  const bad: Partial<MeterOptions>[] = [
    { pricePerMinute: 0n }, { deposit: -1n }, { baseline: 2_000n }, { channelId: '0x1' },
    { graceMs: 60_000 }, { minuteMs: 0 }, { maxMinutes: 0 }, { startedAt: Number.NaN },
  ];
  for (const o of bad) {
    assert.throws(() => meter(o), (e: unknown) => e instanceof PaymentError && e.code === 'PAYMENT_BAD_INPUT', JSON.stringify(o, (_, x) => typeof x === 'bigint' ? String(x) : x));
  }
});

m.run();
