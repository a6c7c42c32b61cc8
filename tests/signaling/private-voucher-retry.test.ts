/**
 * A private voucher whose first delivery stopped half-way (the process died, or Redis went away, after the
 * voucher was kept and the channel's high-water mark raised but before the session counted it) is counted when
 * the client sends it again: otherwise the paid call ends `voucher_late`. Found by `npm run bench:soak`'s Redis
 * restarts (traced from its Redis-restart faults). A voucher the session already counted is still refused when replayed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { call, next, ok } from './helpers.ts';
import { PRICE, privateWorld, startSession, voucher, type PrivateWorld } from './private-setup.ts';

const t = suite('private calls: a voucher sent again after a half-done delivery');
let w: PrivateWorld;
t.before(async () => { w = await privateWorld({ redis: true, tuning: { minuteMs: 4_000, voucherGraceMs: 2_000 } }); });
t.after(async () => { await w?.close(); });

t('is counted by the session once, relayed to the model, and a replay after that is refused', async () => {
  const { sessionId, terms } = await startSession(w);
  const first = await voucher(w, BigInt(terms.baseline) + PRICE);
  // What the first attempt left behind: the voucher kept for the model, the channel's high-water mark raised.
  const store = w.run.server.store;
  await store.keepVoucher({ ...first, sender: w.wallets.client.toLowerCase(), receiver: w.wallets.model.toLowerCase(), updatedAt: Date.now() });
  assert.ok((await store.raiseChannelHighWater(first.channelId, first.cumulativeAmount)).replaced);

  try {
    const relayed = next(w.model.socket, 'private:voucher', (e) => e.sessionId === sessionId);
    const again = await call(w.client.socket, 'private:voucher', { sessionId, voucher: first });
    assert.ok(again.ok, `sent again: ${again.ok ? '' : again.error.code + ' ' + again.error.message}`);
    assert.is(again.ok && again.paidMinutes, 1);
    assert.is((await relayed).paidMinutes, 1);

    const replay = await call(w.client.socket, 'private:voucher', { sessionId, voucher: first });
    assert.is(replay.ok ? null : replay.error.code, 'VOUCHER_INVALID', 'once counted, the same voucher buys nothing more');
    const second = await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, BigInt(terms.baseline) + 2n * PRICE) });
    assert.is(second.paidMinutes, 2);
  } finally {
    await call(w.client.socket, 'private:end', { sessionId });
  }
});

t('a voucher another one outbid on the channel is still refused', async () => {
  const { sessionId, terms } = await startSession(w);
  const store = w.run.server.store;
  const mine = await voucher(w, BigInt(terms.baseline) + PRICE);
  const higher = await voucher(w, BigInt(terms.baseline) + 3n * PRICE);
  await store.keepVoucher({ ...higher, sender: w.wallets.client.toLowerCase(), receiver: w.wallets.model.toLowerCase(), updatedAt: Date.now() });
  assert.ok((await store.raiseChannelHighWater(higher.channelId, higher.cumulativeAmount)).replaced);
  try {
    const res = await call(w.client.socket, 'private:voucher', { sessionId, voucher: mine });
    assert.is(res.ok ? null : res.error.code, 'VOUCHER_INVALID');
  } finally {
    await call(w.client.socket, 'private:end', { sessionId });
  }
});

t.run();
