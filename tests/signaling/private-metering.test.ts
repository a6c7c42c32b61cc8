/**
 * Signaling meters a private call with contracts/metering.ts (short minute): a withheld voucher ends the call
 * `voucher_late` within the grace period plus one second, and not before; a replayed or lower voucher is refused
 * and the call goes on; a tip raises the amount without buying minutes and the model is told; a top-up during the
 * call is seen; vouchers for a session the server does not know are a clean NOT_FOUND.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { call, next, ok } from './helpers.ts';
import { LIVE, PRICE, privateWorld, startSession, voucher, type PrivateWorld } from './private-setup.ts';

const MINUTE_MS = 2_000;
const GRACE_MS = 1_000;

function metering(name: string, redis: boolean) {
  const t = suite(`private calls: one metering (${name})`);
  let w: PrivateWorld;
  t.before(async () => { w = await privateWorld({ redis, tuning: { minuteMs: MINUTE_MS, voucherGraceMs: GRACE_MS } }); });
  t.after(async () => { await w?.close(); });

  t('the accept tells both sides the meter the server runs', async () => {
    const { sessionId, terms, clientTerms } = await startSession(w);
    assert.equal([terms.minuteMs, terms.graceMs, clientTerms.minuteMs, clientTerms.graceMs], [MINUTE_MS, GRACE_MS, MINUTE_MS, GRACE_MS]);
    assert.is(terms.startedAt, clientTerms.startedAt);
    assert.is(terms.baseline, clientTerms.baseline);
    await ok(w.client.socket, 'private:end', { sessionId });
  });

  t('no voucher: the call ends voucher_late within the grace period plus one second', async () => {
    const { sessionId, terms } = await startSession(w);
    const e = await next(w.model.socket, 'private:ended', (x) => x.sessionId === sessionId);
    const after = Date.now() - terms.startedAt;
    assert.is(e.reason, 'voucher_late');
    assert.ok(after >= GRACE_MS && after <= GRACE_MS + 1_000, `ended ${after} ms after the start`);
  });

  t('a paid minute runs out: the call ends one grace period after it, not before', async () => {
    const { sessionId, terms } = await startSession(w);
    const paid = await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, BigInt(terms.baseline) + PRICE) });
    assert.equal([paid.paidMinutes, paid.paidUntil], [1, terms.startedAt + MINUTE_MS]);
    const e = await next(w.client.socket, 'private:ended', (x) => x.sessionId === sessionId);
    const late = Date.now() - paid.paidUntil;
    assert.is(e.reason, 'voucher_late');
    assert.ok(late >= GRACE_MS && late <= GRACE_MS + 1_000, `ended ${late} ms after the paid minute`);
  });

  t('a replayed or lower voucher is refused; the call goes on and the next one counts', async () => {
    const { sessionId, terms } = await startSession(w);
    const base = BigInt(terms.baseline);
    const two = await voucher(w, base + 2n * PRICE);
    assert.is((await ok(w.client.socket, 'private:voucher', { sessionId, voucher: two })).paidMinutes, 2);
    const replay = await call(w.client.socket, 'private:voucher', { sessionId, voucher: two });
    assert.is(replay.ok ? null : replay.error.code, 'VOUCHER_INVALID');
    const lower = await call(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base + PRICE) });
    assert.is(lower.ok ? null : lower.error.code, 'VOUCHER_INVALID');
    const older = await call(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base) });
    assert.is(older.ok ? null : older.error.code, 'VOUCHER_INVALID', 'the amount owed before the call buys nothing');
    const three = await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base + 3n * PRICE) });
    assert.is(three.paidMinutes, 3);
    assert.is(await w.run.server.store.channelHighWater(w.channelId), (base + 3n * PRICE).toString());
    await ok(w.client.socket, 'private:end', { sessionId });
  });

  t('a tip raises the amount without buying minutes, and the model is told it is a tip', async () => {
    const { sessionId, terms } = await startSession(w);
    const base = BigInt(terms.baseline);
    // Bigger than a minute's price, so counting it as minutes would show.
    const tip = LIVE(3);
    const withTip = await voucher(w, base + PRICE + tip);
    const told = next(w.model.socket, 'private:voucher', (e) => e.sessionId === sessionId);
    const r = await ok(w.client.socket, 'private:voucher', { sessionId, voucher: withTip, tip: tip.toString() });
    assert.is(r.paidMinutes, 1, 'the tip bought no minute');
    const m = await told;
    assert.equal([m.tip, m.paidMinutes, m.voucher.cumulativeAmount], [tip.toString(), 1, withTip.cumulativeAmount]);
    // A tip alone, on top; then the next minute is priced above both tips.
    const tipOnly = await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base + PRICE + 2n * tip), tip: tip.toString() });
    assert.is(tipOnly.paidMinutes, 1);
    const minuteTwo = next(w.model.socket, 'private:voucher', (e) => e.sessionId === sessionId);
    const two = await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base + 2n * PRICE + 2n * tip) });
    assert.is(two.paidMinutes, 2);
    assert.is((await minuteTwo).tip, undefined, 'a minute is not a tip');
    // A voucher that claims a bigger tip than its increment is refused.
    const underpaid = await call(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base + 2n * PRICE + 3n * tip), tip: (2n * tip).toString() });
    assert.is(underpaid.ok ? null : underpaid.error.code, 'VOUCHER_INVALID');
    await ok(w.client.socket, 'private:end', { sessionId });
  });

  t('vouchers racing each other are never lost or counted down: the highest one stands', async () => {
    const { sessionId, terms } = await startSession(w);
    const base = BigInt(terms.baseline);
    const vouchers = await Promise.all([1n, 2n, 3n, 4n, 5n].map((n) => voucher(w, base + n * PRICE)));
    const answers = await Promise.all(vouchers.reverse().map((v) => call(w.client.socket, 'private:voucher', { sessionId, voucher: v })));
    const accepted = answers.filter((a) => a.ok);
    assert.ok(accepted.length >= 1, 'the highest one is accepted');
    assert.ok(answers.every((a) => a.ok || a.error.code === 'VOUCHER_INVALID'), JSON.stringify(answers));
    const stored = await w.run.server.store.getPrivate(sessionId);
    assert.is(stored?.paidMinutes, 5);
    assert.is(await w.run.server.store.channelHighWater(w.channelId), (base + 5n * PRICE).toString());
    // The meter stands at five minutes: four is refused, six counts.
    const four = await call(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base + 4n * PRICE) });
    assert.is(four.ok ? null : four.error.code, 'VOUCHER_INVALID');
    assert.is((await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base + 6n * PRICE) })).paidMinutes, 6);
    await ok(w.client.socket, 'private:end', { sessionId });
  });

  t('a top-up during the call: a voucher above the old deposit counts', async () => {
    const { sessionId } = await startSession(w);
    const info = await w.payer.getChannel(w.wallets.client, w.wallets.model);
    const above = info.deposit + PRICE;
    const refused = await call(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, above) });
    assert.is(refused.ok ? null : refused.error.code, 'VOUCHER_INVALID', 'over the deposit');
    await w.payer.topUpWithPermit(info.receiver, LIVE(10));
    const r = await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, above) });
    assert.ok(r.paidMinutes >= 1);
    await ok(w.client.socket, 'private:end', { sessionId });
  });

  t('vouchers for a session the server does not know, or that ended, are NOT_FOUND', async () => {
    const unknown = await call(w.client.socket, 'private:voucher', { sessionId: 'no-such-session-0001', voucher: await voucher(w, LIVE(1)) });
    assert.is(unknown.ok ? null : unknown.error.code, 'NOT_FOUND');
    const { sessionId } = await startSession(w);
    await ok(w.model.socket, 'private:end', { sessionId });
    const ended = await call(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, LIVE(39)) });
    assert.is(ended.ok ? null : ended.error.code, 'NOT_FOUND');
  });

  return t;
}

metering('memory', false).run();
metering('redis', true).run();
