/**
 * An end that stopped half-way (the process that claimed it died, or Redis went away, before the session was
 * deleted and the model set back to online) is finished by the next one who tries once the claim lapses: the
 * session does not stay active with the model stuck `private`, refusing every request. Traced from
 * `npm run bench:soak` (a model refused requests with CONFLICT for about 90 s after a signaling restart that
 * overlapped a Redis restart).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { call, next, ok } from './helpers.ts';
import { PRICE, MIN_MINUTES, privateWorld, startSession, voucher, type PrivateWorld } from './private-setup.ts';
import { END_CLAIM_MS } from '../../signaling/private-lifecycle.ts';

const t = suite('private calls: an end that stopped half-way');
let w: PrivateWorld;
t.before(async () => { w = await privateWorld({ redis: true, tuning: { minuteMs: 30_000, voucherGraceMs: 10_000 } }); });
t.after(async () => { await w?.close(); });

t('is finished once its claim lapses: both sides are told, the model takes the next request', async () => {
  const { sessionId, terms } = await startSession(w);
  await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, BigInt(terms.baseline) + PRICE) });
  // What a claimant that died right after claiming leaves: the claim, the session and the model's `private` status.
  assert.ok(await w.run.server.store.claimPrivateTransition(sessionId, 'end', END_CLAIM_MS));
  const toldClient = next(w.client.socket, 'private:ended', (e) => e.sessionId === sessionId, END_CLAIM_MS + 8_000);
  const toldModel = next(w.model.socket, 'private:ended', (e) => e.sessionId === sessionId, END_CLAIM_MS + 8_000);
  await ok(w.client.socket, 'private:end', { sessionId });
  assert.is((await toldClient).reason, 'ended');
  assert.is((await toldModel).reason, 'ended');
  assert.is(await w.run.server.store.getPrivate(sessionId), null, 'the session is gone');
  assert.is((await w.run.server.store.getPresence(w.model.key))?.status, 'online');
  const again = await call(w.client.socket, 'private:request', {
    model: w.model.key, pricePerMinute: PRICE.toString(), minMinutes: MIN_MINUTES, channelId: w.channelId,
  });
  assert.ok(again.ok, `the next request: ${again.ok ? '' : again.error.code + ' ' + again.error.message}`);
});

t.run();
